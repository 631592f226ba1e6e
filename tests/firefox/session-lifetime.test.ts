/**
 * Session lifetimes in real Firefox ESR, where the background is an event page and memory-only
 * storage is Firefox's own: "sign out when the browser closes" survives a stopped background and
 * ends at the next browser start, with the reason in the popup and for pages.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import type { UiRequest } from '../../src/core/contract/ui-protocol.ts';
import { byTestId, launchFirefoxWithExtension, useEndpointInFirefox } from '../../tools/dev/firefox.ts';
import { answerAccess, callFrom, expectSignedIn, signInFromPopup, suiteStackAndProfile } from '../support/firefox.ts';

describe('Firefox: session lifetime', () => {
  const suite = suiteStackAndProfile();

  // Guards that the browser run is told apart from a background restart in Firefox too: kept
  // across a stopped event page, ended by closing the browser.
  test('browser-close: kept across a stopped background, ended by a browser restart, said in the popup and to pages', {
    timeout: 180_000,
  }, async () => {
    let firefox = await launchFirefoxWithExtension(suite.profile);
    try {
      await useEndpointInFirefox(firefox, suite.stack.url);
      const options = await firefox.openExtensionPage('options.html');
      const save: UiRequest = {
        type: 'save-settings',
        endpoint: { preset: 'custom', baseUrl: suite.stack.url, version: 'v2' },
        sessionLifetime: { kind: 'browser-close' },
      };
      assert.equal((await options.evaluate((message) => browser.runtime.sendMessage(message), save)).ok, true);
      const demo = await firefox.openPage(`${suite.stack.url}/?autoconfirm=1`);
      await signInFromPopup(firefox);
      assert.equal((await answerAccess(firefox, demo, 'approve')).code, undefined);

      await firefox.stopBackground();
      const popup = await firefox.openExtensionPage('popup.html');
      await expectSignedIn(popup);
    } finally {
      await firefox.close();
    }

    firefox = await launchFirefoxWithExtension(suite.profile, { install: false });
    try {
      const popup = await firefox.openExtensionPage('popup.html');
      await byTestId(popup, 'session', '[data-state="signed-out"]');
      await byTestId(popup, 'session-ended', '[data-rule="browser-close"]:not([hidden])');
      const demo = await firefox.openPage(`${suite.stack.url}/`);
      const outcome = await demo.evaluate(async () => {
        try {
          await window.takoSession!.request({ method: 'tako_getToken' });
          return { code: 0, reason: undefined };
        } catch (error) {
          const { code, data } = error as { code: number; data?: { reason?: string } };
          return { code, reason: data?.reason };
        }
      });
      assert.deepEqual(outcome, { code: TakoSessionErrorCode.NoSession, reason: 'timed-out' });
      assert.equal((await callFrom(demo, 'tako_getSession')).code, undefined, 'the site is still allowed');
      assert.equal(suite.stack.requests('/v2/refresh_token').length, 0);
    } finally {
      await firefox.close();
    }
  });
});
