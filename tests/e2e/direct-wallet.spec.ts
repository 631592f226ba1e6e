/**
 * Signing in directly through a wallet extension, extension to extension, in real Chromium: the
 * local stack's MetaMask double (tools/stack/wallet-extension/) is loaded beside the product and
 * reached over its external port; no web page takes part.
 */
import type { Page } from '@playwright/test';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import type { UiReplies, UiRequest } from '../../src/core/contract/ui-protocol.ts';
import { parseSignInMessage } from '../../src/core/eth/sign-in-message.ts';
import { isSignedBy } from '../../src/core/eth/signature.ts';
import { DEV_KEYS } from '../../tools/stack/demo/dev-keys.ts';
import { DEV_WALLET_EXTENSION_ID } from '../../tools/stack/wallet-extension/id.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { openDevWallet, setAutoConfirm, useDevWalletExtension } from '../support/e2e/dev-wallet-extension.ts';
import { expectSignedIn } from '../support/e2e/popup.ts';
import { localeMessage } from '../support/locale-messages.ts';
import { type Extension, expect, test } from './fixtures.ts';

test.use({ walletExtension: true });

type Reply<T> = { ok: true; result: T } | { ok: false; error: { code: number; message: string } };

/** A UI request from an extension page, as the popup would send it. */
function ask<T extends UiRequest['type']>(page: Page, request: Extract<UiRequest, { type: T }>): Promise<Reply<UiReplies[T]>> {
  return page.evaluate((message) => chrome.runtime.sendMessage(message), request) as Promise<Reply<UiReplies[T]>>;
}

/** Every open page is one of the extensions' own: no web page could take part. */
function expectNoWebPage(extension: Extension): void {
  const urls = extension.context.pages().map((page) => page.url());
  expect(urls.filter((url) => !url.startsWith('chrome-extension://') && url !== 'about:blank')).toEqual([]);
}

// Guards: direct sign-in is offered first and no web page takes part. Naming a page first, or
// reaching the wallet through a page, fails this test.
test('the popup names the wallet extension first and signs in through it with no web page open', async ({ extension, stack }) => {
  await setAutoConfirm(extension, true);
  const options = await useDevWalletExtension(extension, stack.url);
  await options.close();

  expectNoWebPage(extension);
  const popup = await extension.openPage('popup.html');
  const source = popup.getByTestId('sign-in-source');
  await expect(source).toHaveAttribute('data-kind', 'extension');
  await expect(source).toHaveAttribute('data-origin', '');
  // Named as the person set it up, not by its id, which stays at hand as the tooltip.
  await expect(source).toHaveText(localeMessage('en', 'sourceSettingsExtension'));
  await expect(source).toHaveAttribute('title', DEV_WALLET_EXTENSION_ID);
  await popup.getByTestId('sign-in').click();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  expectNoWebPage(extension);

  // The stack received one sign-in, with a fresh message signed by the double's account.
  const signIns = stack.requests('/v2/token');
  expect(signIns.map((r) => r.status)).toEqual([200]);
  const { message, signature } = signIns[0]!.body as { message: string; signature: string };
  expect(parseSignInMessage(message).address).toBe(DEV_ADDRESS);
  expect(isSignedBy(message, signature, DEV_ADDRESS)).toBe(true);
});

