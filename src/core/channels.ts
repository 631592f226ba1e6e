/**
 * Channel names on window.postMessage; anything else on the window is ignored. Kept apart from
 * the schemas so that the content script can import them without the validation library.
 */
export const PAGE_CHANNEL = 'tako-session:page';
export const CONTENT_CHANNEL = 'tako-session:content';
