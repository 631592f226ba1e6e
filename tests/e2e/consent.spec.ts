/**
 * The approval window as a person meets it, in real Chromium against the local stack: Allow cannot
 * be pressed before the window could be read, a refused origin cannot reopen the window in a loop,
 * one window at a time for the tab in front, the answer survives a worker stop, the MetaHuman
 * token's separate grant, and the warning for an origin that is not https.
 */

import type { Page } from '@playwright/test';
import { siteOf } from '../../src/core/consent/consent.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { answerApproval, nextApprovalWindow } from '../support/e2e/approval-window.ts';
import { obtainMetahumanToken } from '../support/e2e/options-page.ts';
import { callFrom } from '../support/e2e/page-api.ts';
import { expectSignedIn, signInFromPopup } from '../support/e2e/popup.ts';
import { openUrl, otherOrigin } from '../support/e2e/web-pages.ts';
import { type Extension, expect, test } from './fixtures.ts';

/** Counts the approval windows opened from now on. */
function countApprovalWindows(extension: Extension): () => number {
  let opened = 0;
  extension.context.on('page', (page) => {
    if (page.url().includes('/approval.html')) opened += 1;
  });
  return () => opened;
}

/** `method` from `page`, brought to the front first; resolves with the window it opened and the call. */
async function askInFront(extension: Extension, page: Page, method = 'tako_requestAccess') {
  await page.bringToFront();
  const opened = nextApprovalWindow(extension);
  const call = callFrom(page, method);
  return { approval: await opened, call };
}

/**
 * An init script: in the approval window, clicks Allow (a click and a dispatched click event) as
 * soon as the window shows the request (its origin and what it asks for: the scope is set with the
 * origin, while the origin's placeholder is there from the first parse), and counts the clicks in
 * `window.earlyClicks`.
 */
function clickAllowTheMomentTheRequestShows(): void {
  if (!location.pathname.endsWith('/approval.html')) return;
  const observer = new MutationObserver(() => {
    const scope = document.querySelector<HTMLElement>('[data-testid="request-scope"]');
    const approve = document.querySelector<HTMLButtonElement>('[data-testid="approve"]');
    if (!scope?.dataset.scope || !approve) return;
    observer.disconnect();
    approve.click();
    approve.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    (window as unknown as { earlyClicks: number }).earlyClicks = 2;
  });
  observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
}

/** The approval window's request, once the background has told the window what it is. */
async function expectRequest(approval: Page, origin: string, scope: 'session' | 'metahuman'): Promise<void> {
  await expect(approval.getByTestId('request-origin')).toHaveText(origin);
  await expect(approval.getByTestId('request-scope')).toHaveAttribute('data-scope', scope);
}

/** The popup's site items: origin and whether the site has the MetaHuman grant. */
function siteGrants(popup: Page): Promise<Array<{ origin: string; metahuman: string }>> {
  return popup
    .getByTestId('sites')
    .getByTestId('site')
    .evaluateAll((items) =>
      items.map((item) => ({
        origin: (item as HTMLElement).dataset.origin ?? '',
        metahuman: (item as HTMLElement).dataset.metahuman ?? '',
      })),
    );
}

// Guards: Allow does nothing until the window has been visible and focused for about half a second
// (a click aimed at the page the window appeared over cannot land on it), and is paused again when
// the window loses focus; the delay is announced, not only shown.
test('an early click on Allow grants nothing; Allow is enabled after the delay and paused on blur', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo();
  const { approval, call } = await askInFront(extension, demo);
  // The browser does not hold a window the extension opens until the test is attached to it: a
  // script for every page can run in it after the page's own. Given to the window once reached,
  // the script runs first in its next document: the same request, loaded again.
  await approval.addInitScript(clickAllowTheMomentTheRequestShows);
  await approval.reload();
  const approve = approval.getByTestId('approve');

  // The moment the window showed what it asks, clicks landed on Allow (in the same task, so however
  // slow the machine, before the delay could have passed).
  await expectRequest(approval, stack.url, 'session');
  expect(await approval.evaluate(() => (window as unknown as { earlyClicks?: number }).earlyClicks)).toBe(2);
  // They granted nothing: the origin is still refused and the window still asks.
  expect(await callFrom(demo, 'tako_getSession')).toMatchObject({ isError: true, code: TakoSessionErrorCode.Unauthorized });
  expect(approval.isClosed()).toBe(false);
  await expect(approval.getByTestId('approve-status')).toHaveAttribute('aria-live', 'polite');

  await expect(approve).toBeEnabled();
  await expect(approval.getByTestId('approve-status')).toHaveText(/available/);

  // The window loses focus: Allow is paused at once, and a click then grants nothing either.
  await approval.evaluate(() => window.dispatchEvent(new Event('blur')));
  await expect(approve).toBeDisabled();
  await expect(approval.getByTestId('approve-status')).toHaveText(/paused/);
  await approve.dispatchEvent('click');
  expect(await callFrom(demo, 'tako_getSession')).toMatchObject({ isError: true, code: TakoSessionErrorCode.Unauthorized });
  expect(approval.isClosed()).toBe(false);

  // Back in front: after the delay again, Allow works.
  await approval.evaluate(() => window.dispatchEvent(new Event('focus')));
  await answerApproval(approval, 'approve');
  expect(await call).toEqual({ result: null });
});

