/**
 * The local stack's MetaMask double (tools/stack/wallet-extension/), driven as a person would: its
 * own page, its auto-confirm switch, and the options naming it as the wallet extension to sign in
 * with. For specs that load it (`test.use({ walletExtension: true })`).
 */
import { expect, type Page } from '@playwright/test';
import { DEV_WALLET_EXTENSION_ID } from '../../../tools/stack/wallet-extension/id.ts';
import type { Extension } from './extension.ts';

/** The double's own page (wallet.html), loaded. */
export async function openDevWallet(extension: Extension): Promise<Page> {
  const page = await extension.context.newPage();
  await page.goto(`chrome-extension://${DEV_WALLET_EXTENSION_ID}/wallet.html`);
  await expect(page.getByTestId('wallet-auto-confirm')).toBeEnabled();
  return page;
}

export async function setAutoConfirm(extension: Extension, on: boolean): Promise<void> {
  const wallet = await openDevWallet(extension);
  await wallet.getByTestId('wallet-auto-confirm').setChecked(on);
  await expect(wallet.getByTestId('wallet-settings')).toHaveAttribute('data-auto-confirm', String(on));
  await wallet.close();
}

/** The options page with the local stack as endpoint and the double as the wallet extension, saved through the form. */
export async function useDevWalletExtension(extension: Extension, stackUrl: string): Promise<Page> {
  await extension.useEndpoint(stackUrl);
  const options = await extension.openPage('options.html');
  await expect(options.getByTestId('wallet-extension-id')).toBeEnabled();
  await options.getByTestId('wallet-extension-id').fill(DEV_WALLET_EXTENSION_ID);
  await options.getByTestId('save').click();
  // An extension known only by its id is named by it where the person typed it.
  await expect(options.getByTestId('options-status')).toContainText(DEV_WALLET_EXTENSION_ID);
  return options;
}
