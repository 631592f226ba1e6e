/**
 * Many concurrent `tako_getToken` calls from several tabs at the moment the token must be refreshed
 * first: one refresh request for all of them, and no stale token handed out.
 */
import type { BrowserContext, Page } from '@playwright/test';
import type { Stack } from '../../tools/stack/server.ts';
import { percentile, round } from '../support/bench/timing.ts';
import { BURST_CALLS } from './flags.ts';

export const BURST_TABS = 5;

/**
 * BURST_CALLS concurrent tako_getToken calls from BURST_TABS tabs at the moment the token must
 * be refreshed first (the proactive alarm is removed so the calls meet an almost expired token).
 */
export async function measureBurst(context: BrowserContext, stack: Stack, popup: Page) {
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
