/**
 * Where the signature comes from, with a page's wallet: the popup names the page before anything
 * is sent, every wallet step goes to the document it named, and only that document's wallet can
 * switch the account. The demo dapp (with its dev wallet) runs on two origins of the local stack.
 */
import type { Page } from '@playwright/test';
import { TEST_SITE_DOMAIN } from '../../tools/dev/launch.ts';
import { DEV_ADDRESS, SECOND_DEV_ADDRESS } from '../support/dev-addresses.ts';
import { approveAccess } from '../support/e2e/approval-window.ts';
import { expectSignedIn } from '../support/e2e/popup.ts';
import { otherOrigin } from '../support/e2e/web-pages.ts';
import { forgeAccountsChanged, recordWindowMessages, windowMessages } from '../support/e2e/window-messages.ts';
import { type Extension, expect, test } from './fixtures.ts';

/** The mark the wallet bridge leaves on a document it was injected into. */
const BRIDGE_MARK = 'tako-session.wallet-bridge';

const hasBridge = (page: Page) => page.evaluate((mark) => Symbol.for(mark) in window, BRIDGE_MARK);

/** Every message between the relay and the wallet bridge seen on the page's window. */
async function walletTraffic(page: Page): Promise<string[]> {
  const messages = await windowMessages(page);
  return messages.map((m) => m.json).filter((json) => /"kind":"wallet-(request|reply|accounts)"/.test(json));
}

async function openDemoAt(extension: Extension, origin: string, query: Record<string, string>): Promise<Page> {
  const page = await extension.context.newPage();
  await page.addInitScript(recordWindowMessages);
  await page.goto(`${origin}/?${new URLSearchParams(query)}`);
  return page;
}

/** The popup, showing a sign-in that names `origin`'s page. */
async function popupNaming(extension: Extension, origin: string): Promise<Page> {
  const popup = await extension.openPage('popup.html');
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', /signed-out|expired/);
  await expect(popup.getByTestId('sign-in-source')).toHaveAttribute('data-kind', 'page');
  await expect(popup.getByTestId('sign-in-source')).toHaveAttribute('data-origin', origin);
  return popup;
}

// Guards: nothing goes to a page the person was not shown. Sending the wallet steps to "the tab in
// front" again, or injecting the bridge into every page, fails this test.
test('the popup names the page before anything is sent, and only the page picked sees the wallet', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const picked = await openDemoAt(extension, stack.url, { autoconfirm: '1' });
  const named = await openDemoAt(extension, otherOrigin(stack.port), { autoconfirm: '1' });
  await named.bringToFront();

  // The most recently used page is named first; nothing has reached either page yet.
  const popup = await popupNaming(extension, otherOrigin(stack.port));
  for (const page of [picked, named]) {
    expect(await hasBridge(page)).toBe(false);
    expect(await walletTraffic(page)).toEqual([]);
  }

  // The person picks the other page: it is named before sign-in, and it alone is used.
  const option = popup.locator(`[data-testid="sign-in-source-picker"] option[data-origin="${stack.url}"]`);
  await popup.getByTestId('sign-in-source-picker').selectOption((await option.getAttribute('value'))!);
  await expect(popup.getByTestId('sign-in-source')).toHaveAttribute('data-origin', stack.url);
  await popup.getByTestId('sign-in').click();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);

  expect(await hasBridge(picked)).toBe(true);
  expect((await walletTraffic(picked)).some((json) => json.includes('"request-accounts"'))).toBe(true);
  expect(await hasBridge(named)).toBe(false);
  expect(await walletTraffic(named)).toEqual([]);
  expect(stack.requests('/v2/token')).toHaveLength(1);
});

// Guards: a page's wallet on a site the extension holds no host permission for, which is every
// site but this computer's in the development build and every site in the published one. The
// browser refuses to inject into such a page, although the declared scripts run there; the click
// on the toolbar button over the page gives the extension that tab (activeTab), and the page in
// front is what the popup signs in with. Without activeTab the sign-in stops at "cannot run on
// this page" and nothing reaches the page.
test('the page in front of the toolbar button signs in with its wallet on a site the extension holds no permission for', async ({
  extension,
  stack,
}) => {
  await extension.useEndpoint(stack.url);
  const site = `http://dapp.${TEST_SITE_DOMAIN}:${stack.port}`;
  const demo = await openDemoAt(extension, site, { autoconfirm: '1' });
  await demo.bringToFront();
  const popup = await extension.clickToolbarButton(demo);
  const testId = (id: string) => `document.querySelector('[data-testid="${id}"]')`;
  await popup.waitFor(`${testId('sign-in-source')}?.dataset.origin === ${JSON.stringify(site)} && !${testId('sign-in')}.hidden`);
  expect(await hasBridge(demo)).toBe(false);

  await popup.evaluate(`${testId('sign-in')}.click()`);
  // Signed in, or stopped with an error in the popup's words: whichever comes first is the answer.
  await popup.waitFor(`${testId('session')}.dataset.state === 'signed-in' || !${testId('error')}.hidden`);
  expect(await popup.evaluate(`${testId('error')}.hidden || ${testId('error')}.textContent`)).toBe(true);
  expect(await popup.evaluate(`${testId('session-address')}.dataset.address`)).toBe(DEV_ADDRESS);
  expect(await hasBridge(demo)).toBe(true);
  expect(stack.requests('/v2/token')).toHaveLength(1);
});

