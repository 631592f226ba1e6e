/**
 * The extension pages for people who use a keyboard, a screen reader or another language: no
 * serious or critical axe violation in any state of the popup, the approval window (both scopes)
 * and the options page (with form errors), in light and dark; keyboard alone signs in and out and
 * answers an approval; state changes are announced; the pages speak the browser's language.
 *
 * Each popup state is also saved as a screenshot in light and dark, as an attachment of the test
 * (under test-results/, never committed).
 */

import AxeBuilder from '@axe-core/playwright';
import type { Page, TestInfo } from '@playwright/test';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { shortAddress } from '../../src/core/eth/address.ts';
import { DEV_ADDRESS, SECOND_DEV_ADDRESS } from '../support/dev-addresses.ts';
import { allowOrigin, answerApproval, nextApprovalWindow } from '../support/e2e/approval-window.ts';
import { obtainMetahumanToken } from '../support/e2e/options-page.ts';
import { callFrom } from '../support/e2e/page-api.ts';
import { expectSignedIn, signedInAndAllowed } from '../support/e2e/popup.ts';
import { openUrl, otherOrigin } from '../support/e2e/web-pages.ts';
import { localeMessage } from '../support/locale-messages.ts';
import { type Extension, expect, test } from './fixtures.ts';

/** Serious and critical axe findings on the page as it is now: rule, and where. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/**
 * The page in its current state, in light and in dark: no serious or critical axe violation, and
 * (with `screenshot`) a screenshot of each as an attachment.
 */
async function checkState(page: Page, testInfo: TestInfo, name: string, { screenshot = false } = {}): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await seriousViolations(page), `${name} (${colorScheme})`).toEqual([]);
    if (screenshot) {
      const file = testInfo.outputPath(`${name}-${colorScheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      await testInfo.attach(`${name}-${colorScheme}`, { path: file, contentType: 'image/png' });
    }
  }
  await page.emulateMedia({ colorScheme: null });
}

/** The popup in a tab the size of the toolbar popup, once it shows the background's state. */
async function openPopup(extension: Extension, host: string): Promise<Page> {
  const popup = await extension.openPage('popup.html');
  await popup.setViewportSize({ width: 360, height: 600 });
  await expect(popup.getByTestId('endpoint-label')).toHaveText(host);
  return popup;
}

/** The toolbar button's tooltip, read from an extension page. */
const toolbarTitle = (page: Page) => page.evaluate(() => chrome.action.getTitle({}));

/** The data-testid of the focused element. */
const focusedTestId = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid ?? null);

/** Presses Tab until `testid` has the focus, returning the test ids focused on the way (it included). */
async function tabTo(page: Page, testid: string): Promise<string[]> {
  const visited: string[] = [];
  for (let presses = 0; presses < 20 && visited.at(-1) !== testid; presses += 1) {
    await page.keyboard.press('Tab');
    visited.push((await focusedTestId(page)) ?? '(none)');
  }
  expect(visited.at(-1), `Tab never reached ${testid}; it went ${visited.join(' → ')}`).toBe(testid);
  return visited;
}

/** The focus ring drawn by our :focus-visible style on the focused element. */
const focusRing = (page: Page) =>
  page.evaluate(() => {
    const style = getComputedStyle(document.activeElement!);
    return { style: style.outlineStyle, width: style.outlineWidth };
  });

/** Whether the focused element comes after `before` in the document. */
const followsInDocument = (page: Page, before: string) =>
  page.evaluate((id) => {
    const earlier = document.querySelector(`[data-testid="${id}"]`)!;
    return Boolean(earlier.compareDocumentPosition(document.activeElement!) & Node.DOCUMENT_POSITION_FOLLOWING);
  }, before);

// Guards: the popup's states before and just after sign-in (signed out, signing in, signed in with
// one allowed site) pass axe in both themes, and the first line, a live region, says the state in
// words.
test('popup: signed out, signing in and signed in pass axe in light and dark, each said in one announced sentence', async ({
  extension,
  stack,
}, testInfo) => {
  const host = stack.url.replace(/^https?:\/\//, '');
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo();
  const popup = await openPopup(extension, host);
  const stateLine = popup.getByTestId('state-label');
  await expect(stateLine).toHaveAttribute('role', 'status');
  await expect(popup.getByTestId('error')).toHaveAttribute('role', 'alert');

  await expect(stateLine).toHaveText(localeMessage('en', 'stateSignedOut', host));
  await checkState(popup, testInfo, 'popup-signed-out', { screenshot: true });

  await popup.getByTestId('sign-in').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signing-in');
  await expect(stateLine).toHaveText(localeMessage('en', 'stateSigningIn', host));
  await checkState(popup, testInfo, 'popup-signing-in', { screenshot: true });
  await demo.getByTestId('wallet-confirm').click();
  await expectSignedIn(popup);

  await allowOrigin(extension, demo);
  await popup.bringToFront();
  await expect(stateLine).toHaveText(localeMessage('en', 'stateSignedIn', shortAddress(DEV_ADDRESS), host));
  await expect(popup.getByTestId('site')).toHaveCount(1);
  await expect(popup.getByTestId('site-grants')).toHaveText(localeMessage('en', 'siteHasSession'));
  await expect(popup.getByTestId('revoke')).toHaveAccessibleName(localeMessage('en', 'revokeSite', stack.url));
  // The site's favicon comes from Chromium's favicon service (the `favicon` permission).
  await expect(popup.getByTestId('site-icon')).toHaveAttribute(
    'src',
    new RegExp(`^chrome-extension://${extension.id}/_favicon/\\?pageUrl=`),
  );
  await expect(popup.getByTestId('token-renews')).toBeVisible();
  await expect(popup.getByTestId('session-lapses')).toBeVisible();
  // The toolbar tooltip says in words what the badge shows.
  await expect.poll(() => toolbarTitle(popup)).toBe(localeMessage('en', 'badgeTitleSignedIn'));
  await checkState(popup, testInfo, 'popup-signed-in', { screenshot: true });
});

