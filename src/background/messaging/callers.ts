/**
 * Who sent a runtime message, from what the browser reports about the sender and never from the
 * message itself: one of the extension's own pages, a content script in the top frame of a web
 * page (with that page's origin), or nobody the background answers.
 */

/** The parts of the browser's `MessageSender` the decision reads. */
export interface Sender {
  id?: string;
  url?: string;
  /** The sending document's origin as the browser saw it (Chromium); "null" when opaque. */
  origin?: string;
  frameId?: number;
  /** The sending document (Chromium). */
  documentId?: string;
  tab?: { id?: number };
}

/** This extension, as the browser names it. */
export interface Extension {
  id: string;
  /** `chrome-extension://<id>/` */
  baseUrl: string;
}

export interface PageCaller {
  origin: string;
  tabId: number;
  documentId?: string;
}

/** One of this extension's own pages (popup, options, approval window). */
export function isExtensionPage(sender: Sender, extension: Extension): boolean {
  return sender.id === extension.id && typeof sender.url === 'string' && sender.url.startsWith(extension.baseUrl);
}

/**
 * A content script of this extension in the top frame of an http(s) page. The origin is the one
 * the browser reports for the sender; only when it reports none is it taken from the sender's URL.
 * An opaque origin ("null": a sandboxed page) is no web origin and is refused, whatever the URL.
 */
export function pageCaller(sender: Sender, extension: Extension): PageCaller | undefined {
  if (sender.id !== extension.id || sender.tab?.id === undefined || sender.frameId !== 0) return undefined;
  const origin = sender.origin ?? (sender.url ? new URL(sender.url).origin : undefined);
  if (!origin || !/^https?:\/\//.test(origin)) return undefined;
  return { origin, tabId: sender.tab.id, ...(sender.documentId ? { documentId: sender.documentId } : {}) };
}
