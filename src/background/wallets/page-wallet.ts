/**
 * The wallet of a web page, as a sign-in source: which pages can be named, pinning the named
 * page's document for one sign-in, and asking the wallet bridge in that document (and no other)
 * for accounts and a signature.
 */

import { DOCUMENT_CHANGED, newMessageId, WALLET_TIMEOUT_MS } from '../../core/contract/channels.ts';
import { TakoError } from '../../core/contract/errors.ts';
import { parseMessage, ReplySchema, type WalletAction, type WalletInfo, WalletInfoSchema } from '../../core/contract/protocol.ts';
import { TakoSessionErrorCode } from '../../core/contract/tako-session-api.ts';
import type { PageSource } from '../../core/contract/ui-protocol.ts';
import type { Address } from '../../core/eth/address.ts';
import { isReverseDns } from '../../core/eth/eip6963.ts';
import type { TabInfo, TabsPort } from '../ports/ports.ts';
import type { WalletPort } from '../ports/session-ports.ts';

/** The tabs whose pages can host a wallet. */
export const WEB_PAGE_URLS = ['http://*/*', 'https://*/*'];
/** How many open pages the popup offers to pick from. */
const MAX_PAGES = 20;

type WebTab = TabInfo & { id: number; url: string };

function isWebTab(tab: TabInfo | undefined): tab is WebTab {
  return tab?.id !== undefined && tab.url !== undefined && /^https?:\/\//.test(tab.url);
}

/** One document of one tab, pinned for a sign-in. */
export interface PinnedPage {
  tabId: number;
  origin: string;
  pin: string;
  documentId?: string;
}

/** The sign-in's end when the pinned document was closed or replaced before the wallet answered. */
export const documentGoneMessage = (origin: string) =>
  `${origin} was closed or went to another page before the wallet answered: sign-in cancelled, nothing was sent`;

/** A page's own `tako_signIn` when the tab shows another document by the time it is pinned. */
export const documentReplacedMessage = (origin: string) => `${origin} went to another page before the sign-in started: nothing was sent`;

/**
 * What the person reads when a page's wallet fails: the extension's words and the wallet's code
 * (EIP-1193 and JSON-RPC codes are numbers), never the wallet's own message, which the page
 * writes: the extension's UI shows no page's free text.
 */
export function walletFailedMessage(code: number): string {
  const said = WALLET_CODE_WORDS[code] ?? 'The wallet failed';
  return Number.isSafeInteger(code) ? `${said} (code ${code})` : `${said} (no error code)`;
}

/** EIP-1193's provider errors, in the extension's words (4001, refused, is handled apart). */
const WALLET_CODE_WORDS: Partial<Record<number, string>> = {
  4100: 'The wallet has not let this page use the account',
  4200: 'The wallet does not support this request',
  4900: 'The wallet is not connected',
  4901: 'The wallet is not connected to this network',
};

/** How the background recognises a pinned document's later messages (its account switches). */
export function pageSourceId(tabId: number, pin: string): string {
  return `page ${tabId} ${pin}`;
}

