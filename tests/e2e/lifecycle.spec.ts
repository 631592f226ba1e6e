import { expect, expectSignedIn, getTokenFrom, jwtPayload, signedInAndAllowed, signInFromPopup, test } from './fixtures.ts';

const LIFETIME_S = 20;
test.use({ stackOptions: { accessTtlSec: LIFETIME_S } });

test('the token refreshes on its alarm before expiry, rotates, and is never handed out expired', async ({ extension, stack }) => {
  test.setTimeout(120_000);
  const { demo } = await signedInAndAllowed(extension, stack);

  const seen = new Set<string>();
  // Sample once a second for two full lifetimes.
  for (let i = 0; i < 2 * LIFETIME_S; i++) {
    const reply = await getTokenFrom(demo);
    expect(reply).toHaveProperty('token');
    const { token, expiresAt } = (reply as { token: { token: string; expiresAt: number } }).token;
    const sampledAt = Date.now();
    expect(jwtPayload(token).exp * 1000).toBe(expiresAt);
    expect(expiresAt).toBeGreaterThan(sampledAt);
    seen.add(token);
    await demo.waitForTimeout(1000);
  }

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
  test.setTimeout(120_000);
  await extension.useEndpoint(stack.url);
  await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  const firstExpiry = Number(await popup.getByTestId('token-expires').getAttribute('data-expires-at'));

  await extension.stopWorker();
  const again = await extension.openPage('popup.html');
  await expectSignedIn(again);
  await expect(again.getByTestId('token-expires')).toHaveAttribute('data-expires-at', String(firstExpiry));

  // Closed across the refresh point (exp - 4 s) and past the access token's expiry.
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