test('approving in the wallet extension\'s own window signs in; rejecting there is 4001 "declined" and posts nothing', async ({
  extension,
  stack,
}) => {
  const options = await useDevWalletExtension(extension, stack.url);
  const source = { kind: 'extension', extensionId: DEV_WALLET_EXTENSION_ID } as const;

  // Rejected at the account request.
  let confirm = extension.context.waitForEvent('page', (page) =>
    page.url().startsWith(`chrome-extension://${DEV_WALLET_EXTENSION_ID}/confirm.html`),
  );
  let signingIn = ask(options, { type: 'sign-in', source });
  let window = await confirm;
  await expect(window.getByTestId('wallet-request')).toHaveAttribute('data-method', 'eth_requestAccounts');
  await Promise.all([window.waitForEvent('close'), window.getByTestId('wallet-reject').click()]);
  expect(await signingIn).toEqual({
    ok: false,
    error: { code: TakoSessionErrorCode.UserRejected, message: 'You declined the request in your wallet' },
  });
  expect(stack.requests('/v2/token')).toEqual([]);

  // Approved both times: the account, then the signature over the message shown in the window.
  confirm = extension.context.waitForEvent('page', (page) =>
    page.url().startsWith(`chrome-extension://${DEV_WALLET_EXTENSION_ID}/confirm.html`),
  );
  signingIn = ask(options, { type: 'sign-in', source });
  window = await confirm;
  await Promise.all([window.waitForEvent('close'), window.getByTestId('wallet-approve').click()]);
  confirm = extension.context.waitForEvent('page', (page) =>
    page.url().startsWith(`chrome-extension://${DEV_WALLET_EXTENSION_ID}/confirm.html`),
  );
  window = await confirm;
  await expect(window.getByTestId('wallet-request')).toHaveAttribute('data-method', 'personal_sign');
  await expect(window.getByTestId('wallet-request-text')).toContainText(DEV_ADDRESS);
  await Promise.all([window.waitForEvent('close'), window.getByTestId('wallet-approve').click()]);
  expect(await signingIn).toMatchObject({ ok: true, result: { address: DEV_ADDRESS } });
  expect(stack.requests('/v2/token').map((r) => r.status)).toEqual([200]);
});

test('switching the account in the wallet extension that signed in is followed: the popup offers the new account', async ({
  extension,
  stack,
}) => {
  await setAutoConfirm(extension, true);
  const options = await useDevWalletExtension(extension, stack.url);
  expect(await ask(options, { type: 'sign-in', source: { kind: 'extension', extensionId: DEV_WALLET_EXTENSION_ID } })).toMatchObject({
    ok: true,
  });

  const wallet = await openDevWallet(extension);
  await wallet.getByTestId('wallet-account').selectOption('1');
  await expect(wallet.getByTestId('wallet-settings')).toHaveAttribute('data-address', DEV_KEYS[1].address);

  await expect
    .poll(async () => {
      const state = await ask(options, { type: 'get-state' });
      return state.ok ? state.result.switchedAccount : state.error.message;
    })
    .toBe(DEV_KEYS[1].address);
});

test('a wallet extension id that is not one is refused by the options and changes nothing', async ({ extension, stack }) => {
  const options = await useDevWalletExtension(extension, stack.url);
  await options.getByTestId('wallet-extension-id').fill('not an extension');
  await options.getByTestId('save').click();
  await expect(options.getByTestId('options-error')).toContainText('wallet extension id');
  // The background holds the same rule for a request that skips the form's check.
  const reply = await ask(options, {
    type: 'save-settings',
    endpoint: { preset: 'custom', baseUrl: stack.url, version: 'v2' },
    walletExtensionId: 'nope',
  });
  expect(reply).toMatchObject({ ok: false, error: { code: TakoSessionErrorCode.InvalidParams } });
  expect(await ask(options, { type: 'get-settings' })).toMatchObject({ ok: true, result: { walletExtensionId: DEV_WALLET_EXTENSION_ID } });
});

test.describe('without any wallet extension', () => {
  test.use({ walletExtension: false });

  test('nothing is detected, and a direct sign-in says the wallet is not installed', async ({ extension, stack }) => {
    await extension.useEndpoint(stack.url);
    const options = await extension.openPage('options.html');
    // MetaMask stable and Flask, the default candidates, are not installed either.
    const sources = await ask(options, { type: 'list-sign-in-sources' });
    expect(sources.ok && sources.result.filter((source) => source.kind === 'extension')).toEqual([]);
    const reply = await ask(options, { type: 'sign-in', source: { kind: 'extension', extensionId: DEV_WALLET_EXTENSION_ID } });
    expect(reply).toMatchObject({ ok: false, error: { message: expect.stringContaining('is not installed') } });
    expect(stack.requests('/v2/token')).toEqual([]);
  });
});
