/**
 * Background service worker entry: the only owner of sessions and secrets. Every listener is
 * registered here, synchronously, once, so that whatever woke the worker (alarm, message,
 * browser start) finds its handler; work that needs stored state waits on `ready`.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { describeError, isTakoError } from '../core/errors.ts';
import { ContentToBackgroundSchema, parseMessage, STATE_CHANGED, UiToBackgroundSchema, type Reply } from '../core/protocol.ts';
import { createApprovals } from './approvals.ts';
import { withMemoryCache } from './cached-store.ts';
import { showBadge } from './badge.ts';
import { createMetahuman } from './metahuman.ts';
import { createPageApi } from './page-api.ts';
import { createSessionService } from './session-service.ts';
import { createSites } from './sites.ts';
import { createIdbStore } from './store.ts';
import { broadcastSession } from './tabs.ts';
import { createUiApi } from './ui-api.ts';
import { findTargetTab, tabWallet } from './wallet.ts';

const store = withMemoryCache(createIdbStore());
const sites = createSites(store, () => Date.now());
const approvals = createApprovals();

let changeQueued = false;
let published: Promise<void> = Promise.resolve();
/**
 * Coalesces bursts of changes into one badge update and one broadcast, and runs publishes one
 * after another so that pages never end on an older state than the last one.
 */
function onChange(): void {
  if (changeQueued) return;
  changeQueued = true;
  queueMicrotask(() => {
    changeQueued = false;
    published = published
      .then(publish)
      .catch((error: unknown) => console.warn('Tako Session: could not publish state:', describeError(error)));
  });
}

const service = createSessionService({
  store,
  clock: { now: () => Date.now(), random: () => Math.random() },
  fetch: (input, init) => fetch(input, init),
  alarms: {
    schedule: (name, whenMs) => browser.alarms.create(name, { when: whenMs }),
    clear: async (name) => {
      await browser.alarms.clear(name);
    },
    names: async () => (await browser.alarms.getAll()).map((alarm) => alarm.name),
  },
  onChange,
  onExpired: (session) => {
    void browser.notifications
      .create(`expired ${session.address}`, {
        type: 'basic',
        iconUrl: browser.runtime.getURL('icons/icon-128.png'),
        title: 'Tako session expired',
        message: `${session.address.slice(0, 10)}… needs to sign in again. Click to sign in.`,
      })
      .catch(() => undefined);
  },
});

const metahuman = createMetahuman({ fetch: (input, init) => fetch(input, init), now: () => Date.now(), onChanged: onChange });
const uiApi = createUiApi({ service, store, sites, approvals, metahuman, onSitesChanged: onChange, onSettingsChanged: onChange });
const pageApi = createPageApi({
  service,
  sites,
  approvals,
  metahumanToken: metahuman.token,
  onSitesChanged: onChange,
});

async function publish(): Promise<void> {
  const state = await uiApi.popupState();
  await showBadge(state.state);
  await broadcastSession(state.session, state.tokenObtainedAt, state.sites);
  // Open extension pages re-read the state; with none open there is no receiver, which is fine.
  await browser.runtime.sendMessage(STATE_CHANGED).catch(() => undefined);
}

function toReply(result: Promise<unknown>): Promise<Reply> {
  return result.then(
    (value): Reply => ({ ok: true, result: value ?? null }),
    (error: unknown): Reply => {
      // Messages are cut to what the protocol carries (a server can send a long one).
      if (isTakoError(error)) return { ok: false, error: { code: error.code, message: error.message.slice(0, 2000), ...(error.data === undefined ? {} : { data: error.data }) } };
      console.error('Tako Session: unexpected error', error);
      return { ok: false, error: { code: -32603, message: `Internal error: ${describeError(error)}`.slice(0, 2000) } };
    },
  );
}

function extensionPageSender(sender: Runtime.MessageSender): boolean {
  return sender.id === browser.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(browser.runtime.getURL(''));
}

/** A content script in the top frame of a web page: its origin is what the browser says. */
function pageCaller(sender: Runtime.MessageSender): { origin: string; tabId: number } | undefined {
  if (sender.id !== browser.runtime.id || sender.tab?.id === undefined || sender.frameId !== 0) return undefined;
  const origin = (sender as { origin?: string }).origin ?? (sender.url ? new URL(sender.url).origin : undefined);
  if (!origin || !/^https?:\/\//.test(origin)) return undefined;
  return { origin, tabId: sender.tab.id };
}

// Reconcile on every worker start: refresh what fell due while we were asleep, rebuild alarms.
const ready = service.reconcile().catch((error: unknown) => {
  console.error('Tako Session: reconcile failed:', describeError(error));
});

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender): Promise<Reply> | undefined => {
  // The bench build answers `bench_echo` before any work, to measure the bare messaging path;
  // in the product this line is compiled out.
  if (__TAKO_BENCH__ && (message as { method?: unknown } | null)?.method === 'bench_echo') {
    return Promise.resolve({ ok: true, result: (message as { params?: unknown }).params ?? null });
  }
  if (extensionPageSender(sender)) {
    const request = parseMessage(UiToBackgroundSchema, message);
    if (!request) return Promise.resolve({ ok: false, error: { code: -32602, message: 'Malformed request' } });
    return toReply(ready.then(() => uiApi.handle(request)));
  }
  const caller = pageCaller(sender);
  if (!caller) return undefined;
  const request = parseMessage(ContentToBackgroundSchema, message);
  if (!request) return Promise.resolve({ ok: false, error: { code: -32602, message: 'Malformed request' } });
  if (request.type === 'wallet-accounts') {
    return toReply(ready.then(() => pageApi.onWalletAccounts(caller, request.accounts)));
  }
  return toReply(ready.then(() => pageApi.handle(caller, request.method, request.params)));
});

browser.alarms.onAlarm.addListener((alarm) => {
  void ready.then(() => service.onAlarm(alarm.name)).catch((error: unknown) => {
    console.warn('Tako Session: refresh failed:', describeError(error));
  });
});

browser.windows.onRemoved.addListener((windowId) => approvals.onWindowRemoved(windowId));

// The expiry notification's click signs in again with the wallet of the page in front; if there
// is no such page, the popup opens in a tab and says what to do.
browser.notifications.onClicked.addListener((notificationId) => {
  if (!notificationId.startsWith('expired ')) return;
  void browser.notifications.clear(notificationId);
  void ready
    .then(async () => {
      const tab = await findTargetTab();
      await browser.tabs.update(tab.id, { active: true });
      await service.signIn(tabWallet(tab.id));
    })
    .catch(() => browser.tabs.create({ url: browser.runtime.getURL('popup.html') }));
});

// Back online: retry failing refreshes now rather than at the end of their backoff.
self.addEventListener('online', () => {
  void ready.then(() => service.retryFailing());
});

browser.runtime.onInstalled.addListener(() => onChange());
browser.runtime.onStartup.addListener(() => onChange());
