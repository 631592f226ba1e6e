/**
 * Minutes of short-lived tokens with a page asking for one every second: refreshes on schedule, and
 * no expired token served.
 */
import type { Page } from '@playwright/test';
import type { Stack } from '../../tools/stack/server.ts';
import { SOAK_MINUTES } from './flags.ts';

/** SOAK_MINUTES with 10 s tokens, sampling a token every second from the page. */
export async function measureSoak(stack: Stack, popup: Page, demo: Page) {
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
