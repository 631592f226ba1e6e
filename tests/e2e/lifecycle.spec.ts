/**
 * The session's life in real Chromium on 10 s tokens: refreshed on its alarm before expiry, the
 * refresh token rotating, never handed out expired; kept across a stopped worker and a relaunched
 * browser, with a refresh that fell due while the browser was closed run at start.
 */

import { expectSignedIn, signedInAndAllowed, signInFromPopup } from '../support/e2e/popup.ts';
import { arrivedExpired, startTokenPoll, stopTokenPoll, tokenPollEntries } from '../support/e2e/token-poll.ts';
import { expect, test } from './fixtures.ts';

// 10 s tokens: refreshed on the alarm at exp - 2 s (20%), handed out with 1 s left at least.
const LIFETIME_S = 10;
test.use({ stackOptions: { accessTtlSec: LIFETIME_S } });

test('the token refreshes on its alarm before expiry, rotates, and is never handed out expired', async ({ extension, stack }) => {
  const { demo } = await signedInAndAllowed(extension, stack);

  // A page asks four times a second until two refreshes were answered and it got the third token
  // (about two lifetimes), each arrival timed in the page itself.
  await startTokenPoll(demo, 250);
  await expect
    .poll(
      async () => {
        const answered = stack.requests('/v2/refresh_token').filter((request) => request.status !== null).length;
        const tokens = new Set((await tokenPollEntries(demo)).flatMap((entry) => (entry.token ? [entry.token] : []))).size;
        return answered >= 2 && tokens >= 3;
      },
      { timeout: 6 * LIFETIME_S * 1000 },
    )
    .toBe(true);
  const entries = await stopTokenPoll(demo);
  expect(entries.filter((entry) => entry.token === undefined)).toEqual([]);
  for (const entry of entries) expect(entry.exp).toBe(entry.expiresAt);
  expect(arrivedExpired(entries)).toEqual([]);
  const seen = new Set(entries.map((entry) => entry.token));

  const refreshes = stack.requests('/v2/refresh_token');
  expect(refreshes.length).toBeGreaterThanOrEqual(2);
  expect(refreshes.every((request) => request.status === 200)).toBe(true);
  // Rotation: every refresh used a different refresh token.
  const used = refreshes.map((request) => (request.body as { refresh_token: string }).refresh_token);
  expect(new Set(used).size).toBe(used.length);
  expect(seen.size).toBeGreaterThanOrEqual(3);
  // The alarm did the refreshing: the page never had to wait for one.
  expect(stack.requests('/v2/token')).toHaveLength(1);
});

test('a stopped worker and a relaunched browser keep the session; a refresh due while closed runs at start', async ({
  extension,
  stack,
}) => {
  await extension.useEndpoint(stack.url);
  await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  const firstExpiry = Number(await popup.getByTestId('token-expires').getAttribute('data-expires-at'));

  await extension.stopWorker();
  const again = await extension.openPage('popup.html');
  await expectSignedIn(again);
  await expect(again.getByTestId('token-expires')).toHaveAttribute('data-expires-at', String(firstExpiry));

  // Closed across the refresh point (exp - 2 s) and past the access token's expiry.
  await extension.context.close();
  const refreshesBefore = stack.requests('/v2/refresh_token').length;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstExpiry - Date.now()) + 1000));
  await extension.restart();

  await expect.poll(() => stack.requests('/v2/refresh_token').length).toBe(refreshesBefore + 1);
  const reopened = await extension.openPage('popup.html');
  await expectSignedIn(reopened);
  const newExpiry = Number(await reopened.getByTestId('token-expires').getAttribute('data-expires-at'));
  expect(newExpiry).toBeGreaterThan(Date.now());
  expect(stack.requests('/v2/token')).toHaveLength(1);
});
