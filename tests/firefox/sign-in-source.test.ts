/**
 * Where the signature comes from, in real Firefox ESR. A wallet step for the document pinned for a
 * sign-in is kept from the document the tab shows next twice over: the background addresses it by
 * the document's documentId where the browser reports one (this Firefox ESR does, as Chromium
 * does; Firefox releases the add-on supports that do not, address the top frame), and the relay
 * refuses a step whose pin its document does not hold. Either alone keeps the step out: this test
 * fails only with both removed; tests/unit/relay.test.ts holds the relay's pin check by itself.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { documentGoneMessage } from '../../src/background/wallets/page-wallet.ts';
import { ContentToBridgeSchema, parseMessage } from '../../src/core/contract/protocol.ts';
import { byTestId, launchFirefoxWithExtension, useEndpointInFirefox } from '../../tools/dev/firefox.ts';
import { suiteStackAndProfile } from '../support/firefox.ts';

/** Keeps every message posted on the page's window, from its first script on (as JSON). */
function recordWindowMessages(): void {
  const log: string[] = [];
  Object.defineProperty(window, '__windowMessages', { value: log });
  window.addEventListener('message', (event) => log.push(JSON.stringify(event.data) ?? 'null'), true);
}

/** The wallet steps the relay showed this document's page. */
async function walletStepsShown(page: Page): Promise<unknown[]> {
  const log = await page.evaluate(() => (window as unknown as { __windowMessages: string[] }).__windowMessages);
  return log.map((json) => JSON.parse(json) as unknown).filter((message) => parseMessage(ContentToBridgeSchema, message) !== undefined);
}

describe('Firefox: sign-in with a page wallet', () => {
  const suite = suiteStackAndProfile();

  // Guards: the steps of one sign-in go to one document. The page reloads while the person picks
  // one of its two wallets; the new document has its relay connected (the demo page uses
  // window.takoSession at once), so a step sent to the tab's top frame would reach it. The step
  // must not reach its page: the sign-in ends with a clear error, nothing is signed or stored.
  test('a page that reloads between two steps of a sign-in is asked nothing more', { timeout: 120_000 }, async () => {
    const firefox = await launchFirefoxWithExtension(suite.profile);
    try {
      await useEndpointInFirefox(firefox, suite.stack.url);
      const demo = await firefox.browser.newPage();
      await demo.evaluateOnNewDocument(recordWindowMessages);
      await demo.goto(`${suite.stack.url}/?wallets=2&autoconfirm=1`);

      const popup = await firefox.openExtensionPage('popup.html');
      await byTestId(popup, 'session', '[data-state="signed-out"]');
      await byTestId(popup, 'sign-in-source', `[data-kind="page"][data-origin="${suite.stack.url}"]`);
      await (await byTestId(popup, 'sign-in', ':not([hidden])')).click();
      // First step done: the page listed its two wallets, and the person is choosing one.
      await byTestId(popup, 'wallet-option');
      assert.equal((await popup.$$('[data-testid="wallet-option"]')).length, 2);

      await demo.reload();
      // The new document has asked the background something: its relay is connected.
      await byTestId(demo, 'demo-connection', '[data-connected]');
      await (await byTestId(popup, 'wallet-option')).click();

      // Whichever comes first: the sign-in's end in the popup, or a wallet step in the new document.
      let ended = false;
      const outcome = await Promise.race([
        byTestId(popup, 'error', ':not([hidden]):not(:empty)').then(() => 'the sign-in ended'),
        (async () => {
          while (!ended && (await walletStepsShown(demo)).length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
          return 'a wallet step reached the new document';
        })(),
      ]).finally(() => (ended = true));
      assert.deepEqual(await walletStepsShown(demo), [], 'the new document was shown no wallet step');
      assert.equal(outcome, 'the sign-in ended');

      const error = await (await byTestId(popup, 'error')).evaluate((node) => node.textContent);
      assert.equal(error, documentGoneMessage(suite.stack.url));
      await byTestId(popup, 'session', '[data-state="signed-out"]');
      assert.equal(suite.stack.requests('/v2/token').length, 0, 'nothing was signed in');
    } finally {
      await firefox.close();
    }
  });
});
