/**
 * The demo dapp's script, bundled by the local stack and served as /demo.js. It installs the dev
 * wallet(s) as early as it can (it runs from <head>), then draws the page once the DOM is there.
 *
 * Query parameters set the wallet's starting state, so each path can be reached from a URL:
 *   ?autoconfirm=1  sign without waiting for Confirm
 *   ?account=1      report Dev key #1 instead of #0
 *   ?signer=1       sign with key #1 whatever account is reported
 *   ?hang=1         never answer any request
 *   ?wallets=2      also announce a second wallet, "Dev Wallet B" (starts on the other account)
 *   ?wallet=none    no wallet at all: no window.ethereum, nothing announced
 *   ?announce=0     the wallet only as window.ethereum, not announced over EIP-6963 (an older wallet)
 */
import { EIP6963_ANNOUNCE, EIP6963_REQUEST, readAnnouncement } from '../../../src/core/eth/eip6963.ts';
import { type DevKeyIndex, isDevKeyIndex } from './dev-keys.ts';
import {
  announceDevWallet,
  createDevWallet,
  DEV_WALLET_B_INFO,
  DEV_WALLET_INFO,
  type DevWallet,
  type DevWalletOptions,
} from './dev-wallet.ts';
import { mountPageApiPanel } from './page-api-panel.ts';
import { mountWalletPanel } from './wallet-panel.ts';

// The globals this page touches; window.takoSession is typed by src/core/contract/tako-session-api.ts.
const pageWindow = window as Window & { ethereum?: unknown; devWallet?: unknown };

const query = new URLSearchParams(location.search);

function keyIndex(name: string): DevKeyIndex | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  const index = Number(value);
  return isDevKeyIndex(index) ? index : undefined;
}

interface InstalledWallet {
  slot: 'a' | 'b';
  info: { name: string; icon: string; uuid: string };
  wallet: DevWallet;
}

function installWallets(): InstalledWallet[] {
  if (query.get('wallet') === 'none') return [];
  const options: DevWalletOptions = {
    account: keyIndex('account') ?? 0,
    autoConfirm: query.get('autoconfirm') === '1',
    hang: query.get('hang') === '1',
  };
  const signer = keyIndex('signer');
  if (signer !== undefined) options.signer = signer;

  const primary = createDevWallet(options);
  pageWindow.ethereum = primary.provider;
  const announced = query.get('announce') !== '0';
  const installed: InstalledWallet[] = [
    {
      slot: 'a',
      wallet: primary,
      info: announced ? announceDevWallet(primary.provider, DEV_WALLET_INFO) : { uuid: 'not-announced', ...DEV_WALLET_INFO },
    },
  ];
  if (query.get('wallets') === '2') {
    // Starts on the other key, so a test can tell which wallet the person picked.
    const other: DevKeyIndex = options.account === 0 ? 1 : 0;
    const second = createDevWallet({ ...options, account: other });
    installed.push({ slot: 'b', wallet: second, info: announceDevWallet(second.provider, DEV_WALLET_B_INFO) });
  }
  return installed;
}

function showTakoSession(status: HTMLElement): void {
  const available = pageWindow.takoSession !== undefined;
  status.textContent = available ? 'takoSession: available' : 'takoSession: not installed';
  status.dataset.available = String(available);
}

/** Every wallet the page hears of over EIP-6963, read with the same check as the wallet bridge's. */
function listAnnouncedWallets(list: HTMLElement): void {
  const seen = new Set<string>();
  window.addEventListener(EIP6963_ANNOUNCE, (event) => {
    const wallet = readAnnouncement((event as Partial<CustomEvent>).detail);
    if (!wallet || seen.has(wallet.uuid)) return;
    seen.add(wallet.uuid);
    const item = document.createElement('li');
    item.dataset.rdns = wallet.rdns;
    item.textContent = `${wallet.name} (${wallet.rdns || 'no rdns'})`;
    list.append(item);
  });
  window.dispatchEvent(new Event(EIP6963_REQUEST));
}

const wallets = installWallets();
pageWindow.devWallet = { wallets };

function mountPage(): void {
  const status = document.querySelector<HTMLElement>('[data-testid="tako-session-status"]')!;
  // The extension defines window.takoSession at document_start and then fires the event; either
  // may already have happened by now, or happen later, so check now and listen.
  showTakoSession(status);
  window.addEventListener('takoSession#initialized', () => showTakoSession(status));

  listAnnouncedWallets(document.querySelector<HTMLElement>('[data-testid="wallets-seen"]')!);

  const panels = document.querySelector<HTMLElement>('#wallet-panels')!;
  if (wallets.length === 0) {
    const none = document.createElement('p');
    none.dataset.testid = 'wallet-none';
    none.textContent = 'No wallet on this page (wallet=none).';
    panels.append(none);
  }
  for (const { slot, info, wallet } of wallets) mountWalletPanel(panels, wallet, info, slot);

  mountPageApiPanel(document.querySelector<HTMLElement>('#page-api')!);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mountPage, { once: true });
else mountPage();
