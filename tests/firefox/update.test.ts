/**
 * An extension update in real Firefox ESR, which lets an add-on listening to
 * `runtime.onUpdateAvailable` choose when it is applied: never in the middle of a refresh. The
 * update arrives while the API has rotated the pair and its reply is still on the way; applied
 * then, the new pair would be lost with the old background (the old refresh token is spent).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { byTestId, launchFirefoxWithExtension, useEndpointInFirefox } from '../../tools/dev/firefox.ts';
import { expectSignedIn, refreshesAnswered, signInFromPopup, suiteStackAndProfile, until, writeUpdateXpi } from '../support/firefox.ts';

describe('Firefox: an update', () => {
  // 10 s tokens: the refresh falls due 2 s before expiry; its reply is held 3 s after the API has
  // rotated the pair, long enough for the update to arrive in between.
  const HELD_MS = 3_000;
  const suite = suiteStackAndProfile({ accessTtlSec: 10 });

  // Guards that an update waits for the refresh in flight: applied at once (no listener, or a
  // reload that does not wait), the rotated pair is lost and the next refresh is refused.
  test('an update arriving during a refresh is applied after it, and the session goes on', { timeout: 120_000 }, async (t) => {
    const firefox = await launchFirefoxWithExtension(suite.profile);
    try {
      const before = await firefox.addonVersion();
      const updateXpi = path.join(suite.profile, 'update.xpi');
      const updated = await writeUpdateXpi(updateXpi);
      await useEndpointInFirefox(firefox, suite.stack.url);
      await firefox.openPage(`${suite.stack.url}/?autoconfirm=1`);
      suite.stack.clearRequests();
      await signInFromPopup(firefox);

      suite.stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'delay-reply', delayMs: HELD_MS });
      // The refresh alarm fires; the API rotates the pair (the log has its status) and holds the reply.
      await until(() => suite.stack.requests('/v2/refresh_token')[0]?.status === 200, t.signal);
      await firefox.startUpdate(updateXpi);
      await until(async () => (await firefox.addonVersion()) === updated, t.signal);
      assert.notEqual(before, updated);

      // The new version started with the pair the held reply carried: its next refresh spends
      // that refresh token and is answered, and the popup shows the session.
      assert.deepEqual(await refreshesAnswered(suite.stack, 2, t.signal), [200, 200]);
      const used = suite.stack.requests('/v2/refresh_token').map((request) => (request.body as { refresh_token: string }).refresh_token);
      assert.equal(new Set(used).size, 2);
      const popup = await firefox.openExtensionPage('popup.html');
      await expectSignedIn(popup);
      await byTestId(popup, 'token-expires');
    } finally {
      await firefox.close();
    }
  });
});
