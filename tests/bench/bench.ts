/**
 * `npm run bench`: what a token costs, measured against the floor, in real Chromium and Firefox ESR
 * with the extension (the bench build: the product plus a bare `bench_echo` route) and the local
 * stack. The cached calls, the cold starts, the burst and the page overhead are measured the same
 * way in both engines; the rest in Chromium only. Prints a table and writes bench-results.json.
 * Not part of `npm test`.
 *
 * Flags: --engine chromium|firefox|both (both by default),
 *        --calls N (cached getToken calls, default 2000), --cold N (cold starts, 30),
 *        --burst N (concurrent calls, 1000), --soak-minutes N (10),
 *        --restart-cycles N (restart soak: browser restarts across refresh times with 5xx
 *        bursts, 8), --save-window N (refreshes timed from reply to stored pair, 40, and as many
 *        worker stops at random moments of a refresh),
 *        --loads N (page overhead: loads of a plain page per configuration, 60: DOMContentLoaded varies by milliseconds between loads),
 *        --page-runs N (page overhead: runs of those loads, 3),
 *        --extension DIR (page overhead in Chromium: measure this build instead of
 *        extension/chromium, for example an older commit's, to compare),
 *        --firefox-extension XPI (the same in Firefox, instead of extension/tako-session-firefox.xpi),
 *        --worker-refreshes N (worker heap: refreshes of 10 s tokens after sign-in, 26),
 *        --flood-calls N (getToken calls from an allowed page with and without a flood of 8 MB
 *        messages from a page that is not allowed, 600 each),
 *        --header-calls N (header-only access: requests timed per page before and after the grant, 1000),
 *        --only a,b (run only these parts: cached, cold, burst, page-overhead in both engines;
 *        soak, restart-soak, save-window, worker-heap, flood, header-rules in Chromium only).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { firefoxXpiPath } from '../../tools/dev/firefox.ts';
import { extensionDir, projectRoot } from '../../tools/dev/launch.ts';
import { startStack } from '../../tools/stack/server.ts';
import { chromiumPageOverhead, signedInChromium } from '../support/bench/chromium.ts';
import { ENGINE_NAMES, type Engine } from '../support/bench/engines.ts';
import { firefoxPageOverhead, signedInFirefox } from '../support/bench/firefox.ts';
import { bundleSizes } from './bundle-sizes.ts';
import { BURST_TABS, measureBurst } from './burst.ts';
import { measureCached } from './cached-get-token.ts';
import { measureColdStart } from './cold-start.ts';
import {
  BURST_CALLS,
  CALLS,
  COLD_RUNS,
  FLOOD_CALLS,
  flags,
  HEADER_CALLS,
  PAGE_LOADS,
  PAGE_RUNS,
  RESTART_CYCLES,
  RUN_ENGINES,
  SAVE_WINDOW_RUNS,
  SOAK_MINUTES,
  WORKER_REFRESHES,
} from './flags.ts';
import { measureFlood } from './flood.ts';
import { measureHeaderRules } from './header-rules.ts';
import { measurePageOverhead } from './page-overhead.ts';
import { type EngineResults, missedTargets, type Results, table } from './report.ts';
import { measureRestartSoak } from './restart-soak.ts';
import { measureSaveWindow } from './save-window.ts';
import { measureSoak } from './soak.ts';
import { measureWorkerHeap } from './worker-heap.ts';

const PARTS = [
  'cached',
  'cold',
  'burst',
  'soak',
  'restart-soak',
  'save-window',
  'page-overhead',
  'worker-heap',
  'flood',
  'header-rules',
] as const;
type Part = (typeof PARTS)[number];
/** Parts written for Chromium alone: they stop, restart or inspect the service worker over CDP, or flood through its relay. */
const CHROMIUM_ONLY: readonly Part[] = ['soak', 'restart-soak', 'save-window', 'worker-heap', 'flood', 'header-rules'];
const only = flags.only ? flags.only.split(',').map((part) => part.trim()) : [...PARTS];
for (const part of only) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--only: unknown part ${part}`);
const runsIn = (engine: Engine, part: Part) => only.includes(part) && (engine === 'chromium' || !CHROMIUM_ONLY.includes(part));

const log = (text: string) => console.log(`\u2022 ${text}`);

/** The parts measured in a browser signed in against the local stack, one browser for all of them. */
async function measureSignedIn(engine: Engine, results: EngineResults): Promise<void> {
  const runs = (part: Part) => runsIn(engine, part);
  if (!(runs('cached') || runs('cold') || runs('burst') || runs('soak') || runs('flood'))) return;
  const name = ENGINE_NAMES[engine];
  const stack = await startStack({ port: 0 });
  try {
    // Chromium's also serves the parts measured there alone.
    const chromium = engine === 'chromium' ? await signedInChromium(stack) : undefined;
    const browser = chromium ?? (await signedInFirefox(stack));
    try {
      if (runs('cached')) {
        log(`${name}: signed in against ${stack.url}; measuring ${CALLS} cached calls…`);
        results.getToken = await measureCached(browser.demo);
      }
      if (chromium && runs('flood')) {
        log(`${name}: flood: ${FLOOD_CALLS} getToken calls each with and without 8 MB messages from a page that is not allowed…`);
        results.flood = await measureFlood(chromium.context, stack, chromium.demoPage);
      }
      if (runs('cold')) {
        log(`${name}: cold starts (${COLD_RUNS} of each)…`);
        results.coldStart = await measureColdStart(browser);
      }
      if (runs('burst')) {
        log(`${name}: burst of ${BURST_CALLS} calls from ${BURST_TABS} tabs at refresh time…`);
        results.burst = await measureBurst(browser, stack);
      }
      if (chromium && runs('soak')) {
        log(`${name}: soak: ${SOAK_MINUTES} min with 10 s tokens…`);
        results.soak = await measureSoak(stack, chromium.popup, chromium.demoPage);
      }
    } finally {
      await browser.close();
    }
  } finally {
    await stack.close();
  }
}

async function measureEngine(engine: Engine): Promise<EngineResults> {
  const results: EngineResults = {};
  const runs = (part: Part) => runsIn(engine, part);
  const name = ENGINE_NAMES[engine];
  const skipped = only.filter((part) => !runs(part as Part));
  if (skipped.length > 0) log(`${name}: not measured there: ${skipped.join(', ')} (Chromium only)`);
  await measureSignedIn(engine, results);
  if (runs('restart-soak')) {
    log(`${name}: restart soak: ${RESTART_CYCLES} browser restarts across refresh times with 5xx bursts…`);
    results.restartSoak = await measureRestartSoak();
  }
  if (runs('save-window')) {
    log(`${name}: save window: ${SAVE_WINDOW_RUNS} timed refreshes, ${SAVE_WINDOW_RUNS} worker stops mid-refresh…`);
    results.saveWindow = await measureSaveWindow();
  }
  if (runs('page-overhead')) {
    log(
      `${name}: page overhead: ${PAGE_RUNS} runs of ${PAGE_LOADS} loads of a plain page each with Tako Session, the required-work ` +
        'and floor extensions and none, interleaved…',
    );
    results.pageOverhead = await measurePageOverhead(
      engine === 'chromium'
        ? chromiumPageOverhead(flags.extension ? path.resolve(flags.extension) : extensionDir)
        : firefoxPageOverhead(flags['firefox-extension'] ? path.resolve(flags['firefox-extension']) : firefoxXpiPath),
    );
  }
  if (runs('worker-heap')) {
    log(`${name}: worker heap: after sign-in and after ${WORKER_REFRESHES} refreshes of 10 s tokens…`);
    results.workerHeap = await measureWorkerHeap();
  }
  if (runs('header-rules')) {
    log(`${name}: header-only access: ${HEADER_CALLS} requests per page with the header a rule adds and with one the page writes…`);
    results.headerRules = await measureHeaderRules();
  }
  return results;
}

async function main() {
  const results: Results = {};
  for (const engine of RUN_ENGINES) results[engine] = await measureEngine(engine);
  results.bundles = await bundleSizes();
  await writeFile(path.join(projectRoot, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(table(results));
  log(`Wrote ${path.join(projectRoot, 'bench-results.json')}`);
  const missed = missedTargets(results);
  if (missed.length > 0) {
    console.error(`\nMissed ${missed.length} target(s):\n${missed.map((line) => `- ${line}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    log('Every target measured in this run was met.');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
