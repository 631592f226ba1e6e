/**
 * Background service worker entry: the only owner of sessions and secrets. It builds the parts
 * from their ports and registers every listener here, synchronously, once, so that whatever woke
 * the worker (alarm, message, browser start) finds its handler; work that needs stored state
 * waits on `ready`.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { describeError } from '../core/contract/errors.ts';
import type { Reply } from '../core/contract/protocol.ts';
import { defaultWalletExtensionIds } from '../core/eth/wallet-extension.ts';
import { createApprovals } from './consent/approvals.ts';
import { createHeaderAccess } from './consent/header-access.ts';
import { createSites, GRANT_EXPIRY_ALARM } from './consent/sites.ts';
import { createGrants, createPageApi } from './messaging/page-api.ts';
import { createRouter } from './messaging/router.ts';
import { createUiApi } from './messaging/ui-api.ts';
import { createPolicy, withPolicySettings, withPolicySites } from './policy/policy.ts';
import {
  alarmsPort,
  browserRunPort,
  connectExternal,
  engine,
  expiryNoticeClickDeps,
  extension,
  hasHostPermission,
  headerRulesPort,
  idlePort,
  lastPublishedPort,
  notifyExtensionPages,
  policyKeptPort,
  readManagedStorage,
  sessionMirrorPort,
  showBadge,
  showExpiryNotice,
  tabsPort,
  windowsPort,
} from './ports/browser-ports.ts';
import { createPublisher } from './publish/publisher.ts';
import { onExpiryNoticeClicked } from './session/expiry-notice.ts';
import { createMetahuman } from './session/metahuman.ts';
import { createSessionService } from './session/service.ts';
import { withMemoryCache } from './storage/cached-store.ts';
import { withSessionMirror } from './storage/session-mirror.ts';
import { createIdbStore } from './storage/store.ts';
import { createDirectWallets } from './wallets/direct-wallet.ts';
import { createPageWallets } from './wallets/page-wallet.ts';

/** The organisation's policy (managed storage), laid over the settings and the sites. */
const policy = createPolicy(readManagedStorage, { kept: policyKeptPort, onLateChange: () => applyPolicyChange() });
// IndexedDB is the truth; a worker woken by a request reads the copy in storage.session instead
// (session-mirror.ts), and each record once into memory.
const store = withPolicySettings(withMemoryCache(withSessionMirror(createIdbStore(), sessionMirrorPort)), policy);
const sites = withPolicySites(
  createSites(store, () => Date.now(), {
    tabs: tabsPort,
    onEnded: () => changed(),
    forgetUnusedDays: async () => (await store.getSettings()).forgetUnusedDays,
  }),
  policy,
);
const approvals = createApprovals({
  windows: windowsPort,
  tabs: tabsPort,
  store,
  now: () => Date.now(),
  async grant(origin, scope, choice) {
    await grant(origin, scope, choice);
    await scheduleGrantExpiry();
    changed();
  },
  onChanged: () => changed(),
  watchWindows: (watching) => watchWindows(watching),
});
const grant = createGrants({ sites, signOut: () => ready.then(() => service.signOut('active')), now: () => Date.now() });
const wallets = createPageWallets(tabsPort);
/** Wallet extensions reached directly; their account changes count only from the one that signed in. */
const directWallets = createDirectWallets({
  connectExternal,
  defaultIds: defaultWalletExtensionIds(engine),
  // The service is built below; a switch waits for the start-up reconcile, as every message does.
  accounts: {
    isSignInSource: (source) => service.isSignInSource(source),
    onWalletAccountsChanged: (accounts) => ready.then(() => service.onWalletAccountsChanged(accounts)),
  },
});
/**
 * Anything shown changed; the publisher is built below, before any listener can fire. The header
 * rules of header-only access follow the same changes (a refresh saved, a sign-out, a revoke).
 */
const changed = () => {
  publisher.changed();
  headerAccess.changed();
};
const headerAccess = createHeaderAccess({
  rules: headerRulesPort,
  tabs: tabsPort,
  sites,
  store,
  watchTabs: (watching) => watchHeaderTabs(watching),
  now: () => Date.now(),
});