export function createPageWallets(tabs: TabsPort) {
  /**
   * The pages the person can sign in with, the one they mean first: the active tab of the last
   * focused window; if that is not a web page (the extension's own options page, say), the most
   * recently used web page. The others follow by last use. Nothing is sent to any of them.
   *
   * Each is named by its origin, as the browser reports it, and never by its title: the page
   * writes its title, and the extension's UI shows no page's free text. So each origin is listed
   * once, by its tab in front or else its most recently used one; two entries alike could not be
   * told apart, and an origin is what the person trusts with the signature, whichever its tab.
   */
  async function listPages(): Promise<PageSource[]> {
    const [[active], web] = await Promise.all([tabs.query({ active: true, lastFocusedWindow: true }), tabs.query({ url: WEB_PAGE_URLS })]);
    const pages = web.filter(isWebTab).sort((a, b) => (b.lastAccessed ?? 0) - (a.lastAccessed ?? 0));
    if (isWebTab(active)) pages.sort((a, b) => Number(b.id === active.id) - Number(a.id === active.id));
    const byOrigin = new Map<string, PageSource>();
    for (const tab of pages) {
      const origin = new URL(tab.url).origin;
      if (!byOrigin.has(origin)) byOrigin.set(origin, { kind: 'page', tabId: tab.id, origin });
    }
    return [...byOrigin.values()].slice(0, MAX_PAGES);
  }

  /**
   * Pins the tab's current document, which must still show `origin`, the page the person was
   * shown, and puts the wallet bridge in it. `documentId`: the document it must be (a page's own
   * `tako_signIn`). Nothing is sent to the page's wallet yet.
   */
  async function pin(tabId: number, origin: string, documentId?: string): Promise<PinnedPage> {
    const cannotRun = (cause: unknown) =>
      new TakoError('wallet', 'Tako Session cannot run on this page; open the dapp in a normal web page and try again', { cause });
    await tabs.ensureRelay(tabId).catch((cause: unknown) => Promise.reject(cannotRun(cause)));
    const key = newMessageId();
    const pinned = await tabs.pinDocument(tabId, key).catch((cause: unknown) => Promise.reject(cannotRun(cause)));
    if (pinned.origin !== origin) {
      throw new TakoError(
        'wallet',
        `The tab no longer shows ${origin} (it shows ${pinned.origin}): nothing was sent. Sign in again from the page you mean`,
      );
    }
    if (documentId !== undefined && pinned.documentId !== undefined && pinned.documentId !== documentId) {
      throw new TakoError('wallet', documentReplacedMessage(origin));
    }
    await tabs.injectWalletBridge(tabId, pinned.documentId).catch((cause: unknown) => Promise.reject(cannotRun(cause)));
    return { tabId, origin, pin: key, ...(pinned.documentId ? { documentId: pinned.documentId } : {}) };
  }

  async function sendWalletAction(page: PinnedPage, request: WalletAction): Promise<unknown> {
    const moved = () => new TakoError('wallet', documentGoneMessage(page.origin));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TakoError('wallet', 'The wallet did not answer. Open it, then try again')), WALLET_TIMEOUT_MS);
    });
    let raw: unknown;
    try {
      raw = await Promise.race([tabs.send(page.tabId, { type: 'wallet-request', pin: page.pin, request }, page.documentId), timeout]);
    } catch (error) {
      if (error instanceof TakoError) throw error;
      throw moved();
    } finally {
      clearTimeout(timer);
    }
    const reply = parseMessage(ReplySchema, raw);
    if (!reply) throw new TakoError('wallet', 'The page sent an unreadable wallet reply');
    if (reply.ok) return reply.result;
    if (reply.error.message === DOCUMENT_CHANGED) throw moved();
    if (reply.error.code === TakoSessionErrorCode.UserRejected) throw new TakoError('rejected', 'You declined the request in your wallet');
    throw new TakoError('wallet', walletFailedMessage(reply.error.code));
  }

  function pageWallet(page: PinnedPage): WalletPort {
    return {
      source: pageSourceId(page.tabId, page.pin),
      requestAccounts: (walletId) => sendWalletAction(page, { action: 'request-accounts', ...(walletId ? { walletId } : {}) }),
      sign: (address: Address, message: string, walletId?: string) =>
        sendWalletAction(page, { action: 'sign', address, message, ...(walletId ? { walletId } : {}) }),
    };
  }

  async function listWallets(page: PinnedPage): Promise<WalletInfo[]> {
    const result = await sendWalletAction(page, { action: 'list-wallets' });
    if (!Array.isArray(result)) throw new TakoError('wallet', 'The page sent an unreadable list of wallets');
    return result.flatMap((item) => {
      const wallet = parseMessage(WalletInfoSchema, item);
      if (!wallet) return [];
      // The page world can send anything: only an image is shown as an icon, and only a
      // reverse-DNS name (a constrained identifier, not free text) as the wallet's name.
      return [
        { id: wallet.id, icon: /^data:image\//.test(wallet.icon) ? wallet.icon : '', rdns: isReverseDns(wallet.rdns) ? wallet.rdns : '' },
      ];
    });
  }

  return { listPages, pin, pageWallet, listWallets };
}

export type PageWallets = ReturnType<typeof createPageWallets>;
