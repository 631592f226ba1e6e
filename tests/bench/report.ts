/**
 * What `npm run bench` prints: the table of every measurement this run made with its target, in
 * each engine it ran in, and each stated target it missed.
 */
import { ENGINE_NAMES, ENGINES } from '../support/bench/engines.ts';
import { round } from '../support/bench/timing.ts';
import type { measureBurst } from './burst.ts';
import type { measureCached } from './cached-get-token.ts';
import type { measureColdStart } from './cold-start.ts';
import type { measureFlood } from './flood.ts';
import type { measureHeaderRules } from './header-rules.ts';
import type { measurePageOverhead } from './page-overhead.ts';
import type { measureRestartSoak } from './restart-soak.ts';
import type { measureSaveWindow } from './save-window.ts';
import type { measureSoak } from './soak.ts';
import type { measureWorkerHeap } from './worker-heap.ts';

/** Each stated target this run measured and missed, as a line naming the engine, the target and what was measured. */
export function missedTargets(all: Results): string[] {
  const { bundles } = all;
  const checks: Array<[measured: boolean, met: boolean, line: string]> = [
    [!!bundles, (bundles?.['content.js'] ?? 0) <= 2 * 1024, `content.js is ${bundles?.['content.js']} bytes (target <= 2 KB)`],
    [!!bundles, (bundles?.['page.js'] ?? 0) <= 3 * 1024, `page.js is ${bundles?.['page.js']} bytes (target <= 3 KB)`],
    [!!bundles, (bundles?.total ?? 0) <= 120 * 1024, `all scripts are ${bundles?.total} bytes (target <= 120 KB)`],
  ];
  const missed = ENGINES.flatMap((engine) => {
    const results = all[engine];
    return results ? missedIn(results).map((line) => `${ENGINE_NAMES[engine]}: ${line}`) : [];
  });
  return [...missed, ...checks.filter(([measured, met]) => measured && !met).map(([, , line]) => line)];
}

function missedIn(results: EngineResults): string[] {
  const { getToken, coldStart, burst, soak, restartSoak, pageOverhead: po, flood, headerRules } = results;
  const checks: Array<[measured: boolean, met: boolean, line: string]> = [
    [!!getToken, (getToken?.ratioP50 ?? 0) <= 1.3, `cached getToken / echo at p50 is ${getToken?.ratioP50} (target <= 1.3)`],
    [!!flood, (flood?.ratioP90 ?? 0) <= 2, `getToken p90 under a flood of 8 MB messages / without is ${flood?.ratioP90} (target <= 2)`],
    [
      !!headerRules,
      (headerRules?.ruleFactor ?? 0) <= 1.1,
      `a request with the header a rule adds costs ${headerRules?.ruleFactor} times one whose page writes it (target <= 1.1)`,
    ],
    [!!coldStart, (coldStart?.ratio ?? 0) <= 1.15, `cold start getToken / echo is ${coldStart?.ratio} (target <= 1.15)`],
    [
      !!burst,
      burst?.refreshRequests === 1 && burst.staleTokens === 0,
      `burst sent ${burst?.refreshRequests} refresh requests with ${burst?.staleTokens} stale tokens (target exactly 1, none stale)`,
    ],
    [
      !!po,
      // Compared at the reported precision: 0.69 + 0.1 is 0.7899999999999999 in floating point.
      !!po && round(po.scriptMs - po.requiredScriptMs) <= 0.1,
      `page overhead: script ${po?.scriptMs} ms against the required work's ${po?.requiredScriptMs} ms (target required work + 0.1 ms)`,
    ],
    [
      !!po,
      !!po && po.dclMs <= po.requiredDclMs * 1.02,
      `page overhead: DOMContentLoaded ${po?.dclMs} ms against the required work's ${po?.requiredDclMs} ms, median of ${po?.runs.length} runs (target required work x 1.02)`,
    ],
    [
      !!po,
      !!po && po.heapKb <= po.floorHeapKb + 300,
      `page overhead: heap ${po?.heapKb} KB against the floor's ${po?.floorHeapKb} KB (target floor + 300 KB)`,
    ],
    [
      !!soak,
      !!soak && soak.refreshes >= soak.expected.min && soak.refreshes <= soak.expected.max && soak.expiredServed === 0,
      `soak: ${soak?.refreshes} refreshes, ${soak?.expected.min} to ${soak?.expected.max} expected, ${soak?.expiredServed} expired served (target in range, none)`,
    ],
    [!!restartSoak, restartSoak?.expiredReceived === 0, `restart soak: ${restartSoak?.expiredReceived} expired tokens received (target 0)`],
  ];
  return checks.filter(([measured, met]) => measured && !met).map(([, , line]) => line);
}

