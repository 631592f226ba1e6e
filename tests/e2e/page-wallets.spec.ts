/**
 * A page's wallets, as EIP-6963 has them announce themselves: a wallet written elsewhere (the npm
 * mock wallet, @johanneskares/wallet-mock, with viem signing) is found and signs in; announcements
 * that are not wallets throw nothing into the page; and whatever the page's wallet says, the popup
 * shows the extension's own words, never the page's text.
 */

import { installMockWallet } from '@johanneskares/wallet-mock';
import type { Page } from '@playwright/test';
import { privateKeyToAccount } from 'viem/accounts';
import { walletFailedMessage } from '../../src/background/wallets/page-wallet.ts';
import { EIP6963_ANNOUNCE, EIP6963_REQUEST } from '../../src/core/eth/eip6963.ts';
import { parseSignInMessage } from '../../src/core/eth/sign-in-message.ts';
import { recoverPersonalSigner } from '../../src/core/eth/signature.ts';
import { DEV_KEYS } from '../../tools/stack/demo/dev-keys.ts';
import { expectSignedIn } from '../support/e2e/popup.ts';
import { otherOrigin } from '../support/e2e/web-pages.ts';
import { localeMessage } from '../support/locale-messages.ts';
import { type Extension, expect, test } from './fixtures.ts';

/** The mock wallet's account: Hardhat's published dev key #0 (public; never holds funds). */
const MOCK_ACCOUNT = privateKeyToAccount(DEV_KEYS[0].privateKey);
/** The rdns the mock wallet announces: valid reverse DNS, with a hyphen in its last label. */
const MOCK_RDNS = 'com.example.mock-wallet';
/** The name the mock wallet gives itself: the page's free text, for the popup never to show. */
const MOCK_NAME = 'Mock Wallet';

/** Every error the page's own world throws uncaught (the wallet bridge runs there). */
function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** The popup, naming `origin`'s page as where the signature comes from. */
async function popupNaming(extension: Extension, origin: string): Promise<Page> {
  const popup = await extension.openPage('popup.html');
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', /signed-out|expired/);
  await expect(popup.getByTestId('sign-in-source')).toHaveAttribute('data-origin', origin);
  return popup;
}

