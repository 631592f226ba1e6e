/**
 * Reaching the wallet of a tab: which tab the person means, making sure our bridge is in it, and
 * asking the page-world script to talk to the wallet.
 */
import browser, { type Tabs } from 'webextension-polyfill';
import type { Address } from '../core/address.ts';
import { WALLET_TIMEOUT_MS } from '../core/channels.ts';
import { TakoError } from '../core/errors.ts';
import { TakoSessionErrorCode } from '../core/tako-session-api.ts';
import {
  parseMessage,
  ReplySchema,
  WalletInfoSchema,
  type BackgroundToContent,
  type WalletAction,
  type WalletInfo,
} from '../core/protocol.ts';
import type { WalletPort } from './session-service.ts';

function isWebUrl(url: string | undefined): url is string {
  return url !== undefined && /^https?:\/\//.test(url);
}

/**
 * The page the person is looking at: the active tab of the last focused window; if that is not a
 * web page (the extension's own options page, say), the most recently used http/https tab.
 */
export async function findTargetTab(): Promise<Tabs.Tab & { id: number; url: string }> {
  const [active] = await browser.tabs.query({ active: true, lastFocusedWindow: true });
  if (active?.id !== undefined && isWebUrl(active.url)) return active as Tabs.Tab & { id: number; url: string };
  const web = await browser.tabs.query({ url: ['http://*/*', 'https://*/*'] });
  web.sort((a, b) => (b.lastAccessed ?? 0) - (a.lastAccessed ?? 0));
  const recent = web.find((tab) => tab.id !== undefined && isWebUrl(tab.url));
  if (!recent) {
    throw new TakoError('wallet', 'No web page is open to reach your wallet: open the dapp (or any website) and try again');
  }
  return recent as Tabs.Tab & { id: number; url: string };
}

/** Tabs opened before the extension was installed or updated have no bridge yet: add it now. */
async function ensureBridge(tabId: number): Promise<void> {
  try {
    await browser.tabs.sendMessage(tabId, { type: 'ping' } satisfies BackgroundToContent, { frameId: 0 });
    return;
  } catch {
    // No receiver: inject below.
  }
  try {
    await browser.scripting.executeScript({ target: { tabId, frameIds: [0] }, files: ['content.js'] });
    await browser.scripting.executeScript({ target: { tabId, frameIds: [0] }, files: ['page.js'], world: 'MAIN' });
  } catch (cause) {
    throw new TakoError('wallet', 'Tako Session cannot run on this page; open the dapp in a normal web page and try again', {
      cause,
    });
  }
}

async function sendWalletAction(tabId: number, request: WalletAction): Promise<unknown> {
  await ensureBridge(tabId);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TakoError('wallet', 'The wallet did not answer. Open it, then try again')), WALLET_TIMEOUT_MS);
  });
  let raw: unknown;
  try {
    raw = await Promise.race([browser.tabs.sendMessage(tabId, { type: 'wallet-request', request } satisfies BackgroundToContent, { frameId: 0 }), timeout]);
  } catch (error) {
    if (error instanceof TakoError) throw error;
    throw new TakoError('wallet', 'The page was closed or reloaded before the wallet answered', { cause: error });
  } finally {
    clearTimeout(timer);
  }
  const reply = parseMessage(ReplySchema, raw);
  if (!reply) throw new TakoError('wallet', 'The page sent an unreadable wallet reply');
  if (reply.ok) return reply.result;
  if (reply.error.code === TakoSessionErrorCode.UserRejected) throw new TakoError('rejected', 'You declined the request in your wallet');
  throw new TakoError('wallet', `The wallet failed: ${reply.error.message}`);
}

export function tabWallet(tabId: number): WalletPort {
  return {
    source: `tab ${tabId}`,
    requestAccounts: (walletId) => sendWalletAction(tabId, { action: 'request-accounts', ...(walletId ? { walletId } : {}) }),
    sign: (address: Address, message: string, walletId?: string) =>
      sendWalletAction(tabId, { action: 'sign', address, message, ...(walletId ? { walletId } : {}) }),
  };
}

export async function listTabWallets(tabId: number): Promise<WalletInfo[]> {
  const result = await sendWalletAction(tabId, { action: 'list-wallets' });
  if (!Array.isArray(result)) throw new TakoError('wallet', 'The page sent an unreadable list of wallets');
  return result.flatMap((item) => {
    const wallet = parseMessage(WalletInfoSchema, item);
    // Only images can be shown as icons; anything else is dropped rather than rendered.
    return wallet ? [{ ...wallet, icon: /^data:image\//.test(wallet.icon) ? wallet.icon : '' }] : [];
  });
}
