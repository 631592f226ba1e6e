/**
 * The ports of ports.ts made from the real browser API. The scripts declared for every page come
 * from the manifest; the one injected on demand is named in core/contract/channels.ts.
 */
import browser from 'webextension-polyfill';
import { RELAY_GLOBAL, SIGN_IN_PIN, WALLET_BRIDGE_SCRIPT, WALLET_RELAY_SCRIPT } from '../../core/contract/channels.ts';
import { STATE_CHANGED } from '../../core/contract/ui-protocol.ts';
import { hostPermissionFor } from '../../core/session/endpoints.ts';
import type { Session } from '../../core/session/session.ts';
import type { PolicyKept } from '../policy/policy.ts';
import type { PublisherDeps } from '../publish/publisher.ts';
import { type ExpiryNoticeClickDeps, expiryNoticeId } from '../session/expiry-notice.ts';
import type { MirrorPort } from '../storage/session-mirror.ts';
import { LocalStorageKeys, SessionStorageKeys } from '../storage/storage-keys.ts';
import type { ConnectExternal, HasHostPermission, HeaderRulesPort, ShowBadge, TabsPort, WindowsPort } from './ports.ts';
import type { IdlePort, LifetimePorts } from './session-ports.ts';

/** The manifest's content scripts for web pages, in its order: the relay, then the page-world script. */
function declaredPageScripts(): Array<{ file: string; world: 'ISOLATED' | 'MAIN' }> {
  const declared = (browser.runtime.getManifest() as chrome.runtime.ManifestV3).content_scripts ?? [];
  return declared.flatMap((script) => (script.js ?? []).map((file) => ({ file, world: script.world ?? 'ISOLATED' })));
}

export const tabsPort: TabsPort = {
  query: (query) => browser.tabs.query(query),
  send: (tabId, message, documentId) =>
    // Chromium's documentId option is not in the polyfill's types.
    browser.tabs.sendMessage(tabId, message, (documentId ? { documentId } : { frameId: 0 }) as { frameId?: number }),
  async ensureRelay(tabId) {
    const target = { tabId, frameIds: [0] };
    // The relay connects to the background on the page's first message; this tab is wanted now.
    const wire = async () => {
      const [wired] = await browser.scripting.executeScript({
        target,
        func: (name: string) => {
          const relay = (globalThis as unknown as Record<string, unknown>)[name];
          if (typeof relay !== 'function') return false;
          relay();
          return true;
        },
        args: [RELAY_GLOBAL],
      });
      return wired?.result === true;
    };
    if (await wire()) return;
    // A tab opened before the extension was installed or updated: add the page scripts first.
    for (const { file, world } of declaredPageScripts()) {
      await browser.scripting.executeScript({ target, files: [file], world });
    }
    if (!(await wire())) throw new Error('The relay did not start in this page');
  },
  async pinDocument(tabId, pin) {
    const [injected] = await browser.scripting.executeScript({
      target: { tabId, frameIds: [0] },
      func: (name: string, value: string) => {
        (globalThis as unknown as Record<string, string>)[name] = value;
        return location.origin;
      },
      args: [SIGN_IN_PIN, pin],
    });
    const { result, documentId } = (injected ?? {}) as { result?: unknown; documentId?: string };
    if (typeof result !== 'string') throw new Error('The page did not run the sign-in check');
    return { origin: result, ...(documentId ? { documentId } : {}) };
  },
  async documentOrigin(tabId, documentId) {
    try {
      // That very document, by a message its relay leaves unanswered: the browser fails it when no
      // such document can receive it (navigated away, reloaded, in the back/forward cache). No
      // host permission is needed, as the page API serves every site.
      if (documentId) await tabsPort.send(tabId, { type: 'ping' }, documentId);
      // A document's origin never changes: the tab's, when that document is the one it shows.
      const { url } = await browser.tabs.get(tabId);
      return url ? new URL(url).origin : undefined;
    } catch {
      return undefined;
    }
  },
  async injectWalletBridge(tabId, documentId) {
    const target = documentId ? { tabId, documentIds: [documentId] } : { tabId, frameIds: [0] };
    const inject = (file: string, world: 'ISOLATED' | 'MAIN') =>
      browser.scripting.executeScript({ target: target as { tabId: number }, files: [file], world });
    // The relay first, so that it listens before the bridge can post anything.
    await inject(WALLET_RELAY_SCRIPT, 'ISOLATED');
    await inject(WALLET_BRIDGE_SCRIPT, 'MAIN');
  },
};

export const windowsPort: WindowsPort = {
  async openPopup(path, { width, height }) {
    const created = await browser.windows.create({ url: browser.runtime.getURL(path), type: 'popup', width, height, focused: true });
    return created.id;
  },
  async close(windowId) {
    await browser.windows.remove(windowId);
  },
  async focus(windowId) {
    await browser.windows.update(windowId, { focused: true, drawAttention: true });
  },
  exists: (windowId) =>
    browser.windows.get(windowId).then(
      () => true,
      () => false,
    ),
};

export const headerRulesPort: HeaderRulesPort = {
  held: () => browser.declarativeNetRequest.getSessionRules(),
  update: (update) => browser.declarativeNetRequest.updateSessionRules(update),
};

