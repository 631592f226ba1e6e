/**
 * Names and limits shared by the page world, the content script and the background. Kept apart
 * from the schemas so that the content script can import them without the validation library.
 */

/** Channel names on window.postMessage; anything else on the window is ignored. */
export const PAGE_CHANNEL = 'tako-session:page';
export const CONTENT_CHANNEL = 'tako-session:content';

/** How long the background waits for the person to answer in their wallet (reading takes a while). */
export const WALLET_TIMEOUT_MS = 3 * 60_000;
