/**
 * The first `tako_getToken` after the background was stopped (Chromium's service worker, Firefox's
 * event page), against a bare echo after the same stop: what waking the background costs the
 * extension beyond what it costs any message. The same in both engines.
 */
import type { SignedInBrowser } from '../support/bench/engines.ts';
import { percentile, round, timeCalls } from '../support/bench/timing.ts';
import { COLD_RUNS } from './flags.ts';

export async function measureColdStart(browser: SignedInBrowser) {
  const getToken: number[] = [];
  const echo: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    await browser.stopBackground();
    getToken.push(...(await timeCalls(browser.demo, 'tako_getToken', 1)));
    await browser.stopBackground();
    echo.push(...(await timeCalls(browser.demo, 'bench_echo', 1)));
  }
  const p50 = percentile(getToken, 50);
  const echoP50 = percentile(echo, 50);
  return { p50Ms: round(p50), echoP50Ms: round(echoP50), ratio: round(p50 / echoP50) };
}