export const showBadge: ShowBadge = async (badge) => {
  await Promise.all([
    browser.action.setBadgeText({ text: badge.text }),
    browser.action.setBadgeBackgroundColor({ color: badge.color }),
    browser.action.setTitle({ title: browser.i18n.getMessage(badge.titleMessage) }),
  ]);
};

export const hasHostPermission: HasHostPermission = (baseUrl) => browser.permissions.contains({ origins: [hostPermissionFor(baseUrl)] });

/** Open extension pages re-read their state; with none open there is no receiver, which is fine. */
export async function notifyExtensionPages(): Promise<void> {
  await browser.runtime.sendMessage(STATE_CHANGED).catch(() => undefined);
}

export const alarmsPort = {
  schedule: (name: string, whenMs: number) => browser.alarms.create(name, { when: whenMs }),
  clear: async (name: string) => {
    await browser.alarms.clear(name);
  },
  scheduled: async () => new Map((await browser.alarms.getAll()).map((alarm) => [alarm.name, alarm.scheduledTime])),
};

export const idlePort: IdlePort = {
  queryState: (seconds) => browser.idle.queryState(seconds),
  setDetectionInterval: (seconds) => browser.idle.setDetectionInterval(seconds),
};

/** What the organisation's policy sets (`storage.managed`); rejects when none is set, as Firefox does. */
export const readManagedStorage = (): Promise<unknown> => browser.storage.managed.get(null);

export const policyKeptPort: PolicyKept = {
  get: async () => (await browser.storage.local.get(LocalStorageKeys.lastPolicy))[LocalStorageKeys.lastPolicy],
  set: (raw) => browser.storage.local.set({ [LocalStorageKeys.lastPolicy]: raw }),
};

const { browserRun: BROWSER_RUN_KEY, sessionMirror: SESSION_MIRROR_KEY, lastPublished: LAST_PUBLISHED_KEY } = SessionStorageKeys;

export const lastPublishedPort: NonNullable<PublisherDeps['lastPublished']> = {
  get: async () => (await browser.storage.session.get(LAST_PUBLISHED_KEY))[LAST_PUBLISHED_KEY],
  set: (state) => browser.storage.session.set({ [LAST_PUBLISHED_KEY]: state }),
};

export const sessionMirrorPort: MirrorPort = {
  get: async () => (await browser.storage.session.get(SESSION_MIRROR_KEY))[SESSION_MIRROR_KEY],
  set: (record) => browser.storage.session.set({ [SESSION_MIRROR_KEY]: record }),
  remove: () => browser.storage.session.remove(SESSION_MIRROR_KEY),
};

export const browserRunPort: LifetimePorts['browserRun'] = {
  async startedNow() {
    const found = await browser.storage.session.get(BROWSER_RUN_KEY);
    if (found[BROWSER_RUN_KEY] !== undefined) return false;
    await browser.storage.session.set({ [BROWSER_RUN_KEY]: Date.now() });
    return true;
  },
};

/** The toolbar popup's page and the largest icon, as the manifest names them. */
export function manifestFiles(): { popup: string; icon: string } {
  const manifest = browser.runtime.getManifest() as chrome.runtime.ManifestV3;
  return { popup: manifest.action?.default_popup ?? '', icon: manifest.icons?.['128'] ?? '' };
}

export const extension = { id: browser.runtime.id, baseUrl: browser.runtime.getURL('') };

/** The notice that a session expired (see expiry-notice.ts for its click). */
export function showExpiryNotice(session: Session): void {
  void browser.notifications
    .create(expiryNoticeId(session.address), {
      type: 'basic',
      iconUrl: browser.runtime.getURL(manifestFiles().icon),
      title: 'Tako session expired',
      message: `${session.address.slice(0, 10)}… needs to sign in again. Click to open Tako Session.`,
    })
    .catch(() => undefined);
}

export function expiryNoticeClickDeps(): ExpiryNoticeClickDeps {
  return {
    clear: (id) => browser.notifications.clear(id),
    openActionPopup: async () => {
      // Not in every engine's types: the polyfill's lag behind `action.openPopup` (Chromium 127+).
      const action = browser.action as { openPopup?: () => Promise<void> };
      if (!action.openPopup) throw new Error('action.openPopup is not available');
      await action.openPopup();
    },
    windows: windowsPort,
    popupPage: manifestFiles().popup,
  };
}

/** A port to another extension (a wallet). The polyfill leaves ports as the browser makes them. */
export const connectExternal: ConnectExternal = (extensionId) => {
  const port = browser.runtime.connect(extensionId, {});
  return {
    postMessage: (message) => port.postMessage(message),
    onMessage: (listener) => port.onMessage.addListener((message: unknown) => listener(message)),
    // Reading the error marks it seen: a missing extension is an expected answer, not a console error.
    onDisconnect: (listener) =>
      port.onDisconnect.addListener(() => {
        void (port.error ?? globalThis.chrome?.runtime?.lastError);
        listener();
      }),
    disconnect: () => port.disconnect(),
  };
};

/** Which engine runs the extension: it decides which MetaMask ids to look for. */
export const engine: 'chromium' | 'firefox' = browser.runtime.getURL('').startsWith('moz-extension:') ? 'firefox' : 'chromium';
