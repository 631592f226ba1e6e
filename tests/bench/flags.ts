/**
 * The command line of `npm run bench` (its flags are listed in bench.ts), read once: the counts
 * each measurement runs with, the parts to run and the engines to run them in.
 */
import { parseArgs } from 'node:util';
import { ENGINES, type Engine } from '../support/bench/engines.ts';

export const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '2000' },
    cold: { type: 'string', default: '30' },
    burst: { type: 'string', default: '1000' },
    'soak-minutes': { type: 'string', default: '10' },
    'restart-cycles': { type: 'string', default: '8' },
    'save-window': { type: 'string', default: '40' },
    loads: { type: 'string', default: '60' },
    'page-runs': { type: 'string', default: '3' },
    extension: { type: 'string', default: '' },
    'firefox-extension': { type: 'string', default: '' },
    'worker-refreshes': { type: 'string', default: '26' },
    'flood-calls': { type: 'string', default: '600' },
    'header-calls': { type: 'string', default: '1000' },
    only: { type: 'string', default: '' },
    engine: { type: 'string', default: 'both' },
  },
});

export const RESTART_CYCLES = Number(flags['restart-cycles']);
export const SAVE_WINDOW_RUNS = Number(flags['save-window']);
export const CALLS = Number(flags.calls);
export const COLD_RUNS = Number(flags.cold);
export const BURST_CALLS = Number(flags.burst);
export const SOAK_MINUTES = Number(flags['soak-minutes']);
export const PAGE_LOADS = Number(flags.loads);
/** Runs of PAGE_LOADS rounds for the page overhead; its verdict takes their median. */
export const PAGE_RUNS = Number(flags['page-runs']);
export const WORKER_REFRESHES = Number(flags['worker-refreshes']);
export const FLOOD_CALLS = Number(flags['flood-calls']);
/** Requests timed per page and phase for header-only access's rules. */
export const HEADER_CALLS = Number(flags['header-calls']);

/** The engines this run measures in: `--engine chromium`, `firefox`, or `both` (the default). */
export const RUN_ENGINES: readonly Engine[] = (() => {
  if (flags.engine === 'both') return ENGINES;
  const engine = ENGINES.find((name) => name === flags.engine);
  if (!engine) throw new Error(`--engine: ${flags.engine} is none of ${ENGINES.join(', ')}, both`);
  return [engine];
})();