// Guards: with no approval waiting, tab switches and closed tabs and windows do not start the
// worker: it listens to those events only while a request waits.
test('the worker listens to tabs and windows only while an approval waits', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const worker = await extension.worker();
  const listening = () =>
    worker.evaluate(() =>
      [chrome.tabs.onActivated, chrome.tabs.onRemoved, chrome.windows.onFocusChanged, chrome.windows.onRemoved].map((event) =>
        event.hasListeners(),
      ),
    );
  await expect.poll(listening).toEqual([false, false, false, false]);

  const demo = await extension.openDemo();
  const { approval, call } = await askInFront(extension, demo);
  await expectRequest(approval, stack.url, 'session');
  expect(await listening()).toEqual([true, true, true, true]);

  await answerApproval(approval, 'deny');
  expect(await call).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
  await expect.poll(listening).toEqual([false, false, false, false]);
});

// Guards: a refused origin cannot reopen the window in a loop: after Deny it is refused with 4001
// without a window, the popup lists it, and lifting it there lets it ask again.
test('after Deny the origin is refused without a window until the popup lifts the cool-down', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo();
  const windows = countApprovalWindows(extension);
  const first = await askInFront(extension, demo);
  await answerApproval(first.approval, 'deny');
  expect(await first.call).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });

  // Asking again, and again: refused at once, no window.
  for (let i = 0; i < 3; i++) {
    expect(await callFrom(demo, 'tako_requestAccess')).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
  }
  expect(windows()).toBe(1);

  const popup = await extension.openPage('popup.html');
  // A cool-down covers a site: for an address such as 127.0.0.1, the origin itself.
  const cooldown = popup.locator(`[data-testid="cooldown"][data-site="${siteOf(stack.url)}"]`);
  await expect(cooldown).toBeVisible();
  // Three more asks made the wait longer than the first minute.
  expect(Number(await cooldown.getAttribute('data-until'))).toBeGreaterThan(Date.now() + 60_000);
  await cooldown.getByTestId('lift-cooldown').click();
  await expect(popup.getByTestId('cooldown')).toHaveCount(0);

  const again = await askInFront(extension, demo);
  await expectRequest(again.approval, stack.url, 'session');
  await answerApproval(again.approval, 'approve');
  expect(await again.call).toEqual({ result: null });
  expect(windows()).toBe(2);
});

// Guards: one approval window at a time; a request from a tab that is not in front waits until it
// is; more calls from the same origin share the open window.
test('one approval window at a time, and a background tab waits until it is in front', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const background = await openUrl(extension, `${otherOrigin(stack.port)}/?wallet=none`);
  const demo = await extension.openDemo();
  const windows = countApprovalWindows(extension);

  // The tab behind asks first: no window for it while it is not in front.
  const waiting = callFrom(background, 'tako_requestAccess');
  const { approval, call } = await askInFront(extension, demo);
  await expectRequest(approval, stack.url, 'session');
  // A second call from the same origin shares the window.
  const second = callFrom(demo, 'tako_requestAccess');
  await answerApproval(approval, 'approve');
  expect(await call).toEqual({ result: null });
  expect(await second).toEqual({ result: null });
  // The answer is out and the next window would have been chosen by now: none for the tab behind.
  expect(await callFrom(demo, 'tako_getSession')).toEqual({ result: null });
  expect(windows()).toBe(1);

  // In front, its request is shown.
  const opened = nextApprovalWindow(extension);
  await background.bringToFront();
  const next = await opened;
  await expectRequest(next, otherOrigin(stack.port), 'session');
  await answerApproval(next, 'deny');
  expect(await waiting).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
  expect(windows()).toBe(2);
});

