/**
 * Header-only access in real Firefox ESR, as in Chromium (tests/e2e/header-only.spec.ts): the
 * same declarativeNetRequest session rules, set from Firefox's event page, put the header on the
 * allowed site's requests to the API only; the page never receives a token; the header follows a
 * refresh and ends with a revoke. Which request carried a header is read from the stack's log.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { HEADER_ONLY_REASON } from '../../src/background/messaging/page-api.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { byTestId, launchFirefoxWithExtension, useEndpointInFirefox } from '../../tools/dev/firefox.ts';
import { JWT } from '../support/e2e/leak-patterns.ts';
import { recordWindowMessages } from '../support/e2e/window-messages.ts';
import { nextApprovalWindow, refreshesAnswered, signInFromPopup, suiteStackAndProfile, until } from '../support/firefox.ts';
import { servePlainPage } from '../support/plain-page-server.ts';

const IGNORE_BID = '/v2/farcaster/ignore_bid';

/** A POST from the page's own script, with no header of its own; resolves once its reply arrived. */
function rawCall(page: Page, url: string): Promise<void> {
  return page.evaluate(async (target) => {
    const sameOrigin = new URL(target).origin === location.origin;
    await fetch(target, { method: 'POST', ...(sameOrigin ? {} : { mode: 'no-cors' as const }) }).catch(() => undefined);
  }, url);
}

describe('Firefox: header-only access', () => {
  const suite = suiteStackAndProfile();

  test('a header-only site calls ignore_bid with a header the browser adds; nobody else gets it; it follows a refresh and a revoke', {
    timeout: 240_000,
  }, async (t) => {
    const { stack } = suite;
    const api = `${stack.url}${IGNORE_BID}`;
    const logged = () => stack.requests(IGNORE_BID).map(({ status, authorization }) => ({ status, authorization }));
    const firefox = await launchFirefoxWithExtension(suite.profile);
    const elsewhere = await servePlainPage();
    try {
      await useEndpointInFirefox(firefox, stack.url);
      const demo = await firefox.browser.newPage();
      await demo.evaluateOnNewDocument(recordWindowMessages);
      await demo.goto(`${stack.url}/?autoconfirm=1`);
      const popup = await signInFromPopup(firefox);

      // The demo asks for header-only access; the window says so in words.
      await demo.bringToFront();
      const opened = nextApprovalWindow(firefox);
      await (await byTestId(demo, 'demo-request-header-access')).click();
      const approval = await opened;
      await byTestId(approval, 'request-scope', '[data-token-access="header"]');
      await byTestId(approval, 'header-only-scope', ':not([hidden])');
      const allow = await byTestId(approval, 'approve', ':enabled');
      await allow.evaluate((node) => setTimeout(() => (node as HTMLElement).click()));
      await byTestId(demo, 'demo-connection', '[data-connected="true"]');

      // The demo's button (the client module writes no header), and a bare fetch of the page's own.
      stack.clearRequests();
      await (await byTestId(demo, 'demo-call-api')).click();
      await byTestId(demo, 'demo-result', '[data-status="200"]');
      await rawCall(demo, api);
      assert.deepEqual(logged(), [
        { status: 200, authorization: true },
        { status: 200, authorization: true },
      ]);
      const refused = await demo.evaluate(async () => {
        try {
          return await window.takoSession!.request({ method: 'tako_getToken' });
        } catch (error) {
          return { code: (error as { code: number }).code, data: (error as { data: unknown }).data };
        }
      });
      assert.deepEqual(refused, { code: TakoSessionErrorCode.Unauthorized, data: { reason: HEADER_ONLY_REASON } });

      // Another origin of the same host, not allowed: no header.
      const other = await firefox.openPage(`${elsewhere.url}/`);
      stack.clearRequests();
      await rawCall(other, api);
      assert.deepEqual(logged(), [{ status: 401, authorization: false }]);

      // A refresh after every token so far was revoked: the next request carries the new one.
      stack.clearRequests();
      stack.revokeAccessTokens();
      await popup.bringToFront();
      await (await byTestId(popup, 'refresh-now', ':enabled')).click();
      assert.deepEqual(await refreshesAnswered(stack, 1, t.signal), [200]);
      await byTestId(popup, 'session', '[data-state="signed-in"]');
      stack.clearRequests();
      await rawCall(demo, api);
      assert.deepEqual(logged(), [{ status: 200, authorization: true }]);

      // The popup names it header-only; revoked there, the header goes.
      const site = await byTestId(popup, 'site', '[data-token-access="header"]');
      await (await site.$('[data-testid="revoke"]'))!.click();
      await until(async () => (await popup.$('[data-testid="site"]')) === null, t.signal);
      stack.clearRequests();
      await rawCall(demo, api);
      assert.deepEqual(logged(), [{ status: 401, authorization: false }]);

      // Every message the page's window received: no token in any.
      const messages = await demo.evaluate(() => (window as unknown as { __windowMessages: Array<{ json: string }> }).__windowMessages);
      assert.ok(messages.length > 10);
      assert.deepEqual(
        messages.filter(({ json }) => new RegExp(JWT.source).test(json)),
        [],
      );
    } finally {
      await firefox.close();
      await elsewhere.close();
    }
  });
});
