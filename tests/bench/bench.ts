/**
 * `npm run bench`: what a token costs, measured against the floor, in real Chromium with the
 * extension (the bench build: the product plus a bare `bench_echo` route) and the local stack.
 * Prints a table and writes bench-results.json. Not part of `npm test`.
 *
 * Flags: --calls N (cached getToken calls, default 2000), --cold N (cold starts, 30),
 *        --burst N (concurrent calls, 1000), --soak-minutes N (10).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { allowPageOrigin, useEndpoint } from '../../src/dev/drive.ts';
import { extensionDir, extensionIdOf, launchWithExtension, projectRoot } from '../../src/dev/launch.ts';
import { startStack, type Stack } from '../../src/stack/server.ts';

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '2000' },
    cold: { type: 'string', default: '30' },
    burst: { type: 'string', default: '1000' },
    'soak-minutes': { type: 'string', default: '10' },
  },
});
const CALLS = Number(flags.calls);
const COLD_RUNS = Number(flags.cold);
const BURST_CALLS = Number(flags.burst);
const SOAK_MINUTES = Number(flags['soak-minutes']);
const BURST_TABS = 5;
const benchExtension = path.join(projectRoot, '.bench', 'extension');

const log = (text: string) => console.log(`\u2022 ${text}`);
const round = (ms: number) => Math.round(ms * 100) / 100;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Sequential calls from the page, each timed with performance.now(). */
function timeCalls(page: Page, method: string, count: number): Promise<number[]> {
  return page.evaluate(
    async ([m, n]) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        // bench_echo exists only in the bench build, so it is not in the public method types.
        await window.takoSession!.request({ method: m as 'tako_getToken' });
        times.push(performance.now() - start);
      }
      return times;
    },
    [method, count] as const,
  );
}

async function stopWorker(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await cdp.detach();
  // Let the browser finish tearing the worker down before the next message wakes it.
  await page.waitForTimeout(200);
}

