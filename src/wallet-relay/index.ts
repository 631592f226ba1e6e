/**
 * Wallet relay (isolated world), injected by the background into the one page the person picked
 * for sign-in, just before the wallet bridge (src/wallet-bridge/, the page world's half): it
 * carries the background's wallet steps to the bridge and the wallet's answers and account
 * switches back. The relay every page carries (src/content/) knows nothing of wallets, so no
 * other page holds this code.
 *
 * Every step and account switch is tied to the sign-in's pin (SIGN_IN_PIN), which the background
 * gave this document before injecting this script: a tab that moved on to another document
 * refuses the step, and its account switches are not believed.
 */

import { type Code, errorReply, isId, refusalOf, toPage } from '../content/page-traffic.ts';
import { DOCUMENT_CHANGED, PAGE_CHANNEL, SIGN_IN_PIN, WALLET_RELAY_GLOBAL, WALLET_TIMEOUT_MS } from '../core/contract/channels.ts';

/**
 * A step's waiter is dropped this long after it was relayed: later than the background gives up,
 * so that the background's own timeout message is the one the person reads.
 */
const WAITER_TTL_MS = WALLET_TIMEOUT_MS + 2 * 60_000;

/** This world's globals: the sign-in pin and the mark of this script; the page cannot see them. */
const globals = globalThis as unknown as Record<string, unknown>;

const waiters = new Map<string, (reply: unknown) => void>();
/**
 * Step ids need only be unique in this document: the step and its id are posted on the page's
 * window, which anything on the page reads, so an id hides nothing, and the background checks
 * every wallet answer (the signature is recovered) whoever sent it.
 */
let steps = 0;

function onBackgroundMessage(raw: unknown, sender: chrome.runtime.MessageSender, sendResponse: (reply: unknown) => void) {
  if (sender.id !== chrome.runtime.id || sender.tab) return false;
  const message = raw as { type?: unknown; pin?: unknown; request?: unknown } | null;
  if (message?.type !== 'wallet-request') return false;
  // Meant for the document pinned for a sign-in, which this one is not (any more).
  if (message.pin !== globals[SIGN_IN_PIN]) {
    sendResponse(errorReply(-32603 satisfies Code['Internal'], DOCUMENT_CHANGED));
    return false;
  }
  const id = `w${++steps}`;
  const timer = setTimeout(() => {
    waiters.delete(id);
    sendResponse(errorReply(-32603 satisfies Code['Internal'], 'The wallet did not answer'));
  }, WAITER_TTL_MS);
  waiters.set(id, (answer) => {
    clearTimeout(timer);
    sendResponse(answer);
  });
  toPage('wallet-request', { id, request: message.request });
  return true; // answered asynchronously
}

/** The bridge's answers and account switches, from this window's page world only. */
function onWindowMessage(event: MessageEvent) {
  if (event.source !== window) return;
  const data = event.data as { channel?: unknown; kind?: unknown; id?: unknown; reply?: unknown; accounts?: unknown } | null;
  if (data?.channel !== PAGE_CHANNEL) return;
  if (data.kind === 'wallet-reply' && isId(data.id)) {
    waiters.get(data.id)?.(refusalOf(data) || data.reply);
    waiters.delete(data.id);
  } else if (data.kind === 'wallet-accounts' && !refusalOf(data)) {
    try {
      // The background checks the accounts and believes them only with this sign-in's pin.
      chrome.runtime.sendMessage({ type: 'wallet-accounts', accounts: data.accounts, pin: globals[SIGN_IN_PIN] }).catch(() => undefined);
    } catch {
      // The extension was updated or disabled: its next sign-in injects a new relay.
    }
  }
}

// Each sign-in injects it again: the document keeps the first one.
if (!globals[WALLET_RELAY_GLOBAL]) {
  globals[WALLET_RELAY_GLOBAL] = true;
  chrome.runtime.onMessage.addListener(onBackgroundMessage);
  window.addEventListener('message', onWindowMessage);
}