/** What one engine measured. */
export type EngineResults = {
  getToken?: Awaited<ReturnType<typeof measureCached>>;
  coldStart?: Awaited<ReturnType<typeof measureColdStart>>;
  burst?: Awaited<ReturnType<typeof measureBurst>>;
  soak?: Awaited<ReturnType<typeof measureSoak>>;
  restartSoak?: Awaited<ReturnType<typeof measureRestartSoak>>;
  saveWindow?: Awaited<ReturnType<typeof measureSaveWindow>>;
  pageOverhead?: Awaited<ReturnType<typeof measurePageOverhead>>;
  workerHeap?: Awaited<ReturnType<typeof measureWorkerHeap>>;
  flood?: Awaited<ReturnType<typeof measureFlood>>;
  headerRules?: Awaited<ReturnType<typeof measureHeaderRules>>;
};

/** What a run measured, by engine; the scripts are the same in both, so their sizes once. */
export type Results = {
  chromium?: EngineResults;
  firefox?: EngineResults;
  bundles?: Record<string, number>;
};

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function table(all: Results): string {
  const { bundles = {} } = all;
  const rows = ['| engine | measure | result | target |', '|---|---|---|---|'];
  for (const engine of ENGINES) {
    const results = all[engine];
    if (results) rows.push(...rowsOf(results).map((row) => `| ${ENGINE_NAMES[engine]} ${row}`));
  }
  rows.push(`| both | content.js / page.js | ${kb(bundles['content.js'] ?? 0)} / ${kb(bundles['page.js'] ?? 0)} | <= 2 KB / <= 3 KB |`);
  rows.push(`| both | all scripts | ${kb(bundles.total ?? 0)} | <= 120 KB |`);
  return `\n${rows.join('\n')}\n`;
}