const service = createSessionService({
  store,
  clock: { now: () => Date.now(), random: () => Math.random() },
  fetch: (input, init) => fetch(input, init),
  alarms: alarmsPort,
  onChange: changed,
  onExpired: showExpiryNotice,
  idle: idlePort,
  browserRun: browserRunPort,
});
const publisher = createPublisher({ service, sites, showBadge, tabs: tabsPort, notifyExtensionPages, lastPublished: lastPublishedPort });
const metahuman = createMetahuman({
  store,
  fetch: (input, init) => fetch(input, init),
  now: () => Date.now(),
  onChanged: changed,
  hasHostPermission,
});
/** The wallet extension in the settings, else MetaMask stable or Flask: the first one installed. */
async function walletExtension() {
  const { walletExtensionId } = await store.getSettings();
  return directWallets.detect(walletExtensionId ? [walletExtensionId] : undefined);
}
const uiApi = createUiApi({
  service,
  store,
  sites,
  approvals,
  metahuman,
  wallets,
  directWallets,
  walletExtension,
  hasHostPermission,
  policy,
  onChanged: changed,
  onSiteRulesChanged: () => endGrants(),
});
const pageApi = createPageApi({
  service,
  sites,
  approvals,
  wallets,
  async extensionWallet() {
    const found = await walletExtension();
    return found ? directWallets.wallet(found.extensionId) : undefined;
  },
  metahumanToken: metahuman.token,
  policy,
  onSitesChanged: changed,
  headerRules: headerAccess,
});

/**
 * Grants the person gave for a day or a month end on an alarm of their own, with no page open: the
 * site's tabs then get accessChanged (the publisher sees it gone from the list) and 4100.
 */
async function scheduleGrantExpiry({ clear = true } = {}): Promise<void> {
  const next = await sites.nextExpiry();
  if (next !== null) await browser.alarms.create(GRANT_EXPIRY_ALARM, { when: next });
  else if (clear) await browser.alarms.clear(GRANT_EXPIRY_ALARM);
}
async function endGrants(): Promise<void> {
  const ended = await sites.pruneEnded();
  await scheduleGrantExpiry();
  if (ended.length > 0) changed();
}

// Reconcile on every worker start: refresh what fell due while we were asleep, rebuild alarms.
const ready = service.reconcile().catch((error: unknown) => {
  console.error('Tako Session: reconcile failed:', describeError(error));
});
const route = createRouter({ extension, ready, uiApi, pageApi });
// Firefox forgets alarms with the browser: a timed grant's end is set again at every start (with
// none, nothing is cleared: an API call every start would pay for what is almost never there).
void scheduleGrantExpiry({ clear: false }).catch((error: unknown) => console.warn('Tako Session: grant alarm:', describeError(error)));

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender): Promise<Reply> | undefined => {
  // The bench build answers `bench_echo` before any work, to measure the bare messaging path;
  // in the product this line is compiled out.
  if (__TAKO_BENCH__ && (message as { method?: unknown } | null)?.method === 'bench_echo') {
    return Promise.resolve({ ok: true, result: (message as { params?: unknown }).params ?? null });
  }
  return route(message, sender);
});

browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === GRANT_EXPIRY_ALARM) {
    void endGrants().catch((error: unknown) => console.warn('Tako Session: ending grants failed:', describeError(error)));
    return;
  }
  void ready
    .then(() => service.onAlarm(alarm.name))
    .catch((error: unknown) => {
      console.warn('Tako Session: refresh failed:', describeError(error));
    });
});

