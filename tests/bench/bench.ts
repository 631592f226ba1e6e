/**
 * `npm run bench`: what a token costs, measured against the floor, in real Chromium with the
 * extension (the bench build: the product plus a bare `bench_echo` route) and the local stack.
 * Prints a table and writes bench-results.json. Not part of `npm test`.
 *
 * Flags: --calls N (cached getToken calls, default 2000), --cold N (cold starts, 30),
 *        --burst N (concurrent calls, 1000), --soak-minutes N (10),
 *        --restart-cycles N (restart soak: browser restarts across refresh times with 5xx
 *        bursts, 8), --save-window N (refreshes timed from reply to stored pair, 40, and as many
 *        worker stops at random moments of a refresh),
 *        --loads N (page overhead: loads of a plain page per configuration, 60: DOMContentLoaded varies by milliseconds between loads),
 *        --extension DIR (page overhead: measure this build instead of extension/chromium, for
 *        example an older commit's, to compare),
 *        --worker-refreshes N (worker heap: refreshes of 10 s tokens after sign-in, 26),
 *        --flood-calls N (getToken calls from an allowed page with and without a flood of 8 MB
 *        messages from a page that is not allowed, 600 each),
 *        --only a,b (run only these parts: cached, cold, burst, soak, restart-soak, save-window,
 *        page-overhead, worker-heap, flood).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { extensionDir, projectRoot } from '../../tools/dev/launch.ts';
import { startStack } from '../../tools/stack/server.ts';
import { chromiumPageOverhead, signedInChromium } from '../support/bench/chromium.ts';
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
  PAGE_LOADS,
  RESTART_CYCLES,
  SAVE_WINDOW_RUNS,
  SOAK_MINUTES,
  WORKER_REFRESHES,
} from './flags.ts';
import { measureFlood } from './flood.ts';
import { measurePageOverhead } from './page-overhead.ts';
import { missedTargets, table } from './report.ts';
import { measureRestartSoak } from './restart-soak.ts';
import { measureSaveWindow } from './save-window.ts';
import { measureSoak } from './soak.ts';
import { measureWorkerHeap } from './worker-heap.ts';

const PARTS = ['cached', 'cold', 'burst', 'soak', 'restart-soak', 'save-window', 'page-overhead', 'worker-heap', 'flood'] as const;
const only = flags.only ? flags.only.split(',').map((part) => part.trim()) : [...PARTS];
for (const part of only) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--only: unknown part ${part}`);
const runs = (part: (typeof PARTS)[number]) => only.includes(part);

const log = (text: string) => console.log(`\u2022 ${text}`);

async function main() {
  const results: Record<string, unknown> = {};
  if (runs('cached') || runs('cold') || runs('burst') || runs('soak') || runs('flood')) {
    const stack = await startStack({ port: 0 });
    try {
      const browser = await signedInChromium(stack);
      try {
        if (runs('cached')) {
          log(`Signed in against ${stack.url}; measuring ${CALLS} cached calls…`);
          results.getToken = await measureCached(browser.demo);
        }
        if (runs('flood')) {
          log(`Flood: ${FLOOD_CALLS} getToken calls each with and without 8 MB messages from a page that is not allowed…`);
          results.flood = await measureFlood(browser.context, stack, browser.demoPage);
        }
        if (runs('cold')) {
          log(`Cold starts (${COLD_RUNS} of each)…`);
          results.coldStart = await measureColdStart(browser);
        }
        if (runs('burst')) {
          log(`Burst of ${BURST_CALLS} calls from ${BURST_TABS} tabs at refresh time…`);
          results.burst = await measureBurst(browser, stack);
        }
        if (runs('soak')) {
          log(`Soak: ${SOAK_MINUTES} min with 10 s tokens…`);
          results.soak = await measureSoak(stack, browser.popup, browser.demoPage);
        }
      } finally {
        await browser.close();
      }
    } finally {
      await stack.close();
    }
  }
  if (runs('restart-soak')) {
    log(`Restart soak: ${RESTART_CYCLES} browser restarts across refresh times with 5xx bursts…`);
    results.restartSoak = await measureRestartSoak();
  }
  if (runs('save-window')) {
    log(`Save window: ${SAVE_WINDOW_RUNS} timed refreshes, ${SAVE_WINDOW_RUNS} worker stops mid-refresh…`);
    results.saveWindow = await measureSaveWindow();
  }
  if (runs('page-overhead')) {
    log(
      `Page overhead: ${PAGE_LOADS} loads of a plain page each with Tako Session, the required-work and floor extensions and none, ` +
        'interleaved…',
    );
    results.pageOverhead = await measurePageOverhead(chromiumPageOverhead(flags.extension ? path.resolve(flags.extension) : extensionDir));
  }
  if (runs('worker-heap')) {
    log(`Worker heap: after sign-in and after ${WORKER_REFRESHES} refreshes of 10 s tokens…`);
    results.workerHeap = await measureWorkerHeap();
  }
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