/** One engine's rows, each from its measure on (the caller puts the engine first). */
function rowsOf(results: EngineResults): string[] {
  const { getToken, coldStart, burst, soak, restartSoak, saveWindow, pageOverhead: po, workerHeap: wh, flood, headerRules: hr } = results;
  const rows: string[] = [];
  if (getToken) {
    rows.push(`| cached tako_getToken p50 / p99 | ${getToken.p50Ms} / ${getToken.p99Ms} ms | |`);
    rows.push(`| bare echo p50 | ${getToken.echoP50Ms} ms | |`);
    rows.push(`| getToken / echo at p50 | ${getToken.ratioP50} | <= 1.3 |`);
  }
  if (flood) {
    rows.push(
      '| getToken p90 without / under a flood of 8 MB messages from a page not allowed ' +
        `(${flood.messagesSent} sent, ${flood.refused} refused) ` +
        `| ${flood.quietP90Ms} / ${flood.floodedP90Ms} ms = ${flood.ratioP90} | <= 2 |`,
    );
  }
  if (hr) {
    rows.push(
      `| header-only: ignore_bid p50 with the header a rule adds / the page writing it, ${hr.calls} requests each ` +
        `| ${hr.ruleP50Ms} / ${hr.otherOriginAfterP50Ms} ms (p90 ${hr.ruleP90Ms} ms) | |`,
    );
    rows.push(`| header-only: the same pages both writing it, before the grant | ${hr.writtenP50Ms} / ${hr.otherOriginBeforeP50Ms} ms | |`);
    rows.push(
      `| header-only: the rule's cost, ratio after / ratio before | ${hr.ratioAfter} / ${hr.ratioBefore} = ${hr.ruleFactor} | <= 1.1 |`,
    );
  }
  if (coldStart) {
    rows.push(`| cold start getToken / echo p50 | ${coldStart.p50Ms} / ${coldStart.echoP50Ms} ms = ${coldStart.ratio} | <= 1.15 |`);
  }
  if (burst) {
    rows.push(
      `| burst: refresh requests for ${burst.calls} calls | ${burst.refreshRequests} (p99 ${burst.p99Ms} ms, stale ${burst.staleTokens}) ` +
        '| exactly 1 |',
    );
  }
  if (po) {
    rows.push(
      `| page overhead of ${po.extension}, ${po.runs.length} runs of ${po.loads} loads each, medians of the runs: script, ${po.scriptMeasure} (Tako / required work / floor / none) ` +
        `| ${po.scriptMs} / ${po.requiredScriptMs} / ${po.floorScriptMs} / ${po.noneScriptMs} ms | required work + 0.1 ms |`,
    );
    rows.push(
      '| page overhead: DOMContentLoaded (Tako / required work / floor / none) ' +
        `| ${po.dclMs} / ${po.requiredDclMs} / ${po.floorDclMs} / ${po.noneDclMs} ms | required work x 1.02 |`,
    );
    po.runs.forEach((run, index) => {
      rows.push(
        `| page overhead, run ${index + 1}: DOMContentLoaded (Tako / required work), script (Tako / required work) ` +
          `| ${run.dclMs} / ${run.requiredDclMs} ms, ${run.scriptMs} / ${run.requiredScriptMs} ms | |`,
      );
    });
    rows.push(
      `| page overhead: spread of DOMContentLoaded across runs (Tako / required work) | ${po.dclSpreadMs} / ${po.requiredDclSpreadMs} ms | |`,
    );
    rows.push(
      `| page overhead: JS heap, ${po.heapMeasure}${po.heapLoads < po.loads ? `, ${po.heapLoads} of the ${po.loads} loads of each run` : ''} (Tako / required work / floor / none) ` +
        `| ${po.heapKb} / ${po.requiredHeapKb} / ${po.floorHeapKb} / ${po.noneHeapKb} KB | floor + 300 KB |`,
    );
  }
  if (wh) {
    rows.push(
      `| worker JS heap after GC: after sign-in / after ${wh.refreshes} refreshes of ${wh.tokenLifetimeSec} s tokens ` +
        `| ${wh.afterSignInKb} / ${wh.afterRefreshesKb} KB (same worker: ${wh.sameWorker}) | |`,
    );
  }
  if (soak) {
    rows.push(
      `| soak ${soak.minutes} min: refreshes / expected, expired served | ${soak.refreshes} / ${soak.expected.min} to ${soak.expected.max}, ` +
        `${soak.expiredServed} | in range (one per 7 to 8 s), 0 |`,
    );
  }
  if (restartSoak) {
    const r = restartSoak;
    rows.push(
      `| restart soak: ${r.cycles} restarts, ${r.injected5xx} injected 5xx: expired tokens received ` +
        `| ${r.expiredReceived} of ${r.tokens} (refresh-failing ${r.refreshFailing}, other refusals ${r.otherRefusals}, ` +
        `sessions lost ${r.sessionsLost}, lowest margin on arrival ${r.lowestMarginOnArrivalMs} ms) | 0 |`,
    );
  }
  if (saveWindow) {
    const w = saveWindow;
    rows.push(
      '| save window: reply in hand to write started / committed, p50 (p99) ' +
        `| ${w.replyToWriteStartP50Ms} / ${w.replyToCommitP50Ms} (${w.replyToCommitP99Ms}) ms | |`,
    );
    rows.push(
      `| worker stopped at a random moment of a refresh: pair lost | ${w.lost} of ${w.stops} ` +
        `(saved ${w.saved}, recovered by a second refresh ${w.recovered}) | |`,
    );
  }
  return rows;
}