// Guards: the wallet switching to a new account, and several accounts signed in, pass axe.
test('popup: a switched wallet account and several accounts pass axe in light and dark', async ({ extension, stack }, testInfo) => {
  const host = stack.url.replace(/^https?:\/\//, '');
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  await popup.setViewportSize({ width: 360, height: 600 });
  await demo.getByTestId('wallet-account').selectOption({ index: 1 });
  await expect(popup.getByTestId('switch-offer')).toBeVisible();
  await checkState(popup, testInfo, 'popup-account-switched', { screenshot: true });
  await popup.getByTestId('sign-in-switched').click();
  await expect(popup.getByTestId('account')).toHaveCount(2);
  await expect(popup.getByTestId('accounts-heading')).toHaveText(localeMessage('en', 'accountsCountOther', '2'));
  await expect(popup.getByTestId('state-label')).toHaveText(localeMessage('en', 'stateSignedIn', shortAddress(SECOND_DEV_ADDRESS), host));
  await checkState(popup, testInfo, 'popup-several-accounts', { screenshot: true });
});

// Guards: refreshes failing (an error, still signed in) and an expired session pass axe, and say so.
test('popup: failing refreshes and an expired session pass axe in light and dark', async ({ extension, stack }, testInfo) => {
  const host = stack.url.replace(/^https?:\/\//, '');
  const { popup } = await signedInAndAllowed(extension, stack);
  await popup.setViewportSize({ width: 360, height: 600 });
  const stateLine = popup.getByTestId('state-label');

  // Refreshes failing: still signed in, retrying, and the error said as an alert.
  // Retry-After puts the next retry an hour out: only the clicks below reach the API, so the
  // state cannot move on under the checks, nor a retry meet the 401 before the click does.
  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 503, retryAfterSec: 3600 });
  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('error')).toBeVisible();
  await expect(stateLine).toHaveText(localeMessage('en', 'stateSignedInRetrying', shortAddress(DEV_ADDRESS), host));
  // No renewal time is promised while the renewals fail.
  await expect(popup.getByTestId('token-renews')).toBeHidden();
  await checkState(popup, testInfo, 'popup-error', { screenshot: true });

  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 401 });
  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'expired');
  await expect(stateLine).toHaveText(localeMessage('en', 'stateExpired', shortAddress(DEV_ADDRESS), host));
  await checkState(popup, testInfo, 'popup-expired', { screenshot: true });
});

// Guards: the refreshing state too (a refresh the server holds) passes axe and says so.
test('popup: refreshing passes axe in light and dark', async ({ extension, stack }, testInfo) => {
  const host = stack.url.replace(/^https?:\/\//, '');
  const { popup } = await signedInAndAllowed(extension, stack);
  await popup.setViewportSize({ width: 360, height: 600 });
  // Held for longer than the test lasts: the state cannot move on under the checks.
  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'delay', delayMs: 120_000 });
  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'refreshing');
  await expect(popup.getByTestId('state-label')).toHaveText(localeMessage('en', 'stateRefreshing', shortAddress(DEV_ADDRESS), host));
  await checkState(popup, testInfo, 'popup-refreshing', { screenshot: true });
});