// Guards: the wallet bridge's fallback to window.ethereum, for a wallet that does not announce
// itself over EIP-6963.
test('a page whose wallet is only window.ethereum signs in with it', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await openDemoAt(extension, stack.url, { announce: '0', autoconfirm: '1' });
  await demo.bringToFront();
  const popup = await popupNaming(extension, stack.url);
  await popup.getByTestId('sign-in').click();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
});

// Guards: a navigation while the wallet is asking ends the sign-in there and then (the relay's
// reply channel closes with the document), and the new document, which would sign at once, is asked nothing.
test('a navigation in the middle of a sign-in cancels it, and the new document is asked nothing', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await openDemoAt(extension, stack.url, {});
  await demo.bringToFront();
  const popup = await popupNaming(extension, stack.url);
  await popup.getByTestId('sign-in').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signing-in');
  // The wallet asks the person to confirm the signature; they navigate instead, to the same site
  // (a page that would sign at once).
  await expect(demo.getByTestId('wallet-confirm')).toBeVisible();
  await demo.goto(`${stack.url}/?autoconfirm=1`);

  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  await expect(popup.getByTestId('error')).toBeVisible();
  expect(stack.requests('/v2/token')).toHaveLength(0);
  expect(await hasBridge(demo)).toBe(false);
  expect(await walletTraffic(demo)).toEqual([]);

  // Signing in again names the page as it is now, and works.
  await popup.reload();
  await popupNaming(extension, stack.url);
  await popup.getByTestId('sign-in').click();
  await expectSignedIn(popup);
});

// Guards: the steps of one sign-in go to one document. Without the relay's pin check and the
// background's documentId, the wallet step after the person's choice goes to the new document.
test('a page that navigates between two steps of a sign-in is asked nothing more', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await openDemoAt(extension, stack.url, { wallets: '2', autoconfirm: '1' });
  await demo.bringToFront();
  const popup = await popupNaming(extension, stack.url);
  await popup.getByTestId('sign-in').click();
  // First step done: the page listed its two wallets, and the person is choosing one.
  await expect(popup.getByTestId('wallet-option')).toHaveCount(2);
  await demo.reload();
  await popup.getByTestId('wallet-option').first().click();

  await expect(popup.getByTestId('error')).toBeVisible();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  expect(await walletTraffic(demo)).toEqual([]);
  expect(stack.requests('/v2/token')).toHaveLength(0);
});

// Guards: the "cancel" button ends a sign-in stuck in the wallet, and the wallet's late answer is
// dropped: nothing is posted for it, and the next sign-in is not held by it.
test('a sign-in waiting on the wallet can be cancelled from the popup; the late answer changes nothing', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await openDemoAt(extension, stack.url, {});
  await demo.bringToFront();
  const popup = await popupNaming(extension, stack.url);
  await popup.getByTestId('sign-in').click();
  await expect(demo.getByTestId('wallet-confirm')).toBeVisible();

  await popup.getByTestId('cancel-sign-in').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  await expect(popup.getByTestId('error')).toBeHidden();
  await expect(popup.getByTestId('cancel-sign-in')).toBeHidden();

  // The person confirms in the wallet after all: the signature goes nowhere.
  await demo.getByTestId('wallet-confirm').click();
  await demo.getByTestId('wallet-auto-confirm').check();
  await popup.getByTestId('sign-in').click();
  await expectSignedIn(popup);
  expect(stack.requests('/v2/token')).toHaveLength(1);
});

// Guards: account switches count only from the document that signed in, while it is that
// document. Trusting allowed sites, or the tab rather than the document, fails this test.
test('after the sign-in tab navigated, neither it nor another allowed page can switch the account', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await openDemoAt(extension, stack.url, { autoconfirm: '1' });
  const other = await openDemoAt(extension, otherOrigin(stack.port), { autoconfirm: '1' });
  await demo.bringToFront();
  const popup = await popupNaming(extension, stack.url);
  await popup.getByTestId('sign-in').click();
  await expectSignedIn(popup);
  for (const page of [demo, other]) expect(await approveAccess(extension, page)).toMatchObject({ result: { address: DEV_ADDRESS } });

  // The document that signed in is believed: its wallet's switch shows the offer.
  await demo.getByTestId('wallet-account').selectOption({ index: 1 });
  await expect(popup.getByTestId('switch-offer')).toBeVisible();
  await expect(popup.getByTestId('switched-address')).toHaveText(SECOND_DEV_ADDRESS);
  await demo.getByTestId('wallet-account').selectOption({ index: 0 });
  await expect(popup.getByTestId('switch-offer')).toBeHidden();

  // Another allowed page, and the same tab on its next document, are not.
  expect(await forgeAccountsChanged(other, [SECOND_DEV_ADDRESS])).toMatchObject({ ok: true });
  await demo.reload();
  expect(await forgeAccountsChanged(demo, [SECOND_DEV_ADDRESS])).toMatchObject({ ok: true });
  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(popup.getByTestId('switch-offer')).toBeHidden();
});