// Guards: a pending approval survives the worker being stopped: the page gets the person's answer
// (not 4900), and no second window opens.
test('the answer reaches the page after the worker was stopped while the window was open', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  const windows = countApprovalWindows(extension);

  const { approval, call } = await askInFront(extension, demo);
  await expectRequest(approval, stack.url, 'session');
  await extension.stopWorker();
  await answerApproval(approval, 'approve');
  expect(await call).toEqual({ result: { address: DEV_ADDRESS, state: 'signed-in', expiresAt: expect.any(Number), endpoint: stack.url } });
  expect(windows()).toBe(1);

  // And a refusal, too, after a stop.
  const other = await openUrl(extension, `${otherOrigin(stack.port)}/?wallet=none`);
  const refused = await askInFront(extension, other);
  await expectRequest(refused.approval, otherOrigin(stack.port), 'session');
  await extension.stopWorker();
  await answerApproval(refused.approval, 'deny');
  expect(await refused.call).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
  expect(windows()).toBe(2);
});

// Guards: the MetaHuman token is a separate grant: an allowed site gets it only after its own
// approval, which says the token never expires; the popup shows the grant; revoking the site
// removes it with the session grant.
test('the MetaHuman token needs its own approval, shown in the popup and removed by Revoke', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const options = await extension.openPage('options.html');
  await obtainMetahumanToken(options, stack.url);
  await options.close();
  const demo = await extension.openDemo();
  const access = await askInFront(extension, demo);
  await answerApproval(access.approval, 'approve');
  expect(await access.call).toEqual({ result: null });

  const popup = await extension.openPage('popup.html');
  await expect.poll(() => siteGrants(popup)).toEqual([{ origin: stack.url, metahuman: 'false' }]);

  // Its own window, which says what the site gets and that it never expires. Deny: 4001.
  const denied = await askInFront(extension, demo, 'metahuman_getToken');
  await expectRequest(denied.approval, stack.url, 'metahuman');
  await expect(denied.approval.getByTestId('request-scope')).toContainText('never expires');
  await answerApproval(denied.approval, 'deny');
  expect(await denied.call).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
  expect(await callFrom(demo, 'tako_getSession')).toEqual({ result: null });

  await popup.bringToFront();
  await popup
    .locator(`[data-testid="cooldown"][data-site="${siteOf(stack.url)}"]`)
    .getByTestId('lift-cooldown')
    .click();
  await expect(popup.getByTestId('cooldown')).toHaveCount(0);
  const granted = await askInFront(extension, demo, 'metahuman_getToken');
  await expectRequest(granted.approval, stack.url, 'metahuman');
  await answerApproval(granted.approval, 'approve');
  const { result } = (await granted.call) as { result: { token: string } };
  expect(result.token).toMatch(/^[0-9a-f-]{36}$/);
  await expect.poll(() => siteGrants(popup)).toEqual([{ origin: stack.url, metahuman: 'true' }]);
  // Granted: no window the next time.
  expect(await callFrom(demo, 'metahuman_getToken')).toEqual({ result });

  // Revoke removes both grants.
  await popup.locator(`[data-testid="site"][data-origin="${stack.url}"]`).getByTestId('revoke').click();
  await expect(popup.getByTestId('site')).toHaveCount(0);
  expect(await callFrom(demo, 'metahuman_getToken')).toMatchObject({ isError: true, code: TakoSessionErrorCode.Unauthorized });
  const back = await askInFront(extension, demo);
  await answerApproval(back.approval, 'approve');
  await back.call;
  await expect.poll(() => siteGrants(popup)).toEqual([{ origin: stack.url, metahuman: 'false' }]);
  const asksAgain = await askInFront(extension, demo, 'metahuman_getToken');
  await expectRequest(asksAgain.approval, stack.url, 'metahuman');
  await answerApproval(asksAgain.approval, 'deny');
  expect(await asksAgain.call).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
});

// Guards: allowing an http:// origin that is not this computer warns in the approval window; a
// loopback one does not.
test('the approval window warns about an http:// origin that is not loopback', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  // An IP address: Chromium does not upgrade it to https on its own, as it may a name.
  const insecure = 'http://192.0.2.10';
  await extension.context.route(`${insecure}/**`, (route) =>
    route.fulfill({ contentType: 'text/html; charset=utf-8', body: '<!doctype html><title>plain</title><p>Plain http.</p>' }),
  );
  const plain = await openUrl(extension, `${insecure}/`);
  expect(new URL(plain.url()).origin).toBe(insecure);
  const asked = await askInFront(extension, plain);
  await expectRequest(asked.approval, insecure, 'session');
  await expect(asked.approval.getByTestId('insecure-warning')).toBeVisible();
  await answerApproval(asked.approval, 'deny');
  await asked.call;

  const demo = await extension.openDemo();
  const loopback = await askInFront(extension, demo);
  await expectRequest(loopback.approval, stack.url, 'session');
  await expect(loopback.approval.getByTestId('insecure-warning')).toBeHidden();
  await answerApproval(loopback.approval, 'deny');
  await loopback.call;
});