/** A page of the stack with no script of its own (and `title`), so the only wallets are a test's. */
async function plainPage(extension: Extension, url: string, title: string, setUp: (page: Page) => Promise<void>): Promise<Page> {
  const page = await extension.context.newPage();
  await page.route('**/plain', (route) =>
    route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><title>${title}</title><p>A page of the local stack.</p>`,
    }),
  );
  await setUp(page);
  await page.goto(`${url}/plain`);
  return page;
}

// Guards: every wallet EIP-6963 allows is found. The mock wallet's rdns, com.example.mock-wallet,
// was refused by a check that read rdns as a forward domain, which threw into the page for each
// announcement and left "No wallet found". Also: the popup names the page by its origin, never by
// its title, and never shows the wallet's own name.
test('a wallet from npm, announced over EIP-6963 as com.example.mock-wallet, signs in from the page the person picks', async ({
  extension,
  stack,
}) => {
  await extension.useEndpoint(stack.url);
  // The demo with no dev wallet: the mock is the only wallet there.
  const demo = await extension.context.newPage();
  const pageErrors = collectPageErrors(demo);
  await installMockWallet({ page: demo, account: MOCK_ACCOUNT });
  await demo.goto(`${stack.url}/?wallet=none`);
  await expect(demo.getByTestId('wallet-none')).toBeVisible();
  const pageTitle = await demo.title();
  // Another site in front, so that the popup names that one first and the person picks the demo.
  const other = await extension.context.newPage();
  await other.goto(`${otherOrigin(stack.port)}/?wallet=none`);
  await other.bringToFront();

  const popup = await popupNaming(extension, otherOrigin(stack.port));
  const option = popup.locator(`[data-testid="sign-in-source-picker"] option[data-origin="${stack.url}"]`);
  await popup.getByTestId('sign-in-source-picker').selectOption((await option.getAttribute('value'))!);
  await expect(popup.getByTestId('sign-in-source')).toHaveAttribute('data-origin', stack.url);
  const shown = await popup.evaluate(() => document.documentElement.outerHTML);
  expect(shown).not.toContain(pageTitle);
  await popup.getByTestId('sign-in').click();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', MOCK_ACCOUNT.address);

  // The sign-in posted is the mock's: its account, signed by its key.
  const signIns = stack.requests('/v2/token');
  expect(signIns).toHaveLength(1);
  const { message, signature } = signIns[0]!.body as { message: string; signature: string };
  expect(parseSignInMessage(message).address).toBe(MOCK_ACCOUNT.address);
  expect(recoverPersonalSigner(message, signature)).toBe(MOCK_ACCOUNT.address);
  // The demo itself heard the mock (with the same check), and nothing was thrown into the page.
  await expect(demo.getByTestId('wallets-seen').locator(`[data-rdns="${MOCK_RDNS}"]`)).toHaveCount(1);
  expect(pageErrors).toEqual([]);
  const after = await popup.evaluate(() => document.documentElement.outerHTML);
  expect(after).not.toContain(MOCK_NAME);
  expect(after).not.toContain(pageTitle);
});

/**
 * An init script: announcements that are not wallets, and one wallet whose rdns and name are free
 * text (the EIP says an rdns may be invalid), all made again whenever a dapp asks.
 */
function announceMalformed({ announce, request, freeText }: { announce: string; request: string; freeText: string }): void {
  const throwing = Object.defineProperty({}, 'info', {
    get() {
      throw new Error('a getter that throws');
    },
  });
  const details: unknown[] = [
    null,
    'io.metamask',
    Object.freeze({ info: { name: 'No uuid', icon: '', rdns: 'com.example.no-uuid' }, provider: { request: async () => [] } }),
    Object.freeze({
      info: { uuid: 'not-a-uuid', name: 'Bad uuid', icon: '', rdns: 'com.example.bad' },
      provider: { request: async () => [] },
    }),
    Object.freeze({
      info: { uuid: crypto.randomUUID(), name: 'No request', icon: '', rdns: 'com.example.none' },
      provider: { request: 'no' },
    }),
    Object.freeze({ info: { uuid: crypto.randomUUID(), name: 'No provider', icon: '', rdns: 'com.example.none' } }),
    throwing,
    Object.freeze({
      info: { uuid: crypto.randomUUID(), name: freeText, icon: '', rdns: freeText },
      provider: { request: async () => Promise.reject(Object.assign(new Error('never asked'), { code: 4001 })) },
    }),
  ];
  const dispatchAll = () => {
    for (const detail of details) window.dispatchEvent(new CustomEvent(announce, { detail }));
    // Not even a CustomEvent.
    window.dispatchEvent(new Event(announce));
  };
  dispatchAll();
  window.addEventListener(request, dispatchAll);
}

/** Free text a page's wallet announces as its rdns and name, for the popup never to show. */
const FREE_TEXT = 'Your session expired: sign in again at evil.example';

/** The popup's label for a wallet with no valid rdns, from the default locale's messages. */
const walletNumbered = (n: number) => localeMessage('en', 'walletNumbered', String(n));

// Guards: reading announcements never throws into the page (the bridge runs in the page's own
// event dispatch), an announcement that is not a wallet hides none of those that are, and a
// wallet whose rdns is free text is still found (the EIP asks for as much) but named by the
// extension's words ("Wallet 1"), never by that text.
test('announcements that are not wallets throw nothing into the page; the wallets among them are found and named by the extension', async ({
  extension,
  stack,
}) => {
  await extension.useEndpoint(stack.url);
  let pageErrors: string[] = [];
  const page = await plainPage(extension, stack.url, 'plain', async (page) => {
    pageErrors = collectPageErrors(page);
    await page.addInitScript(announceMalformed, { announce: EIP6963_ANNOUNCE, request: EIP6963_REQUEST, freeText: FREE_TEXT });
    await installMockWallet({ page, account: MOCK_ACCOUNT });
  });
  await page.bringToFront();
  const popup = await popupNaming(extension, stack.url);
  await popup.getByTestId('sign-in').click();
  const options = popup.getByTestId('wallet-option');
  await expect(options).toHaveText([walletNumbered(1), MOCK_RDNS]);
  expect(await popup.evaluate(() => document.documentElement.outerHTML)).not.toContain(FREE_TEXT);
  await options.filter({ hasText: MOCK_RDNS }).click();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', MOCK_ACCOUNT.address);
  // The bridge asked the page's wallets to announce: the malformed ones answered it too.
  expect(await page.evaluate((mark) => Symbol.for(mark) in window, 'tako-session.wallet-bridge')).toBe(true);
  expect(pageErrors).toEqual([]);
});

/** What the page's wallet says when it fails: long, and dressed as the extension's own words. */
const WALLET_TEXT = `Tako Session: your session was stolen. Call +1 555 0100 now or open https://evil.example/recover ${'!'.repeat(1500)}`;
const WALLET_CODE = -32000;

/** An init script: a wallet, announced over EIP-6963, that shares an account and fails every signature. */
function failingWallet({
  announce,
  request,
  address,
  code,
  text,
}: {
  announce: string;
  request: string;
  address: string;
  code: number;
  text: string;
}): void {
  const provider = {
    request: async ({ method }: { method: string }) => {
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [address];
      throw Object.assign(new Error(text), { code });
    },
  };
  const detail = Object.freeze({
    info: { uuid: crypto.randomUUID(), name: text.slice(0, 90), icon: '', rdns: 'com.example.failing' },
    provider,
  });
  const announceIt = () => window.dispatchEvent(new CustomEvent(announce, { detail }));
  announceIt();
  window.addEventListener(request, announceIt);
}

// Guards: the extension's UI shows no page's free text. The wallet's message used to reach the
// popup's error whole ("The wallet failed: …", up to 2 KB); now the error is the extension's words
// with the wallet's code.
test("a wallet's long custom error: the popup shows the extension's words and the code, not the page's text", async ({
  extension,
  stack,
}) => {
  await extension.useEndpoint(stack.url);
  const page = await plainPage(extension, stack.url, 'plain', async (page) => {
    await page.addInitScript(failingWallet, {
      announce: EIP6963_ANNOUNCE,
      request: EIP6963_REQUEST,
      address: MOCK_ACCOUNT.address,
      code: WALLET_CODE,
      text: WALLET_TEXT,
    });
  });
  await page.bringToFront();
  const popup = await popupNaming(extension, stack.url);
  await popup.getByTestId('sign-in').click();

  await expect(popup.getByTestId('error')).toHaveText(walletFailedMessage(WALLET_CODE));
  await expect(popup.getByTestId('error')).toContainText(`code ${WALLET_CODE}`);
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  const shown = await popup.evaluate(() => document.documentElement.outerHTML);
  for (const part of ['stolen', '555 0100', 'evil.example', '!!!!']) expect(shown).not.toContain(part);
  expect(stack.requests('/v2/token')).toHaveLength(0);
});
