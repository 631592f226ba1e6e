/**
 * Many concurrent `tako_getToken` calls from several tabs at the moment the token must be refreshed
 * first: one refresh request for all of them, and no stale token handed out. The same in both
 * engines.
 */
import type { Stack } from '../../tools/stack/server.ts';
import type { BenchTab, SignedInBrowser } from '../support/bench/engines.ts';
import { percentile, round, sleep } from '../support/bench/timing.ts';
import { BURST_CALLS } from './flags.ts';

export const BURST_TABS = 5;

/**
 * BURST_CALLS concurrent tako_getToken calls from BURST_TABS tabs at the moment the token must
 * be refreshed first (the proactive alarm is removed so the calls meet an almost expired token).
 */
export async function measureBurst(browser: SignedInBrowser, stack: Stack) {
  stack.configure({ accessTtlSec: 20 });
  const expiresAt = await browser.refreshNow();
  await browser.clearAlarms();
  const tabs: BenchTab[] = [];
  for (let i = 0; i < BURST_TABS; i++) tabs.push(await browser.openTab(`${stack.url}/`));
  // Under min(30 s, 10%) = 2 s of validity left: every call must wait for a refresh.
  await sleep(Math.max(0, expiresAt - 1500 - Date.now()));
  const before = stack.requests('/v2/refresh_token').length;
  const perTab = Math.ceil(BURST_CALLS / BURST_TABS);
  const results = await Promise.all(
    tabs.map((tab) =>
      tab.run(async (n) => {
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
  return {
    calls: calls.length,
    refreshRequests,
    p99Ms: round(
      percentile(
        calls.map((c) => c.ms),
        99,
      ),
    ),
    staleTokens: stale,
  };
}
