/**
 * The browser as the background's modules see it: narrow ports passed in through their deps, so
 * that each module runs in Node tests with fakes. browser-ports.ts makes them from the real API.
 */
import type { HeaderRule } from '../../core/consent/header-rules.ts';
import type { BackgroundToContent } from '../../core/contract/protocol.ts';

export interface TabInfo {
  id?: number;
  url?: string;
  lastAccessed?: number;
}

/** The top document of a tab, as marked for one sign-in. */
export interface PinnedDocument {
  origin: string;
  /** The browser's id of that document, where it reports one (Chromium). */
  documentId?: string;
}

export interface TabsPort {
  query(query: { active?: true; lastFocusedWindow?: true; url?: string[] }): Promise<TabInfo[]>;
  /**
   * A message to the content script in the tab's top frame, or in that one document when
   * `documentId` is given; rejects when nothing there answers.
   */
  send(tabId: number, message: BackgroundToContent, documentId?: string): Promise<unknown>;
  /**
   * Makes sure the tab's page has the relay, connected to the background: a page that never used
   * `window.takoSession` has it unconnected; a tab opened before install has none (it is added).
   */
  ensureRelay(tabId: number): Promise<void>;
  /** Gives the tab's top document `pin` (SIGN_IN_PIN, in the extension's world) and says which document that is. */
  pinDocument(tabId: number, pin: string): Promise<PinnedDocument>;
  /**
   * The origin of the tab's top document, or of that one document when `documentId` is given;
   * undefined when it is gone (navigated away, reloaded, its tab closed).
   */
  documentOrigin(tabId: number, documentId?: string): Promise<string | undefined>;
  /**
   * Adds the wallet relay (isolated world) and the wallet bridge (page world) to that document; a
   * second copy of either in one document stands down.
   */
  injectWalletBridge(tabId: number, documentId?: string): Promise<void>;
}

export interface WindowsPort {
  /** Opens an extension page in a popup window; resolves the window's id. */
  openPopup(path: string, size: { width: number; height: number }): Promise<number | undefined>;
  close(windowId: number): Promise<void>;
  /** Brings the window to the front. */
  focus(windowId: number): Promise<void>;
  exists(windowId: number): Promise<boolean>;
}

/** The toolbar button's badge and tooltip. */
export interface Badge {
  text: string;
  color: string;
  /** The tooltip: the name of a message in `_locales`, shown in the browser's language. */
  titleMessage: string;
}

export type ShowBadge = (badge: Badge) => Promise<void>;

/** Whether the browser granted the extension the host of this base URL. */
export type HasHostPermission = (baseUrl: string) => Promise<boolean>;

/**
 * A port to another extension (`runtime.connect(extensionId)`). When no extension with that id is
 * installed, or it does not listen, the port disconnects at once.
 */
export interface ExternalPort {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onDisconnect(listener: () => void): void;
  disconnect(): void;
}

export type ConnectExternal = (extensionId: string) => ExternalPort;

/** A session rule as the browser returns it: its id, the tabs it covers and the header it sets. */
export interface HeldHeaderRule {
  id: number;
  condition?: { tabIds?: number[] };
  action?: { requestHeaders?: Array<{ value?: string }> };
}

/** The browser's declarativeNetRequest session rules, as header-only access uses them. */
export interface HeaderRulesPort {
  /** The session rules the browser holds (a new worker learns what the last one left). */
  held(): Promise<HeldHeaderRule[]>;
  /** One atomic update: these ids removed and these rules added, or neither. */
  update(update: { removeRuleIds: number[]; addRules: HeaderRule[] }): Promise<void>;
}
