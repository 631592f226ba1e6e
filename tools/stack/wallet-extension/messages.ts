/** What the test double's own pages (confirm window, wallet page) ask its background. */

export interface PendingView {
  id: string;
  method: 'eth_requestAccounts' | 'personal_sign';
  /** The extension that asked. */
  caller: string;
  /** The text to sign, for personal_sign. */
  text?: string;
}

export interface WalletView {
  accountIndex: number;
  address: string;
  autoConfirm: boolean;
  /** Extensions the person shared the account with (eth_requestAccounts approved). */
  granted: string[];
}

export type PageRequest =
  | { type: 'dev-wallet:get-state' }
  | { type: 'dev-wallet:set-account'; index: number }
  | { type: 'dev-wallet:set-auto-confirm'; on: boolean }
  | { type: 'dev-wallet:get-request'; id: string }
  | { type: 'dev-wallet:answer'; id: string; approved: boolean };

export function ask<T>(request: PageRequest): Promise<T> {
  return chrome.runtime.sendMessage(request) as Promise<T>;
}
