/**
 * Races a person meets on their worst day, driven for real: a page forcing refreshes while the
 * person signs out in the popup. A sign-out is final: no session comes back, no alarm is left,
 * and no refresh request goes out after it.
 */
import { StorageKeys } from '../../src/background/storage/storage-keys.ts';
import { alarmNames, readStore } from '../support/e2e/extension-state.ts';
import { callFrom, getTokenFrom } from '../support/e2e/page-api.ts';
import { expectSignedIn, signedInAndAllowed } from '../support/e2e/popup.ts';
import { expect, test } from './fixtures.ts';

/** How long the stack holds each refresh reply, after acting on it: the refresh is "in flight". */
const HELD_MS = 250;

// Guards the one-writer rule end to end: each round signs in, the page reports its token as
// refused (one forced refresh, its reply held by the API), and the popup signs out at a varying
// moment of that refresh: as the report leaves, once the API has the request, and just after.
// The page's call settles, then the session must still be signed out, with nothing stored, no
// alarm, and no refresh request that reached the API more than 1 s after the sign-out.
test('a page forcing refreshes while the popup signs out, 20 rounds: never a session back, never a refresh after', async ({
  extension,
  stack,
}) => {
  test.setTimeout(120_000);
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  for (let round = 0; round < 20; round++) {
    if (round > 0) {
      await popup.getByTestId('sign-in').click();
      await expectSignedIn(popup);
    }
    const { token } = ((await getTokenFrom(demo)) as { token: { token: string } }).token;
    stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'delay-reply', delayMs: HELD_MS });
    const refreshesBefore = stack.requests('/v2/refresh_token').length;
    const reported = callFrom(demo, 'tako_getToken', { rejectedToken: token });
    const moment = round % 3;
    if (moment >= 1) await expect.poll(() => stack.requests('/v2/refresh_token').length).toBeGreaterThan(refreshesBefore);
    if (moment === 2) await expect.poll(() => stack.requests('/v2/refresh_token').at(-1)?.status).toBe(200);
    await popup.getByTestId('sign-out').click();
    const signedOutAt = stack.now();
    await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
    await reported;
    // Whatever the refresh did, its reply has been handled by now: the page's call waited for it.
    await expect.poll(() => stack.faults.pending()).toEqual([]);

    await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
    expect(await callFrom(demo, 'tako_getSession')).toEqual({ result: null });
    // Read through the popup, an extension page that is open anyway.
    const stored = await readStore(extension, popup);
    expect(
      Object.keys(stored).filter((key) => key.startsWith(StorageKeys.sessionPrefix)),
      `round ${round}`,
    ).toEqual([]);
    expect(await alarmNames(extension, popup), `round ${round}`).toEqual([]);
    const late = stack.requests('/v2/refresh_token').filter((request) => request.at > signedOutAt + 1000);
    expect(late, `round ${round}`).toEqual([]);
  }
});