async function signIn(context: BrowserContext, id: string, stack: Stack): Promise<{ demo: Page; popup: Page }> {
  await useEndpoint(context, id, stack.url);
  const demo = await context.newPage();
  await demo.goto(`${stack.url}/?autoconfirm=1`);
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${id}/popup.html`);
  await popup.getByTestId('sign-in').click();
  await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor();
  await allowPageOrigin(context, demo);
  return { demo, popup };
}

async function measureCached(demo: Page) {
  // Warm up both paths, then interleave blocks so drift affects both alike.
  await timeCalls(demo, 'tako_getToken', 50);
  await timeCalls(demo, 'bench_echo', 50);
  const getToken: number[] = [];
  const echo: number[] = [];
  const block = 100;
  for (let done = 0; done < CALLS; done += block) {
    getToken.push(...(await timeCalls(demo, 'tako_getToken', Math.min(block, CALLS - done))));
    echo.push(...(await timeCalls(demo, 'bench_echo', Math.min(block, CALLS - done))));
  }
  const p50 = percentile(getToken, 50);
  const echoP50 = percentile(echo, 50);
  return { p50Ms: round(p50), p99Ms: round(percentile(getToken, 99)), echoP50Ms: round(echoP50), ratioP50: round(p50 / echoP50) };
}

async function measureColdStart(context: BrowserContext, demo: Page) {
  const getToken: number[] = [];
  const echo: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    await stopWorker(context, demo);
    getToken.push(...(await timeCalls(demo, 'tako_getToken', 1)));
    await stopWorker(context, demo);
    echo.push(...(await timeCalls(demo, 'bench_echo', 1)));
  }
  const p50 = percentile(getToken, 50);
  const echoP50 = percentile(echo, 50);
  return { p50Ms: round(p50), echoP50Ms: round(echoP50), ratio: round(p50 / echoP50) };
}

/**
 * BURST_CALLS concurrent tako_getToken calls from BURST_TABS tabs at the moment the token must
 * be refreshed first (the proactive alarm is removed so the calls meet an almost expired token).
 */
async function measureBurst(context: BrowserContext, id: string, stack: Stack, popup: Page) {
  stack.configure({ accessTtlSec: 20 });
  await popup.getByTestId('refresh-now').click();
  await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor();
  await popup.reload();
  const expiresAt = Number(await popup.getByTestId('token-expires').getAttribute('data-expires-at'));
  await popup.evaluate(() => chrome.alarms.clearAll());
  const tabs: Page[] = [];
  for (let i = 0; i < BURST_TABS; i++) {
    const tab = await context.newPage();
    await tab.goto(`${stack.url}/`);
    await tab.waitForFunction(() => window.takoSession !== undefined);
    tabs.push(tab);
  }
  // Under min(30 s, 10%) = 2 s of validity left: every call must wait for a refresh.
  await popup.waitForTimeout(Math.max(0, expiresAt - 1500 - Date.now()));
  const before = stack.requests('/v2/refresh_token').length;
  const perTab = Math.ceil(BURST_CALLS / BURST_TABS);
  const results = await Promise.all(
    tabs.map((tab) =>
      tab.evaluate(async (n) => {
        const calls = Array.from({ length: n }, async () => {
          const start = performance.now();
          const token = await window.takoSession!.request({ method: 'tako_getToken' });
          return { ms: performance.now() - start, expiresAt: token.expiresAt };
        });
        return Promise.all(calls);
      }, perTab),
    ),
  );
  const calls = results.flat();
  const refreshRequests = stack.requests('/v2/refresh_token').length - before;
  const stale = calls.filter((call) => call.expiresAt <= expiresAt).length;
  await Promise.all(tabs.map((tab) => tab.close()));
  return { calls: calls.length, refreshRequests, p99Ms: round(percentile(calls.map((c) => c.ms), 99)), staleTokens: stale };
}

/** SOAK_MINUTES with 10 s tokens, sampling a token every second from the page. */
async function measureSoak(stack: Stack, popup: Page, demo: Page) {
  const lifetimeSec = 10;
  stack.configure({ accessTtlSec: lifetimeSec });
  await popup.getByTestId('refresh-now').click();
  await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor();
  const before = stack.requests('/v2/refresh_token').length;
  const durationMs = SOAK_MINUTES * 60_000;
  const samples = await demo.evaluate(async (ms) => {
    let served = 0;
    let expired = 0;
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const token = await window.takoSession!.request({ method: 'tako_getToken' });
      const payload = JSON.parse(atob(token.token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
      served++;
      if (payload.exp * 1000 <= Date.now()) expired++;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return { served, expired };
  }, durationMs);
  const refreshes = stack.requests('/v2/refresh_token').length - before;
  // A 10 s token is refreshed 2 s before it expires (lead = 20%): one refresh every 8 s.
  const expected = Math.floor(durationMs / ((lifetimeSec - 2) * 1000));
  return { minutes: SOAK_MINUTES, refreshes, expected, expiredServed: samples.expired, served: samples.served };
}

async function bundleSizes(): Promise<Record<string, number>> {
  const files: Record<string, number> = {};
  async function walk(dir: string) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.js')) files[path.relative(extensionDir, full)] = (await stat(full)).size;
    }
  }
  await walk(extensionDir);
  return { ...files, total: Object.values(files).reduce((a, b) => a + b, 0) };
}

async function main() {
  const stack = await startStack({ port: 0 });
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-bench-'));
  const context = await launchWithExtension(profile, { extensionPath: benchExtension });
  try {
    const id = await extensionIdOf(context);
    const { demo, popup } = await signIn(context, id, stack);
    log(`Signed in against ${stack.url}; measuring ${CALLS} cached calls…`);
    const getToken = await measureCached(demo);
    log(`Cold starts (${COLD_RUNS} of each)…`);
    const coldStart = await measureColdStart(context, demo);
    log(`Burst of ${BURST_CALLS} calls from ${BURST_TABS} tabs at refresh time…`);
    const burst = await measureBurst(context, id, stack, popup);
    log(`Soak: ${SOAK_MINUTES} min with 10 s tokens…`);
    const soak = await measureSoak(stack, popup, demo);
    const bundles = await bundleSizes();
    const results = { getToken, coldStart, burst, bundles, soak };
    await writeFile(path.join(projectRoot, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);

    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    console.log(`
| measure | result | target |
|---|---|---|
| cached tako_getToken p50 / p99 | ${getToken.p50Ms} / ${getToken.p99Ms} ms | |
| bare echo p50 | ${getToken.echoP50Ms} ms | |
| getToken / echo at p50 | ${getToken.ratioP50} | <= 1.3 |
| cold start getToken / echo p50 | ${coldStart.p50Ms} / ${coldStart.echoP50Ms} ms = ${coldStart.ratio} | <= 1.5 |
| burst: refresh requests for ${burst.calls} calls | ${burst.refreshRequests} (p99 ${burst.p99Ms} ms, stale ${burst.staleTokens}) | exactly 1 |
| content.js / page.js | ${kb(bundles['content.js'] ?? 0)} / ${kb(bundles['page.js'] ?? 0)} | <= 5 KB / <= 15 KB |
| all scripts | ${kb(bundles.total ?? 0)} | <= 150 KB |
| soak ${soak.minutes} min: refreshes / expected, expired served | ${soak.refreshes} / ${soak.expected}, ${soak.expiredServed} | within 1, 0 |
`);
    log(`Wrote ${path.join(projectRoot, 'bench-results.json')}`);
  } finally {
    await context.close();
    await stack.close();
    await rm(profile, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
