/**
 * What a page can make the approval window do, and what it cannot, in real Chromium against the
 * local stack: a request belongs to the document that asked; asking again does not make the window
 * jump; a cool-down covers the site and the tab; a page's own sign-in shows it no signature when a
 * wallet extension can sign; a page's sign-out is the person's to confirm.
 */
import type { Page } from '@playwright/test';
import { siteOf } from '../../src/core/consent/consent.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { recoverPersonalSigner } from '../../src/core/eth/signature.ts';
import { TEST_SITE_DOMAIN } from '../../tools/dev/launch.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { answerApproval, approveAccess, nextApprovalWindow } from '../support/e2e/approval-window.ts';
import { setAutoConfirm, useDevWalletExtension } from '../support/e2e/dev-wallet-extension.ts';
import { callFrom } from '../support/e2e/page-api.ts';
import { expectSignedIn, signedInAndAllowed } from '../support/e2e/popup.ts';
import { openUrl } from '../support/e2e/web-pages.ts';
import { recordWindowMessages, windowMessages } from '../support/e2e/window-messages.ts';
import { type Extension, expect, test } from './fixtures.ts';

/** `method` from `page`, brought to the front first; resolves with the window it opened and the call. */
async function askInFront(extension: Extension, page: Page, method = 'tako_requestAccess') {
  await page.bringToFront();
  const opened = nextApprovalWindow(extension);
  const call = callFrom(page, method);
  return { approval: await opened, call };
}

/** Counts the approval windows opened from now on. */
function countApprovalWindows(extension: Extension): () => number {
  let opened = 0;
  extension.context.on('page', (page) => {
    if (page.url().includes('/approval.html')) opened += 1;
  });
  return () => opened;
}

/** The stack as a site of its own under the test domain: `http://<label>.tako.test:PORT`. */
const testSite = (label: string, port: number) => `http://${label}.${TEST_SITE_DOMAIN}:${port}`;

// Guards item by item that an approval belongs to the document that asked: the tab navigating to
// another site, or reloading, ends the request and closes the window, and nothing is granted,
// neither to the origin that asked nor to the one the tab shows now.
test('a request ends with the document that asked: navigating away or reloading closes the window and grants nothing', async ({
  extension,
  stack,
}) => {
  await extension.useEndpoint(stack.url);
  const trusted = testSite('trusted', stack.port);
  const page = await openUrl(extension, `${stack.url}/?wallet=none`);

  const navigated = await askInFront(extension, page);
  // The asking document goes away with its pending call: no answer can reach it.
  void navigated.call.catch(() => undefined);
  const closedOnNavigation = navigated.approval.waitForEvent('close');
  await page.goto(`${trusted}/?wallet=none`);
  await closedOnNavigation;
  expect(await callFrom(page, 'tako_getSession')).toMatchObject({ isError: true, code: TakoSessionErrorCode.Unauthorized });

  const reloaded = await askInFront(extension, page);
  void reloaded.call.catch(() => undefined);
  const closedOnReload = reloaded.approval.waitForEvent('close');
  await page.reload();
  await closedOnReload;
  expect(await callFrom(page, 'tako_getSession')).toMatchObject({ isError: true, code: TakoSessionErrorCode.Unauthorized });

  // No cool-down followed (nobody refused): the page that stays asks and is allowed.
  const popup = await extension.openPage('popup.html');
  await expect(popup.getByTestId('cooldowns-section')).toBeHidden();
  expect(await approveAccess(extension, page)).toEqual({ result: null });
  await popup.reload();
  await expect(popup.getByTestId('site')).toHaveCount(1);
  await expect(popup.getByTestId('site')).toHaveAttribute('data-origin', trusted);
});

// Guards that asking again is no way to grab the pointer: a page asking every 100 ms brings the
// window to the front at most once every few seconds (each raise restarts the Allow delay, so a
// raise on every ask would also keep Allow from ever working), and the person can still allow it.
test('a page asking every 100 ms raises the window at most once every few seconds, and Allow still works', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const page = await openUrl(extension, `${stack.url}/?wallet=none`);
  const worker = await extension.worker();
  // Every time the worker brings a window to the front, counted where it does it.
  await worker.evaluate(() => {
    const raises: number[] = [];
    (globalThis as unknown as { raises: number[] }).raises = raises;
    const update = chrome.windows.update.bind(chrome.windows);
    chrome.windows.update = ((windowId: number, info: chrome.windows.UpdateInfo) => {
      if (info.focused) raises.push(Date.now());
      return update(windowId, info);
    }) as typeof chrome.windows.update;
  });
  const { approval, call } = await askInFront(extension, page);
  const startedAt = Date.now();
  await page.evaluate(() => {
    (window as unknown as { asking: ReturnType<typeof setInterval> }).asking = setInterval(
      () => void window.takoSession!.request({ method: 'tako_requestAccess' }).catch(() => undefined),
      100,
    );
  });
  await approval.waitForTimeout(4000); // the scenario: four seconds of asking, not a synchronisation
  await page.evaluate(() => clearInterval((window as unknown as { asking: ReturnType<typeof setInterval> }).asking));
  const elapsed = Date.now() - startedAt;
  const raises = await worker.evaluate(() => (globalThis as unknown as { raises: number[] }).raises.length);
  expect(raises).toBeLessThanOrEqual(1 + Math.floor(elapsed / 3000));

  await answerApproval(approval, 'approve');
  expect(await call).toEqual({ result: null });
});

