/**
 * The ports of ports.ts made from the real browser API. The scripts declared for every page come
 * from the manifest; the one injected on demand is named in core/channels.ts.
 */
import browser from 'webextension-polyfill';
import { RELAY_GLOBAL, WALLET_BRIDGE_SCRIPT } from '../core/channels.ts';
import { hostPermissionFor } from '../core/endpoints.ts';
import { STATE_CHANGED } from '../core/ui-protocol.ts';
import type { HasHostPermission, ShowBadge, TabsPort, WindowsPort } from './ports.ts';

/** The manifest's content scripts for web pages, in its order: the relay, then the page-world script. */
function declaredPageScripts(): Array<{ file: string; world: 'ISOLATED' | 'MAIN' }> {
  const declared = (browser.runtime.getManifest() as chrome.runtime.ManifestV3).content_scripts ?? [];
  return declared.flatMap((script) => (script.js ?? []).map((file) => ({ file, world: script.world ?? 'ISOLATED' })));
}

export const tabsPort: TabsPort = {
  query: (query) => browser.tabs.query(query),
  send: (tabId, message) => browser.tabs.sendMessage(tabId, message, { frameId: 0 }),
  async injectRelay(tabId) {
    const target = { tabId, frameIds: [0] };
    for (const { file, world } of declaredPageScripts()) {
      await browser.scripting.executeScript({ target, files: [file], world });
    }
    // The relay connects to the background on the page's first message; this tab is wanted now.
    await browser.scripting.executeScript({
      target,
      func: (name: string) => (globalThis as unknown as Record<string, (() => void) | undefined>)[name]?.(),
      args: [RELAY_GLOBAL],
    });
  },
  async injectWalletBridge(tabId) {
    await browser.scripting.executeScript({ target: { tabId, frameIds: [0] }, files: [WALLET_BRIDGE_SCRIPT], world: 'MAIN' });
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
  exists: (windowId) => browser.windows.get(windowId).then(
    () => true,
    () => false,
  ),
};

export const showBadge: ShowBadge = async (badge) => {
  await Promise.all([
    browser.action.setBadgeText({ text: badge.text }),
    browser.action.setBadgeBackgroundColor({ color: badge.color }),
    browser.action.setTitle({ title: badge.title }),
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
  names: async () => (await browser.alarms.getAll()).map((alarm) => alarm.name),
};

/** The toolbar popup's page and the largest icon, as the manifest names them. */
export function manifestFiles(): { popup: string; icon: string } {
  const manifest = browser.runtime.getManifest() as chrome.runtime.ManifestV3;
  return { popup: manifest.action?.default_popup ?? '', icon: manifest.icons?.['128'] ?? '' };
}

export const extension = { id: browser.runtime.id, baseUrl: browser.runtime.getURL('') };
