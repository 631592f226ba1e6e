/**
 * The bridge to the page's wallet: EIP-6963 discovery, falling back to `window.ethereum`. It
 * answers only what the background asks (accounts, a signature, the list of wallets); the
 * background checks every answer, since anything on the page can lie. Nothing it does throws into
 * the page: a malformed announcement is ignored.
 */

import type { WalletAction, WalletInfo } from '../core/contract/protocol.ts';
import type { TakoSessionErrorCode } from '../core/contract/tako-session-api.ts';
import { EIP6963_ANNOUNCE, EIP6963_REQUEST, ICON_BUDGET_CHARS, MAX_LISTED_WALLETS, readAnnouncement } from '../core/eth/eip6963.ts';

interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
  on?(event: 'accountsChanged', listener: (accounts: unknown) => void): void;
}

const INJECTED_ID = 'injected';

export class WalletBridgeError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export function createWalletBridge(win: Window & { ethereum?: unknown }, onAccountsChanged: (accounts: string[]) => void) {
  /** Announced wallets by uuid, in the order they first announced; a uuid keeps its first provider. */
  const announced = new Map<string, { provider: Eip1193Provider; rdns: string; icon: string }>();
  const watched = new WeakSet<object>();

  /** Forwards the wallet's account switches; each provider is watched once. */
  function watch(provider: Eip1193Provider | undefined): void {
    try {
      if (!provider || watched.has(provider) || typeof provider.on !== 'function') return;
      watched.add(provider);
      provider.on('accountsChanged', (accounts) => {
        try {
          if (Array.isArray(accounts)) onAccountsChanged(accounts.filter((a): a is string => typeof a === 'string').slice(0, 16));
        } catch {
          // A hostile array: no switch to report.
        }
      });
    } catch {
      // A provider whose `on` throws: its switches are not followed.
    }
  }

  // The EIP's dapp side: listen for the page's lifetime, then ask the wallets to announce.
  win.addEventListener(EIP6963_ANNOUNCE, (event) => {
    const wallet = readAnnouncement<Eip1193Provider>((event as Partial<CustomEvent>).detail);
    if (!wallet || announced.has(wallet.uuid)) return;
    announced.set(wallet.uuid, { provider: wallet.provider, rdns: wallet.rdns, icon: wallet.icon });
    watch(wallet.provider);
  });
  win.dispatchEvent(new Event(EIP6963_REQUEST));

  function injected(): Eip1193Provider | undefined {
    const candidate = win.ethereum as Partial<Eip1193Provider> | undefined;
    return candidate && typeof candidate.request === 'function' ? (candidate as Eip1193Provider) : undefined;
  }

  function list(): WalletInfo[] {
    let iconBudget = ICON_BUDGET_CHARS;
    const wallets: WalletInfo[] = [...announced].slice(0, MAX_LISTED_WALLETS).map(([id, { rdns, icon }]) => {
      const shown = icon.length <= iconBudget ? icon : '';
      iconBudget -= shown.length;
      return { id, icon: shown, rdns };
    });
    if (wallets.length === 0 && injected()) wallets.push({ id: INJECTED_ID, icon: '', rdns: '' });
    return wallets;
  }

  function pick(walletId: string | undefined): Eip1193Provider {
    if (walletId !== undefined && walletId !== INJECTED_ID) {
      const detail = announced.get(walletId);
      if (!detail)
        throw new WalletBridgeError('The chosen wallet is no longer on this page', -32603 satisfies typeof TakoSessionErrorCode.Internal);
      return detail.provider;
    }
    const provider = announced.values().next().value?.provider ?? injected();
    if (!provider) throw new WalletBridgeError('No wallet found on this page', -32603 satisfies typeof TakoSessionErrorCode.Internal);
    return provider;
  }

  async function perform(action: WalletAction): Promise<unknown> {
    switch (action.action) {
      case 'list-wallets':
        // Wallets injected after start-up announce themselves again on a fresh request.
        win.dispatchEvent(new Event(EIP6963_REQUEST));
        return list();
      case 'request-accounts': {
        const provider = pick(action.walletId);
        watch(provider);
        return provider.request({ method: 'eth_requestAccounts' });
      }
      case 'sign': {
        // personal_sign takes the message as hex of its UTF-8 bytes, which every wallet accepts.
        const bytes = new TextEncoder().encode(action.message);
        let hex = '0x';
        for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
        return pick(action.walletId).request({ method: 'personal_sign', params: [hex, action.address] });
      }
    }
  }

  return { perform, list };
}