// Guards: both approval windows pass axe, and the Allow delay is announced in words (a live
// status the Allow button is described by), not only shown as a disabled button.
test('approval window: session and MetaHuman scopes pass axe; the Allow delay is announced', async ({ extension, stack }, testInfo) => {
  await extension.useEndpoint(stack.url);
  const options = await extension.openPage('options.html');
  await obtainMetahumanToken(options, stack.url);
  await checkState(options, testInfo, 'options-with-token');
  await options.close();

  const demo = await extension.openDemo();
  await demo.bringToFront();
  const opened = nextApprovalWindow(extension);
  const access = callFrom(demo, 'tako_requestAccess');
  const approval = await opened;
  await expect(approval.getByTestId('request-scope')).toHaveAttribute('data-scope', 'session');
  const status = approval.getByTestId('approve-status');
  await expect(status).toHaveAttribute('role', 'status');
  await expect(approval.getByTestId('approve')).toHaveAttribute('aria-describedby', (await status.getAttribute('id'))!);
  await expect(approval.getByTestId('approve')).toBeEnabled();
  await expect(status).toHaveText(localeMessage('en', 'allowAvailable'));
  await checkState(approval, testInfo, 'approval-session', { screenshot: true });
  await approval.evaluate(() => window.dispatchEvent(new Event('blur')));
  await expect(status).toHaveText(localeMessage('en', 'allowPaused'));
  await checkState(approval, testInfo, 'approval-session-paused');
  await approval.evaluate(() => window.dispatchEvent(new Event('focus')));
  await answerApproval(approval, 'approve');
  expect(await access).toEqual({ result: null });

  await demo.bringToFront();
  const metahumanOpened = nextApprovalWindow(extension);
  const metahuman = callFrom(demo, 'metahuman_getToken');
  const metahumanApproval = await metahumanOpened;
  await expect(metahumanApproval.getByTestId('request-scope')).toHaveAttribute('data-scope', 'metahuman');
  await expect(metahumanApproval.getByTestId('approve')).toBeEnabled();
  await checkState(metahumanApproval, testInfo, 'approval-metahuman', { screenshot: true });
  await answerApproval(metahumanApproval, 'deny');
  expect(await metahuman).toMatchObject({ code: TakoSessionErrorCode.UserRejected });
});

// Guards: the options page passes axe as it opens and with every kind of form error shown.
test('options page: passes axe, also with form errors', async ({ extension }, testInfo) => {
  const options = await extension.openPage('options.html');
  await expect(options.getByTestId('save')).toBeEnabled();
  await checkState(options, testInfo, 'options', { screenshot: true });

  await options.getByTestId('endpoint').selectOption('custom');
  await options.getByTestId('base-url').fill('ftp://example.com');
  await options.getByTestId('save').click();
  await expect(options.getByTestId('options-error')).toBeVisible();
  await options.getByTestId('mh-comment').fill('x'.repeat(1001));
  await options.getByTestId('mh-get-token').click();
  await expect(options.getByTestId('mh-name-error')).toBeVisible();
  await expect(options.getByTestId('mh-name')).toHaveAttribute('aria-invalid', 'true');
  await checkState(options, testInfo, 'options-form-errors', { screenshot: true });
});

