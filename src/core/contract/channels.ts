/**
 * Names and limits shared by the page world, the content script and the background. Kept apart
 * from the schemas so that the content script can import them without the validation library.
 */

/** Channel names on window.postMessage; anything else on the window is ignored. */
export const PAGE_CHANNEL = 'tako-session:page';
export const CONTENT_CHANNEL = 'tako-session:content';

/**
 * The global (in the content script's isolated world) holding the relay's `wire`: the relay waits
 * for the page's first message before it connects to the background, so the background, when it
 * injects the relay to reach a tab, calls this to connect it at once.
 */
export const RELAY_GLOBAL = '__takoSessionRelay';

/**
 * The files the background injects into the page picked for sign-in, and only there: the wallet
 * relay (the extension's isolated world) and the wallet bridge (the page's world) behind it.
 */
export const WALLET_RELAY_SCRIPT = 'wallet-relay.js';
export const WALLET_BRIDGE_SCRIPT = 'wallet-bridge.js';
/** Marks the wallet relay as installed in a document's isolated world, so that a second sign-in keeps the first. */
export const WALLET_RELAY_GLOBAL = '__takoSessionWalletRelay';

/**
 * The extension's isolated world of the page picked for sign-in holds that sign-in's pin under this
 * name (the page's own scripts cannot see it). Wallet steps carry the pin and the wallet relay
 * refuses any that do not match, so a tab that moved on to another document cannot be sent one;
 * account switches carry it too, so the background believes them only from the document that
 * signed in.
 */
export const SIGN_IN_PIN = '__takoSessionPin';
/**
 * The wallet relay's refusal of a step meant for a document it is not: read by the background,
 * which tells the person in its own words.
 */
export const DOCUMENT_CHANGED = 'document-changed';

/**
 * The largest message a page may post to the relay, serialised (JSON, UTF-8): anything larger is
 * refused there (-32602) and never reaches the background. The contract's largest real message,
 * a wallet's signature or a reported token, is a few KB.
 */
export const MAX_PAGE_MESSAGE_BYTES = 64 * 1024;

/** How long the background waits for the person to answer in their wallet (reading takes a while). */
export const WALLET_TIMEOUT_MS = 3 * 60_000;

/**
 * An id for a message between the page world and the content script. `crypto.randomUUID` exists
 * only in secure contexts, and an http:// page that is not loopback is none (its content script
 * too); `getRandomValues` works everywhere.
 */
export function newMessageId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
