/**
 * The bridge to the page's wallet: EIP-6963 discovery, falling back to `window.ethereum`. It
 * answers only what the background asks (accounts, a signature, the list of wallets); the
 * background checks every answer, since anything on the page can lie.
 */
import { eip6963RequestProvider, type EIP6963ProviderDetail } from '@metamask/providers';
import type { WalletAction, WalletInfo } from '../core/protocol.ts';
import type { TakoSessionErrorCode } from '../core/tako-session-api.ts';

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
  const announced = new Map<string, EIP6963ProviderDetail>();
  const watched = new WeakSet<object>();

  /** Forwards the wallet's account switches; each provider is watched once. */
  function watch(provider: Eip1193Provider | undefined): void {
    if (!provider || watched.has(provider) || typeof provider.on !== 'function') return;
    watched.add(provider);
    provider.on('accountsChanged', (accounts) => {
      if (Array.isArray(accounts)) onAccountsChanged(accounts.filter((a): a is string => typeof a === 'string').slice(0, 16));
    });
  }

  eip6963RequestProvider((detail) => {
    announced.set(detail.info.uuid, detail);
    watch(detail.provider as unknown as Eip1193Provider);
  });

  function injected(): Eip1193Provider | undefined {
    const candidate = win.ethereum as Partial<Eip1193Provider> | undefined;
    return candidate && typeof candidate.request === 'function' ? (candidate as Eip1193Provider) : undefined;
  }

  function list(): WalletInfo[] {
    const wallets: WalletInfo[] = [...announced.values()].map(({ info }) => ({
      id: info.uuid,
      name: info.name,
      icon: info.icon,
      rdns: info.rdns,
    }));
    if (wallets.length === 0 && injected()) {
      wallets.push({ id: INJECTED_ID, name: 'Browser wallet', icon: '', rdns: '' });
    }
    return wallets;
  }

  function pick(walletId: string | undefined): Eip1193Provider {
    if (walletId !== undefined && walletId !== INJECTED_ID) {
      const detail = announced.get(walletId);
      if (!detail) throw new WalletBridgeError('The chosen wallet is no longer on this page', -32603 satisfies typeof TakoSessionErrorCode.Internal);
      return detail.provider as unknown as Eip1193Provider;
    }
    const first = announced.values().next().value as EIP6963ProviderDetail | undefined;
    const provider = (first?.provider as unknown as Eip1193Provider | undefined) ?? injected();
    if (!provider) throw new WalletBridgeError('No wallet found on this page', -32603 satisfies typeof TakoSessionErrorCode.Internal);
    return provider;
  }

  async function perform(action: WalletAction): Promise<unknown> {
    switch (action.action) {
      case 'list-wallets':
        // Wallets injected after start-up announce themselves again on a fresh request.
        win.dispatchEvent(new Event('eip6963:requestProvider'));
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
