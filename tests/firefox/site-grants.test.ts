/**
 * Site grants in real Firefox ESR: the duration chosen in the approval window and the activity the
 * popup shows, as in Chromium (tests/e2e/site-grants.spec.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { byTestId, launchFirefoxWithExtension, useEndpointInFirefox } from '../../tools/dev/firefox.ts';
import { callFrom, nextApprovalWindow, signInFromPopup, suiteStackAndProfile } from '../support/firefox.ts';

const DAY_MS = 86_400_000;

describe('Firefox: site grants', () => {
  const suite = suiteStackAndProfile();

  test('a grant for one day, chosen in the approval window; the tokens the site received, in the popup', { timeout: 150_000 }, async () => {
    const firefox = await launchFirefoxWithExtension(suite.profile);
    try {
      await useEndpointInFirefox(firefox, suite.stack.url);
      const demo = await firefox.openPage(`${suite.stack.url}/?autoconfirm=1`);
      await signInFromPopup(firefox);
      await demo.bringToFront();
      const before = Date.now();
      const opened = nextApprovalWindow(firefox);
      const access = callFrom(demo, 'tako_requestAccess');
      access.catch(() => undefined);
      const approval = await opened;
      await approval.select('[data-testid="grant-duration"]', '1d');
      const allow = await byTestId(approval, 'approve', ':enabled');
      await allow.evaluate((node) => setTimeout(() => (node as HTMLElement).click()));
      assert.equal((await access).code, undefined);
      for (let i = 0; i < 2; i++)
        assert.equal(((await callFrom(demo, 'tako_getToken')).result as { tokenType: string }).tokenType, 'Bearer');

      const popup = await firefox.openExtensionPage('popup.html');
      const site = await byTestId(popup, 'site', '[data-tokens="2"]');
      const shown = await site.evaluate((node) => ({ ...(node as HTMLElement).dataset }));
      assert.equal(shown.duration, 'timed');
      assert.ok(Number(shown.expiresAt) >= before + DAY_MS && Number(shown.expiresAt) <= Date.now() + DAY_MS);
      assert.ok(Number(shown.lastUsed) >= before);
    } finally {
      await firefox.close();
    }
  });
});
