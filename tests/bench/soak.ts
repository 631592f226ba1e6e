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
  // A 10 s token is refreshed 2 s before it expires (lead = 20%) on the latest the server's clock
  // can be: its Date header is whole seconds, so that is up to 1 s and a round trip later than its
  // clock really reads, and the refresh up to that much early. One refresh every 7 to 8 s.
  const leadMs = 2_000;
  const dateResolutionMs = 1_000;
  const expected = {
    min: Math.floor(durationMs / (lifetimeSec * 1000 - leadMs)),
    max: Math.ceil(durationMs / (lifetimeSec * 1000 - leadMs - dateResolutionMs)),
  };
  return { minutes: SOAK_MINUTES, refreshes, expected, expiredServed: samples.expired, served: samples.served };
}