// Tab and window events matter only while an approval waits (one window at a time, shown for a
// tab in front: a tab coming to the front may be next; a request belongs to the documents that
// asked: a tab loading something else may end it). Registered now, so that the event that woke the
// worker finds its handler, then kept only while a request waits (approvals.resume): otherwise
// every tab switch, page load and closed tab would start the worker.
const onWindowRemoved = (windowId: number) => void approvals.onWindowRemoved(windowId);
const onTabActivated = () => void approvals.onFocusChanged();
const onWindowFocused = (windowId: number) => void approvals.onFocusChanged(windowId);
const onTabRemoved = (tabId: number) => void approvals.onTabRemoved(tabId);
const onTabUpdated = (tabId: number) => void approvals.onTabUpdated(tabId);
type Watched = { addListener(l: unknown): void; removeListener(l: unknown): void; hasListener(l: unknown): boolean };
function watchWindows(watching: boolean) {
  const pairs = [
    [browser.windows.onRemoved, onWindowRemoved],
    [browser.tabs.onActivated, onTabActivated],
    [browser.windows.onFocusChanged, onWindowFocused],
    [browser.tabs.onRemoved, onTabRemoved],
    [browser.tabs.onUpdated, onTabUpdated],
  ] as const;
  for (const [event, listener] of pairs) {
    const on = event as unknown as Watched;
    // Firefox wakes its event page only for listeners added while the script first runs, and would
    // not be woken for ones added back later while a request waits: there those stay. Page loads
    // are too frequent to wake it for all day; they are followed only while a request waits (an
    // Allow for a document that went is refused when it is pressed in any case).
    if (!watching && engine === 'firefox' && event !== browser.tabs.onUpdated) continue;
    if (!watching) on.removeListener(listener);
    else if (!on.hasListener(listener)) on.addListener(listener);
  }
}
watchWindows(true);
void approvals.resume();

// Header-only access covers the tabs that show a header-only site: a tab loading a page or closing
// may change which. Followed only while such a site is allowed (header-access.ts says when), so
// that page loads do not wake the worker all day; registered now for the event that woke it.
const onHeaderTabUpdated = (_tabId: number, change: { url?: string; status?: string }) => {
  if (change.url !== undefined || change.status === 'loading') headerAccess.changed();
};
const onHeaderTabRemoved = () => headerAccess.changed();
function watchHeaderTabs(watching: boolean) {
  const pairs = [
    [browser.tabs.onUpdated, onHeaderTabUpdated],
    [browser.tabs.onRemoved, onHeaderTabRemoved],
  ] as const;
  for (const [event, listener] of pairs) {
    const on = event as unknown as Watched;
    if (!watching) on.removeListener(listener);
    else if (!on.hasListener(listener)) on.addListener(listener);
  }
}
// At every start the reconcile's change notice brings the rules in line with what it found (none
// when no session is left; the browser drops session rules when it closes, and they come back then).
watchHeaderTabs(true);

const expiryNotice = expiryNoticeClickDeps();
browser.notifications.onClicked.addListener((notificationId) => void onExpiryNoticeClicked(expiryNotice, notificationId));

// The computer went idle or was locked (or came back): sessions with an idle lifetime may end.
browser.idle.onStateChanged.addListener((state) => {
  void ready
    .then(() => service.onIdleStateChanged(state))
    .catch((error: unknown) => {
      console.warn('Tako Session: the idle check failed:', describeError(error));
    });
});

// The organisation changed its policy (or, after a browser start, managed storage answered with
// another policy than the one kept): a locked lifetime may end sessions now, and what pages and the
// popup see (blocked or allowed sites) may have changed.
function applyPolicyChange(): void {
  void ready
    .then(() => service.onLifetimesChanged())
    .then(changed, (error: unknown) => {
      console.warn('Tako Session: applying the new policy failed:', describeError(error));
    });
}
browser.storage.onChanged.addListener((_changes, area) => {
  if (area !== 'managed') return;
  policy.reload();
  applyPolicyChange();
});

// Back online: retry failing refreshes now rather than at the end of their backoff.
self.addEventListener('online', () => {
  void ready.then(() => service.retryFailing());
});

// An update is applied by reloading the extension. Reloaded in the middle of a refresh, the pair
// the API has just rotated would be lost with the worker (the old refresh token is spent): with
// this listener the browser leaves the timing to us, and the reload waits for the refreshes and
// sign-ins running to end. (A browser shutdown cannot wait; an update can.)
browser.runtime.onUpdateAvailable.addListener(() => {
  service.onIdle(() => browser.runtime.reload());
});

browser.runtime.onInstalled.addListener(changed);
browser.runtime.onStartup.addListener(() => {
  changed();
  // Tabs do not outlive the browser: grants for open tabs end; timed ones may have ended meanwhile.
  void endGrants().catch((error: unknown) => console.warn('Tako Session: ending grants failed:', describeError(error)));
  // Tab ids start again with the browser: cool-downs no longer know the tabs that asked.
  void approvals.onBrowserStart();
});
