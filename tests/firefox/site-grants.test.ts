/**
 * Site grants in real Firefox ESR: the duration chosen in the approval window and the activity the
 * popup shows, as in Chromium (tests/e2e/site-grants.spec.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { byTestId, launchFirefoxWithExtension, useEndpointInFirefox } from '../../tools/dev/firefox.ts';
import { type Stack, startStack } from '../../tools/stack/server.ts';
import { callFrom, nextApprovalWindow, signInFromPopup } from '../support/firefox.ts';

const DAY_MS = 86_400_000;

describe('Firefox: site grants', () => {
  let stack: Stack;
  let profile: string;
  before(async () => {
    stack = await startStack({ port: 0 });
    profile = await mkdtemp(path.join(os.tmpdir(), 'tako-session-firefox-'));
  });
  after(async () => {
    await stack.close();
    await rm(profile, { recursive: true, force: true });
  });

  test('a grant for one day, chosen in the approval window; the tokens the site received, in the popup', { timeout: 150_000 }, async () => {
    const firefox = await launchFirefoxWithExtension(profile);
    try {
      await useEndpointInFirefox(firefox, stack.url);
      const demo = await firefox.openPage(`${stack.url}/?autoconfirm=1`);
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
