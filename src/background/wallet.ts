/**
 * Reaching the wallet of a tab: which tab the person means, making sure our bridge is in it, and
 * asking the page-world script to talk to the wallet.
 */
import type { Address } from '../core/address.ts';
import { WALLET_TIMEOUT_MS } from '../core/channels.ts';
import { TakoError } from '../core/errors.ts';
import { parseMessage, ReplySchema, WalletInfoSchema, type WalletAction, type WalletInfo } from '../core/protocol.ts';
import { TakoSessionErrorCode } from '../core/tako-session-api.ts';
import type { TabInfo, TabsPort } from './ports.ts';
import type { WalletPort } from './session-service.ts';

/** The tabs whose pages can host a wallet. */
export const WEB_PAGE_URLS = ['http://*/*', 'https://*/*'];

type WebTab = TabInfo & { id: number; url: string };

function isWebTab(tab: TabInfo | undefined): tab is WebTab {
  return tab?.id !== undefined && tab.url !== undefined && /^https?:\/\//.test(tab.url);
}

export function createTabWallets(tabs: TabsPort) {
  /**
   * The page the person is looking at: the active tab of the last focused window; if that is not
   * a web page (the extension's own options page, say), the most recently used http/https tab.
   */
  async function findTargetTab(): Promise<WebTab> {
    const [active] = await tabs.query({ active: true, lastFocusedWindow: true });
    if (isWebTab(active)) return active;
    const web = await tabs.query({ url: WEB_PAGE_URLS });
    web.sort((a, b) => (b.lastAccessed ?? 0) - (a.lastAccessed ?? 0));
    const recent = web.find(isWebTab);
    if (!recent) {
      throw new TakoError('wallet', 'No web page is open to reach your wallet: open the dapp (or any website) and try again');
    }
    return recent;
  }

  /**
   * The relay is in every web page, except tabs opened before the extension was installed or
   * updated: add it there. The wallet bridge is added now, to this page only.
   */
  async function ensureBridge(tabId: number): Promise<void> {
    try {
      const relayed = await tabs.send(tabId, { type: 'ping' }).then(
        () => true,
        () => false,
      );
      if (!relayed) await tabs.injectRelay(tabId);
      await tabs.injectWalletBridge(tabId);
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
      raw = await Promise.race([tabs.send(tabId, { type: 'wallet-request', request }), timeout]);
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

  function tabWallet(tabId: number): WalletPort {
    return {
      source: `tab ${tabId}`,
      requestAccounts: (walletId) => sendWalletAction(tabId, { action: 'request-accounts', ...(walletId ? { walletId } : {}) }),
      sign: (address: Address, message: string, walletId?: string) =>
        sendWalletAction(tabId, { action: 'sign', address, message, ...(walletId ? { walletId } : {}) }),
    };
  }

  async function listTabWallets(tabId: number): Promise<WalletInfo[]> {
    const result = await sendWalletAction(tabId, { action: 'list-wallets' });
    if (!Array.isArray(result)) throw new TakoError('wallet', 'The page sent an unreadable list of wallets');
    return result.flatMap((item) => {
      const wallet = parseMessage(WalletInfoSchema, item);
      // Only images can be shown as icons; anything else is dropped rather than rendered.
      return wallet ? [{ ...wallet, icon: /^data:image\//.test(wallet.icon) ? wallet.icon : '' }] : [];
    });
  }

  return { findTargetTab, tabWallet, listTabWallets };
}

export type TabWallets = ReturnType<typeof createTabWallets>;
