/**
 * The first `tako_getToken` after the service worker was stopped, against a bare echo after the
 * same stop: what waking the worker costs the extension beyond what it costs any message.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { percentile, round, timeCalls } from '../support/bench/timing.ts';
import { COLD_RUNS } from './flags.ts';

async function stopWorker(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await cdp.detach();
  // Let the browser finish tearing the worker down before the next message wakes it.
  await page.waitForTimeout(200);
}

export async function measureColdStart(context: BrowserContext, demo: Page) {
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