// Guards that a cool-down cannot be dodged: after a refusal, a sibling subdomain and another
// origin asking from the tab that asked are refused without a window; another site in another tab
// still gets one. The popup lists the site.
test('a cool-down covers the site and the tab that asked; another site in another tab still asks', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const windows = countApprovalWindows(extension);
  const first = await openUrl(extension, `${testSite('a.shop', stack.port)}/?wallet=none`);
  const refused = await askInFront(extension, first);
  await answerApproval(refused.approval, 'deny');
  expect(await refused.call).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });

  const sibling = await openUrl(extension, `${testSite('b.shop', stack.port)}/?wallet=none`);
  expect(await callFrom(sibling, 'tako_requestAccess')).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
  await first.goto(`${stack.url.replace('127.0.0.1', 'localhost')}/?wallet=none`);
  expect(await callFrom(first, 'tako_requestAccess')).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
  expect(windows()).toBe(1);

  const popup = await extension.openPage('popup.html');
  await expect(popup.getByTestId('cooldown')).toHaveCount(1);
  await expect(popup.getByTestId('cooldown')).toHaveAttribute('data-site', siteOf(testSite('a.shop', stack.port)));

  const other = await openUrl(extension, `${stack.url}/?wallet=none`);
  expect(await approveAccess(extension, other)).toEqual({ result: null });
  expect(windows()).toBe(2);
});

test.describe('a page’s own sign-in with a wallet extension installed', () => {
  test.use({ walletExtension: true });

  // Guards: with a wallet extension that can sign, a page's tako_signIn goes through it: no
  // window, no wallet step on the page, and neither the message nor the signature on the page's
  // window.
  test('signs in through the extension: no window, and the page sees neither message nor signature', async ({ extension, stack }) => {
    await setAutoConfirm(extension, true);
    await (await useDevWalletExtension(extension, stack.url)).close();
    await extension.context.addInitScript(recordWindowMessages);
    const demo = await extension.openDemo();
    expect(await approveAccess(extension, demo)).toEqual({ result: null });
    const windows = countApprovalWindows(extension);

    expect(await callFrom(demo, 'tako_signIn')).toMatchObject({ result: { address: DEV_ADDRESS, state: 'signed-in' } });
    expect(windows()).toBe(0);
    const [signIn] = stack.requests('/v2/token');
    const { message, signature } = signIn!.body as { message: string; signature: string };
    expect(recoverPersonalSigner(message, signature)).toBe(DEV_ADDRESS);
    const seen = (await windowMessages(demo)).map((entry) => entry.json).join('\n');
    expect(seen).not.toContain(signature.slice(2, 40));
    expect(seen).not.toContain('wants you to sign in');
    await expect(demo.getByTestId('wallet-status')).not.toHaveText(/Signed request/);
  });
});

// Guards: without a wallet extension, a page's own tako_signIn waits for the person to confirm,
// in a window that names the site and says that the page will see the signature; a refusal is
// 4001 and nothing is signed or posted.
test('without a wallet extension, the person confirms first that the page will see the signature', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  expect(await approveAccess(extension, demo)).toEqual({ result: null });

  const refused = await askInFront(extension, demo, 'tako_signIn');
  await expect(refused.approval.getByTestId('request-origin')).toHaveText(stack.url);
  await expect(refused.approval.getByTestId('request-scope')).toHaveAttribute('data-scope', 'page-signature');
  await expect(refused.approval.getByTestId('page-signature-warning')).toBeVisible();
  await answerApproval(refused.approval, 'deny');
  expect(await refused.call).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
  expect(stack.requests('/v2/token')).toHaveLength(0);
  await expect(demo.getByTestId('wallet-status')).not.toHaveText(/Signed request/);
});

// Guards: a page's tako_signOut is a request the person confirms: refused, the session stays.
test('a page’s sign-out asks the person; refused, the session stays', async ({ extension, stack }) => {
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const asked = await askInFront(extension, demo, 'tako_signOut');
  await expect(asked.approval.getByTestId('request-scope')).toHaveAttribute('data-scope', 'sign-out');
  await answerApproval(asked.approval, 'deny');
  expect(await asked.call).toMatchObject({ isError: true, code: TakoSessionErrorCode.UserRejected });
  await popup.reload();
  await expectSignedIn(popup);
  expect(await callFrom(demo, 'tako_getSession')).toMatchObject({ result: { address: DEV_ADDRESS, state: 'signed-in' } });
});