// Guards: the keyboard alone signs in and out of the popup, in document order, with a visible
// focus ring (our :focus-visible style, not the browser's default).
test('keyboard: Tab, Enter and Space sign in and out of the popup', async ({ extension, stack }) => {
  const host = stack.url.replace(/^https?:\/\//, '');
  await extension.useEndpoint(stack.url);
  await extension.openDemo({ autoconfirm: '1' });
  const popup = await openPopup(extension, host);
  await expect(popup.getByTestId('state-label')).toHaveText(localeMessage('en', 'stateSignedOut', host));

  expect(await tabTo(popup, 'sign-in')).toEqual(['sign-in']);
  expect(await focusRing(popup)).toEqual({ style: 'solid', width: '2px' });
  await popup.keyboard.press('Enter');
  await expectSignedIn(popup);

  // From wherever the focus was left, Tab goes on in document order to Sign out.
  const visited = await tabTo(popup, 'sign-out');
  expect(
    visited.every((id) => ['refresh-now', 'sign-out'].includes(id)),
    visited.join(' → '),
  ).toBe(true);
  expect(await followsInDocument(popup, 'refresh-now')).toBe(true);
  expect(await focusRing(popup)).toEqual({ style: 'solid', width: '2px' });
  await popup.keyboard.press('Space');
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  await expect(popup.getByTestId('state-label')).toHaveText(localeMessage('en', 'stateSignedOut', host));
});

// Guards: the keyboard alone answers the approval window: Tab reaches the access's duration, Deny,
// then Allow; Enter allows, Space denies.
test('keyboard: Tab and Enter allow, Tab and Space deny, in the approval window', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo();
  await demo.bringToFront();
  const opened = nextApprovalWindow(extension);
  const access = callFrom(demo, 'tako_requestAccess');
  const approval = await opened;
  await expect(approval.getByTestId('approve')).toBeEnabled();
  // The duration of the access comes first (chosen with the keyboard too), then the answers.
  expect(await tabTo(approval, 'approve')).toEqual(['grant-duration', 'deny', 'approve']);
  expect(await focusRing(approval)).toEqual({ style: 'solid', width: '2px' });
  await Promise.all([approval.waitForEvent('close'), approval.keyboard.press('Enter').catch(() => undefined)]);
  expect(await access).toEqual({ result: null });

  const other = await openUrl(extension, `${otherOrigin(stack.port)}/?wallet=none`);
  await other.bringToFront();
  const otherOpened = nextApprovalWindow(extension);
  const refused = callFrom(other, 'tako_requestAccess');
  const otherApproval = await otherOpened;
  await expect(otherApproval.getByTestId('approve')).toBeEnabled();
  expect(await tabTo(otherApproval, 'deny')).toEqual(['grant-duration', 'deny']);
  await Promise.all([otherApproval.waitForEvent('close'), otherApproval.keyboard.press('Space').catch(() => undefined)]);
  expect(await refused).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
});

test.describe('in German', () => {
  test.use({ browserLocale: 'de' });

  // Guards: with the browser in German, the pages are: <html lang>, the UI language, and the words
  // are those of _locales/de (not the English defaults).
  test('the popup, the approval window and the options page speak German', async ({ extension, stack }) => {
    const popup = await openPopup(extension, 'api.tako.so');
    expect(await popup.evaluate(() => [document.documentElement.lang, chrome.i18n.getUILanguage()])).toEqual(['de', 'de']);
    await expect(popup.getByTestId('sign-in')).toHaveText(localeMessage('de', 'signIn'));
    await expect(popup.getByTestId('state-label')).toHaveText(localeMessage('de', 'stateSignedOut', 'api.tako.so'));
    await expect(popup.getByTestId('sites-empty')).toHaveText(localeMessage('de', 'sitesEmpty'));
    expect(localeMessage('de', 'signIn')).not.toBe(localeMessage('en', 'signIn'));
    await expect.poll(() => toolbarTitle(popup)).toBe(localeMessage('de', 'badgeTitleSignedOut'));

    const demo = await extension.openDemo();
    await demo.bringToFront();
    const opened = nextApprovalWindow(extension);
    const access = callFrom(demo, 'tako_requestAccess');
    const approval = await opened;
    await expect(approval.getByTestId('request-origin')).toHaveText(stack.url);
    await expect(approval.getByTestId('approve')).toHaveText(localeMessage('de', 'allow'));
    await expect(approval).toHaveTitle(localeMessage('de', 'approvalWindowTitleSession', stack.url));
    await expect(approval.getByTestId('approve')).toBeEnabled();
    await expect(approval.getByTestId('approve-status')).toHaveText(localeMessage('de', 'allowAvailable'));
    await answerApproval(approval, 'deny');
    expect(await access).toMatchObject({ code: TakoSessionErrorCode.UserRejected });

    const options = await extension.openPage('options.html');
    await expect(options.getByTestId('save')).toHaveText(localeMessage('de', 'save'));
    await expect(options.getByLabel(localeMessage('de', 'nameLabel'), { exact: true })).toHaveAttribute('data-testid', 'mh-name');
    await options.getByTestId('mh-get-token').click();
    await expect(options.getByTestId('mh-name-error')).toHaveText(localeMessage('de', 'errorNameEmpty'));
  });
});
