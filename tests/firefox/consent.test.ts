/**
 * Consent in real Firefox ESR, where the background reaches a document differently from Chromium
 * (an event page; documentId as Firefox reports it): an approval belongs to the document that
 * asked, so the tab going to another site closes the window and grants nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { launchFirefoxWithExtension, useEndpointInFirefox } from '../../tools/dev/firefox.ts';
import { callFrom, nextApprovalWindow, suiteStackAndProfile, until } from '../support/firefox.ts';

/**
 * Starts `takoSession.request({ method })` in the page and returns at once. Waiting on it from
 * here would be wrong when the page then navigates: puppeteer runs a pending evaluate again in
 * the next document, which would then ask by itself.
 */
async function askWithoutWaiting(page: Page, method: string): Promise<void> {
  await page.evaluate((name) => {
    window.takoSession!.request({ method: name as 'tako_requestAccess' }).catch(() => undefined);
  }, method);
}

describe('Firefox: consent', () => {
  const suite = suiteStackAndProfile();

  // Guards that an approval belongs to the document that asked, in Firefox: the asking tab going
  // to another site ends the request (its window closes) and neither origin is granted anything.
  test('the asking tab going to another site closes the window and grants nothing', { timeout: 60_000 }, async (t) => {
    const firefox = await launchFirefoxWithExtension(suite.profile);
    try {
      await useEndpointInFirefox(firefox, suite.stack.url);
      const page = await firefox.browser.newPage();
      await page.goto(`${suite.stack.url}/?wallet=none`);
      await page.bringToFront();
      const opened = nextApprovalWindow(firefox);
      await askWithoutWaiting(page, 'tako_requestAccess');
      await opened;
      const elsewhere = suite.stack.url.replace('127.0.0.1', 'localhost');
      await page.goto(`${elsewhere}/?wallet=none`);
      // Puppeteer does not report the close of a window the extension opened: asked of the extension.
      // Approval windows are the extension's only popup windows, counted from the moment they open
      // (a window just opened still shows about:blank).
      const options = await firefox.openExtensionPage('options.html');
      const popupWindows = () =>
        options.evaluate(`browser.windows.getAll({ windowTypes: ['popup'] }).then((all) => all.length)`) as Promise<number>;
      // Bounded by the test's own timeout, so that a failure still closes Firefox.
      await until(async () => (await popupWindows()) === 0, t.signal).catch(() => undefined);
      assert.equal(await popupWindows(), 0, 'the approval window stayed open after its page went');
      assert.equal((await callFrom(page, 'tako_getSession')).code, TakoSessionErrorCode.Unauthorized);
      await page.goto(`${suite.stack.url}/?wallet=none`);
      assert.equal((await callFrom(page, 'tako_getSession')).code, TakoSessionErrorCode.Unauthorized);
    } finally {
      await firefox.close();
    }
  });
});
