/**
 * The page API's security boundary in Node: the real createPageApi, sites and approvals, over a
 * map-backed store, a fake window port and a session service that records what it was asked.
 * Each test names the guarantee it guards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APPROVAL_PAGE, type ApprovalsDeps, ASKER_GONE, createApprovals, NO_WINDOW } from '../../src/background/consent/approvals.ts';
import { createSites } from '../../src/background/consent/sites.ts';
import {
  createGrants,
  createPageApi,
  HEADER_ONLY_REASON,
  type PageApiDeps,
  type PageCaller,
} from '../../src/background/messaging/page-api.ts';
import { createPolicy, withPolicySites } from '../../src/background/policy/policy.ts';
import type { TabInfo, TabsPort, WindowsPort } from '../../src/background/ports/ports.ts';
import type { WalletPort } from '../../src/background/ports/session-ports.ts';
import { createPageWallets, documentReplacedMessage, pageSourceId } from '../../src/background/wallets/page-wallet.ts';
import { ALLOW_DELAY_MS, COOLDOWN_BASE_MS, COOLDOWN_MAX_MS, type ConsentScope, RAISE_INTERVAL_MS } from '../../src/core/consent/consent.ts';
import type { GrantDuration } from '../../src/core/consent/grants.ts';
import type { TakoSessionInfo, TakoSessionMethod, TakoToken } from '../../src/core/contract/tako-session-api.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { rejectsTakoError } from '../support/assert-tako-error.ts';
import { DEV_ADDRESS, SECOND_DEV_ADDRESS } from '../support/dev-addresses.ts';
import { fakeTabs } from '../support/fake-tabs.ts';
import { memoryStore } from '../support/memory-store.ts';

const ADDRESS = DEV_ADDRESS;
const SESSION: TakoSessionInfo = { address: ADDRESS, state: 'signed-in', expiresAt: 2_000_000_000_000, endpoint: 'https://api.tako.so' };
const TOKEN: TakoToken = { token: 'header.payload.signature', tokenType: 'Bearer', expiresAt: SESSION.expiresAt, address: ADDRESS };

const APP: PageCaller = { origin: 'https://app.example', tabId: 7 };
const STRANGER: PageCaller = { origin: 'https://stranger.example', tabId: 9 };

/** Every method of the contract that needs an allowed origin; a method added to the contract must be added here. */
const GATED_METHODS = {
  tako_getToken: true,
  tako_getSession: true,
  tako_signIn: true,
  tako_signOut: true,
  tako_revokeAccess: true,
  tako_reportRejected: true,
  metahuman_getToken: true,
} satisfies Record<Exclude<TakoSessionMethod, 'tako_requestAccess'>, true>;

/**
 * `tabs`: the pages' tabs, for the wallet of a page's own sign-in; without it no page can be pinned.
 * `extensionWallet`: a wallet extension that answers (none by default). `onGrant`: runs as the
 * person's Allow takes effect, before anyone waiting hears it.
 */
function harness(
  options: {
    tabs?: TabsPort;
    extensionWallet?: WalletPort;
    onGrant?: (scope: ConsentScope) => void;
    managed?: unknown;
    forgetUnusedDays?: number;
  } = {},
) {
  const { store } = memoryStore();
  /** The test's clock; approvals refuse an Allow sooner than ALLOW_DELAY_MS after the window was shown. */
  let time = 1_000;
  /** The organisation's policy, from what managed storage holds (`managed`; none by default). */
  const policy = createPolicy(async () => options.managed ?? {});
  const sites = withPolicySites(
    // What each tab shows (`shown`, below) decides whether a grant for open tabs still holds.
    createSites(store, () => time, {
      tabs: { documentOrigin: (tabId, documentId) => tabs.documentOrigin(tabId, documentId) },
      forgetUnusedDays: async () => options.forgetUnusedDays,
    }),
    policy,
  );
  /** What the service (and the MetaHuman token) were asked, in order. */
  const calls: string[] = [];
  /** The account each token was asked for (undefined: the active one). */
  const tokenAccounts: Array<string | undefined> = [];
  let signInSource: string | null = null;
  const service: PageApiDeps['service'] = {
    getToken: async (options) => {
      tokenAccounts.push(options?.account);
      calls.push(options?.rejectedToken === undefined ? 'getToken' : `getToken rejected ${options.rejectedToken}`);
      return TOKEN;
    },
    sessionInfo: async () => {
      calls.push('sessionInfo');
      return SESSION;
    },
    signIn: async (wallet) => {
      calls.push(`signIn ${wallet.source}`);
      return SESSION;
    },
    signOut: async () => void calls.push('signOut'),
    reportRejected: async (account) => void calls.push(`reportRejected ${account ?? 'active'}`),
    isSignInSource: (source) => source === signInSource,
    onWalletAccountsChanged: async (accounts) => void calls.push(`accountsChanged ${accounts.join(',')}`),
  };
  const opened: Array<{ requestId: string; windowId: number }> = [];
  const closed: number[] = [];
  const windows: WindowsPort = {
    async openPopup(path) {
      const url = new URL(path, 'chrome-extension://test/');
      assert.equal(url.pathname, `/${APPROVAL_PAGE}`);
      const windowId = 100 + opened.length;
      opened.push({ requestId: url.searchParams.get('request') ?? '', windowId });
      return windowId;
    },
    close: async (windowId) => void closed.push(windowId),
    focus: async (windowId) => void focused.push(windowId),
    exists: async (windowId) => !closed.includes(windowId),
  };
  const focused: number[] = [];
  let metahumanToken: string | undefined = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
  /**
   * The active tab of each window, every caller's in a window of its own unless a test says
   * otherwise; and the focused window's (the one "in front"), the same unless a test says otherwise.
   */
  let activeTabs: number[] = [APP.tabId, STRANGER.tabId];
  let focusedWindowTabs: number[] | undefined;
  /** What each tab shows: the origin of its top document, and which document that is. */
  const shown = new Map<number, { origin: string; documentId?: string }>([
    [APP.tabId, { origin: APP.origin }],
    [STRANGER.tabId, { origin: STRANGER.origin }],
  ]);
  const tabs: ApprovalsDeps['tabs'] = options.tabs ?? {
    query: async (query): Promise<TabInfo[]> =>
      (query.active ? (query.lastFocusedWindow ? (focusedWindowTabs ?? activeTabs) : activeTabs) : [APP.tabId, STRANGER.tabId, 11, 12]).map(
        (id) => ({ id }),
      ),
    async documentOrigin(tabId, documentId) {
      const document = shown.get(tabId);
      return document && (documentId === undefined || document.documentId === documentId) ? document.origin : undefined;
    },
  };
  const grant = createGrants({ sites, signOut: () => service.signOut('active'), now: () => time });
  const approvals = createApprovals({
    windows,
    tabs,
    store,
    now: () => time,
    async grant(origin, scope, choice) {
      options.onGrant?.(scope);
      await grant(origin, scope, choice);
      sitesChanged++;
    },
    onChanged: () => undefined,
    watchWindows: (watching) => void watchCalls.push(watching),
  });
  /** Every call of watchWindows, in order. */
  const watchCalls: boolean[] = [];
  let sitesChanged = 0;
  /** Since when each tab's requests carry the current token's header (none: no header). */
  const carriedSince = new Map<number, number>();
  const pageApi = createPageApi({
    service,
    sites,
    approvals,
    wallets: options.tabs
      ? createPageWallets(options.tabs)
      : {
          pin: () => Promise.reject(new Error('no page to pin in this test')),
          pageWallet: (page) => ({
            source: pageSourceId(page.tabId, page.pin),
            requestAccounts: () => Promise.reject(new Error('no wallet in this test')),
            sign: () => Promise.reject(new Error('no wallet in this test')),
          }),
        },
    extensionWallet: async () => options.extensionWallet,
    metahumanToken: async () => {
      calls.push('metahumanToken');
      return metahumanToken;
    },
    policy,
    onSitesChanged: () => void sitesChanged++,
    headerRules: {
      sync: async () => void calls.push('headerRules.sync'),
      carriedCurrent: async (tabId, sentAt) => (carriedSince.get(tabId) ?? Infinity) <= sentAt,
    },
  });

  /** Resolves once an approval window has been asked for (the page API awaits the store first). */
  async function nextWindow(count = opened.length + 1): Promise<{ requestId: string; windowId: number }> {
    while (opened.length < count) await new Promise((resolve) => setImmediate(resolve));
    return opened[count - 1]!;
  }

  /**
   * The approval window `call` opens; fails, rather than waiting for ever, when the call is
   * answered without one.
   */
  async function windowFor(call: Promise<unknown>, count = opened.length + 1): Promise<{ requestId: string; windowId: number }> {
    let answered: string | undefined;
    call.then(
      (result) => (answered = `resolved ${JSON.stringify(result)}`),
      (error: unknown) => (answered = `rejected: ${(error as Error).message}`),
    );
    while (opened.length < count) {
      if (answered) assert.fail(`no approval window opened: the call was ${answered}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return opened[count - 1]!;
  }

  /**
   * Lets every call made so far run as far as it can: the store and every port here answer at
   * once, so all of it runs in promise jobs, which one macrotask turn drains.
   */
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  /** Resolves once `count` requests wait for the person (stored, with or without a window). */
  async function pending(count: number): Promise<void> {
    while ((await store.getConsent()).pending.length < count) await new Promise((resolve) => setImmediate(resolve));
  }

  return {
    pageApi,
    sites,
    tokenAccounts,
    approvals,
    /** Whether tab and window events are listened to, after each change of that wish. */
    watching: () => watchCalls,
    calls,
    opened,
    closed,
    focused,
    nextWindow,
    windowFor,
    pending,
    settled,
    store,
    windows,
    sitesChanged: () => sitesChanged,
    carriedSince,
    /** Time passes (ms). */
    advance: (ms: number) => {
      time += ms;
    },
    now: () => time,
    setActiveTabs: (tabs: number[]) => {
      activeTabs = tabs;
    },
    /** The active tabs of the focused window (undefined: every window's active tab counts). */
    setFocusedWindowTabs: (tabs: number[] | undefined) => {
      focusedWindowTabs = tabs;
    },
    /** The tab loads another document (at `origin`, or a new one of the same origin). */
    navigate: (tabId: number, origin: string, documentId?: string) =>
      void shown.set(tabId, { origin, ...(documentId ? { documentId } : {}) }),
    /** Whether a MetaHuman token is stored. */
    storeMetahumanToken: (stored: boolean) => {
      metahumanToken = stored ? '3f2504e0-4f89-41d3-9a0c-0305e82c3301' : undefined;
    },
    signedInFrom: (tabId: number, pin: string) => (signInSource = pageSourceId(tabId, pin)),
    /** The approvals of a new worker on the same store, with `tabId` in front. */
    nextWorkerApprovals: (tabId: number, overrides: Partial<ApprovalsDeps> = {}) =>
      createApprovals({
        windows,
        tabs: { query: async () => [{ id: tabId }], documentOrigin: tabs.documentOrigin },
        store,
        now: () => time,
        grant,
        onChanged: () => undefined,
        watchWindows: () => undefined,
        ...overrides,
      }),
  };
}

async function allow(h: ReturnType<typeof harness>, caller: PageCaller): Promise<void> {
  const access = h.pageApi.handle(caller, 'tako_requestAccess', undefined);
  const { requestId } = await h.nextWindow();
  h.advance(ALLOW_DELAY_MS);
  assert.equal(await h.approvals.answer(requestId, true), true);
  assert.deepEqual(await access, SESSION);
  h.calls.length = 0;
}

describe('page API origin gate', () => {
  // Guards: an origin the person has not allowed gets 4100 for everything but tako_requestAccess,
  // and the gate runs before any handler, so a stranger reaches no session, token or wallet.
  test('an origin not allowed gets 4100 for every gated method, before any handler runs', async () => {
    const h = harness();
    for (const method of Object.keys(GATED_METHODS)) {
      const error = await rejectsTakoError(h.pageApi.handle(STRANGER, method, undefined));
      assert.equal(error.code, TakoSessionErrorCode.Unauthorized, method);
    }
    assert.deepEqual(h.calls, [], 'no handler may run for a stranger');
    assert.equal(h.opened.length, 0, 'and no approval window opens');
  });

  // Guards: a stranger cannot learn which methods exist (4100, not 4200); an allowed origin is told
  // the method is unknown.
  test('an unknown method is 4100 from a stranger and 4200 from an allowed origin', async () => {
    const h = harness();
    assert.equal((await rejectsTakoError(h.pageApi.handle(STRANGER, 'tako_nope', undefined))).code, TakoSessionErrorCode.Unauthorized);
    assert.equal((await rejectsTakoError(h.pageApi.handle(STRANGER, 'toString', undefined))).code, TakoSessionErrorCode.Unauthorized);
    await allow(h, APP);
    assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'tako_nope', undefined))).code, TakoSessionErrorCode.UnsupportedMethod);
    // Inherited names are no methods either.
    assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'toString', undefined))).code, TakoSessionErrorCode.UnsupportedMethod);
    assert.deepEqual(h.calls, []);
  });

  // Guards: approving allows exactly that origin, and only then do its calls reach the service.
  test('approving tako_requestAccess allows the origin; its calls then reach the service', async () => {
    const h = harness();
    await allow(h, APP);
    assert.equal(await h.sites.isAllowed(APP.origin), true);
    assert.equal(await h.sites.isAllowed(STRANGER.origin), false);
    assert.equal(h.sitesChanged(), 1);
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_getToken', undefined), TOKEN);
    assert.deepEqual(h.calls, ['getToken']);
    // Already allowed: resolves at once, no window.
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_requestAccess', undefined), SESSION);
    assert.equal(h.opened.length, 1);
    assert.equal((await rejectsTakoError(h.pageApi.handle(STRANGER, 'tako_getToken', undefined))).code, TakoSessionErrorCode.Unauthorized);
  });

  // Guards: several calls from one origin share one window and one answer.
  test('two requests from one origin share one approval', async () => {
    const h = harness();
    const first = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const second = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const { requestId } = await h.nextWindow();
    // Give the second call every chance to open a window of its own before answering.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.opened.length, 1, 'one window for both calls');
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(requestId, true);
    assert.deepEqual(await Promise.all([first, second]), [SESSION, SESSION]);
    assert.equal(h.opened.length, 1);
  });

  // Guards that asking again is no way to grab the pointer: repeated asks bring the window to the
  // front at most once every RAISE_INTERVAL_MS, and each time it comes to the front the Allow
  // delay starts again (an Allow meant for the window before the raise is refused).
  test('asking again raises the window at most once every RAISE_INTERVAL_MS, and each raise restarts the Allow delay', async () => {
    const h = harness();
    const asks = [h.pageApi.handle(APP, 'tako_requestAccess', undefined)];
    const { requestId, windowId } = await h.nextWindow();
    for (let i = 0; i < 20; i++) {
      h.advance(100);
      asks.push(h.pageApi.handle(APP, 'tako_requestAccess', undefined));
      await h.settled();
    }
    assert.deepEqual(h.focused, [], 'two seconds of asking every 100 ms: not raised yet');
    h.advance(RAISE_INTERVAL_MS - 2000);
    asks.push(h.pageApi.handle(APP, 'tako_requestAccess', undefined));
    await h.settled();
    assert.deepEqual(h.focused, [windowId]);
    // Raised just now: the Allow delay counts from here, not from when the window first appeared.
    assert.equal((await rejectsTakoError(h.approvals.answer(requestId, true))).code, TakoSessionErrorCode.InvalidParams);
    h.advance(ALLOW_DELAY_MS);
    assert.equal(await h.approvals.answer(requestId, true), true);
    assert.deepEqual(new Set(await Promise.all(asks)), new Set([SESSION]));
  });

  // Guards: every focus change restarts the delay in the background too: focus taken by another
  // browser window pauses Allow, and the window getting the focus back starts its delay again.
  test('another window taking the focus pauses Allow; getting it back restarts the delay', async () => {
    const h = harness();
    const access = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const { requestId, windowId } = await h.nextWindow();
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.onFocusChanged(1);
    assert.equal((await rejectsTakoError(h.approvals.answer(requestId, true))).code, TakoSessionErrorCode.InvalidParams, 'paused');
    h.advance(10 * ALLOW_DELAY_MS);
    await h.approvals.onFocusChanged(windowId);
    assert.equal((await rejectsTakoError(h.approvals.answer(requestId, true))).code, TakoSessionErrorCode.InvalidParams, 'restarted');
    // The browser losing the focus altogether is left to the window, which pauses on its blur.
    await h.approvals.onFocusChanged(NO_WINDOW);
    h.advance(ALLOW_DELAY_MS);
    assert.equal(await h.approvals.answer(requestId, true), true);
    assert.deepEqual(await access, SESSION);
  });

  // Guards the window's own focus event reaching the worker late (a busy machine): the window
  // started its Allow delay when it got the focus, and enables Allow when that delay is over; the
  // background restarting its own count at the late event refused that Allow as too early.
  test('the shown window’s own focus event, arriving late, does not restart the delay', async () => {
    const h = harness();
    const access = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const { requestId, windowId } = await h.nextWindow();
    h.advance(ALLOW_DELAY_MS / 2);
    await h.approvals.onFocusChanged(windowId);
    h.advance(ALLOW_DELAY_MS / 2);
    assert.equal(await h.approvals.answer(requestId, true), true);
    assert.deepEqual(await access, SESSION);
  });

  // Guards: a refusal (Deny, or closing the window) is 4001 and allows nothing; after it the
  // origin is refused without a window until its cool-down ends.
  test('a denied approval is 4001 and the origin stays not allowed', async () => {
    const h = harness();
    const denied = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const { requestId, windowId } = await h.nextWindow();
    await h.approvals.answer(requestId, false);
    assert.equal((await rejectsTakoError(denied)).code, TakoSessionErrorCode.UserRejected);
    assert.deepEqual(h.closed, [windowId], 'the answered window is closed');

    // Asking again at once: refused, and no window.
    assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'tako_requestAccess', undefined))).code, TakoSessionErrorCode.UserRejected);
    assert.equal(h.opened.length, 1);

    h.advance(COOLDOWN_MAX_MS);
    const closedWindow = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const second = await h.nextWindow(2);
    await h.approvals.onWindowRemoved(second.windowId);
    assert.equal((await rejectsTakoError(closedWindow)).code, TakoSessionErrorCode.UserRejected);

    assert.equal(await h.sites.isAllowed(APP.origin), false);
    assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'tako_getSession', undefined))).code, TakoSessionErrorCode.Unauthorized);
    assert.deepEqual(h.calls, []);
  });

  // Guards: revoking takes effect on the origin's next call.
  test('after revocation the origin gets 4100 again', async () => {
    const h = harness();
    await allow(h, APP);
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_getSession', undefined), SESSION);
    await h.sites.revoke(APP.origin);
    h.calls.length = 0;
    for (const method of Object.keys(GATED_METHODS)) {
      assert.equal((await rejectsTakoError(h.pageApi.handle(APP, method, undefined))).code, TakoSessionErrorCode.Unauthorized, method);
    }
    assert.deepEqual(h.calls, []);
  });
});

describe('tako_getToken params and tako_revokeAccess', () => {
  // Guards: bad params get -32602 and never reach the service, so they can never force a refresh.
  test('rejectedToken that is not a string, too long or empty, or an unknown key, is -32602 before the service', async () => {
    const h = harness();
    await allow(h, APP);
    const bad: unknown[] = [
      { rejectedToken: 42 },
      { rejectedToken: null },
      { rejectedToken: '' },
      { rejectedToken: 'x'.repeat(8193) },
      { rejectedToken: TOKEN.token, force: true },
      { rejected_token: TOKEN.token },
      'a string',
      [TOKEN.token],
      null,
    ];
    for (const params of bad) {
      const error = await rejectsTakoError(h.pageApi.handle(APP, 'tako_getToken', params));
      assert.equal(error.code, TakoSessionErrorCode.InvalidParams, JSON.stringify(params)?.slice(0, 40));
    }
    assert.deepEqual(h.calls, []);
  });

  test('no params, an empty object, or { rejectedToken } reach the service as such', async () => {
    const h = harness();
    await allow(h, APP);
    await h.pageApi.handle(APP, 'tako_getToken', undefined);
    await h.pageApi.handle(APP, 'tako_getToken', {});
    await h.pageApi.handle(APP, 'tako_getToken', { rejectedToken: TOKEN.token });
    assert.deepEqual(h.calls, ['getToken', 'getToken', `getToken rejected ${TOKEN.token}`]);
  });

  // Guards: a site can give up its own access; from its next call on it is a stranger again.
  test('tako_revokeAccess removes the origin, tells the publisher, and the next call is 4100', async () => {
    const h = harness();
    await allow(h, APP);
    await allow(h, STRANGER);
    const changesBefore = h.sitesChanged();
    assert.equal(await h.pageApi.handle(APP, 'tako_revokeAccess', undefined), null);
    assert.equal(h.sitesChanged(), changesBefore + 1);
    assert.equal(await h.sites.isAllowed(APP.origin), false);
    assert.equal(await h.sites.isAllowed(STRANGER.origin), true, 'only the calling origin');
    assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'tako_getToken', undefined))).code, TakoSessionErrorCode.Unauthorized);
    // Revoking again is for a stranger now: 4100, like any other method.
    assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'tako_revokeAccess', undefined))).code, TakoSessionErrorCode.Unauthorized);
  });
});

describe('consent', () => {
  // Guards: a refused origin cannot reopen the window in a loop: for a minute after a refusal its
  // requests get 4001 without a window, every ask meanwhile makes the wait longer, and the person
  // can lift it.
  test('after a refusal the origin is refused without a window for a growing cool-down, until lifted', async () => {
    const h = harness();
    const first = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    await h.approvals.answer((await h.nextWindow()).requestId, false);
    await rejectsTakoError(first);
    const [cooldown] = await h.approvals.cooldowns();
    assert.deepEqual(cooldown, { site: APP.origin, scope: 'session', until: h.now() + COOLDOWN_BASE_MS });

    h.advance(COOLDOWN_BASE_MS - 1);
    assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'tako_requestAccess', undefined))).code, TakoSessionErrorCode.UserRejected);
    assert.equal(h.opened.length, 1, 'no window during the cool-down');
    const [grown] = await h.approvals.cooldowns();
    assert.ok(grown!.until >= h.now() + 2 * COOLDOWN_BASE_MS, 'asking again made the cool-down longer');

    // Another origin is not affected.
    const other = h.pageApi.handle(STRANGER, 'tako_requestAccess', undefined);
    const { requestId } = await h.nextWindow(2);
    await h.approvals.answer(requestId, false);
    await rejectsTakoError(other);

    assert.equal(await h.approvals.lift(APP.origin), true);
    assert.deepEqual(
      (await h.approvals.cooldowns()).map((c) => c.site),
      [STRANGER.origin],
    );
    const again = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const third = await h.nextWindow(3);
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(third.requestId, true);
    assert.deepEqual(await again, SESSION);
  });

  // Guards: an Allow that arrives sooner than the window could have been read grants nothing.
  test('an Allow sooner than ALLOW_DELAY_MS after the window was shown is refused and grants nothing', async () => {
    const h = harness();
    const access = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const { requestId } = await h.nextWindow();
    h.advance(ALLOW_DELAY_MS - 1);
    assert.equal((await rejectsTakoError(h.approvals.answer(requestId, true))).code, TakoSessionErrorCode.InvalidParams);
    assert.equal(await h.sites.isAllowed(APP.origin), false);
    h.advance(1);
    assert.equal(await h.approvals.answer(requestId, true), true);
    assert.deepEqual(await access, SESSION);
  });

  // Guards: the Allow delay counts from when the window was shown, not from when the request was
  // made: a request that waited behind another tab is not allowed the moment its window appears
  // (a click meant for the page it appears over would land on Allow).
  test('a request that waited for its tab gets the whole Allow delay once its window is shown', async () => {
    const h = harness();
    h.setActiveTabs([STRANGER.tabId]);
    const access = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    await h.pending(1);
    assert.equal(h.opened.length, 0, 'its tab is not in front: no window yet');
    h.advance(10 * ALLOW_DELAY_MS);
    h.setActiveTabs([APP.tabId]);
    await h.approvals.onFocusChanged();
    const { requestId } = await h.nextWindow(1);
    assert.equal((await rejectsTakoError(h.approvals.answer(requestId, true))).code, TakoSessionErrorCode.InvalidParams);
    h.advance(ALLOW_DELAY_MS - 1);
    assert.equal((await rejectsTakoError(h.approvals.answer(requestId, true))).code, TakoSessionErrorCode.InvalidParams);
    assert.equal(await h.sites.isAllowed(APP.origin), false);
    h.advance(1);
    assert.equal(await h.approvals.answer(requestId, true), true);
    assert.deepEqual(await access, SESSION);
  });

  // Guards: a cool-down is for the grant that was refused: refusing the MetaHuman token does not
  // refuse the session without a window, nor the other way round.
  test('a refusal of one grant leaves the other free to ask', async () => {
    const h = harness();
    await allow(h, APP);
    const token = h.pageApi.handle(APP, 'metahuman_getToken', undefined);
    await h.approvals.answer((await h.windowFor(token)).requestId, false);
    assert.equal((await rejectsTakoError(token)).code, TakoSessionErrorCode.UserRejected);
    assert.deepEqual(
      (await h.approvals.cooldowns()).map((c) => c.scope),
      ['metahuman'],
    );

    // The person revokes the site in the popup; the site asks for the session again: a window.
    await h.sites.revoke(APP.origin);
    const access = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const shown = await h.windowFor(access);
    assert.equal((await h.approvals.view(shown.requestId))?.scope, 'session');
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(shown.requestId, true);
    assert.deepEqual(await access, SESSION);

    // The other way round: the session refused, the MetaHuman grant still opens its window.
    const refused = h.pageApi.handle(STRANGER, 'tako_requestAccess', undefined);
    await h.approvals.answer((await h.windowFor(refused)).requestId, false);
    await rejectsTakoError(refused);
    const metahuman = h.approvals.decisionFor(STRANGER.origin, 'metahuman', { tabId: STRANGER.tabId });
    const asked = await h.windowFor(metahuman);
    assert.equal((await h.approvals.view(asked.requestId))?.scope, 'metahuman');
    await h.approvals.answer(asked.requestId, false);
    assert.equal(await metahuman, false);
  });

  // Guards: one approval window at a time, and none for a tab that is not in front.
  test('one window at a time; a background tab waits until it comes to the front', async () => {
    const h = harness();
    h.setActiveTabs([APP.tabId]);
    const fromStranger = h.pageApi.handle(STRANGER, 'tako_requestAccess', undefined);
    await h.approvals.onFocusChanged();
    assert.equal(h.opened.length, 0, 'the stranger tab is not in front: no window');
    const fromApp = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const first = await h.nextWindow();
    h.setActiveTabs([APP.tabId, STRANGER.tabId]);
    await h.approvals.onFocusChanged();
    assert.equal(h.opened.length, 1, 'still one window while the first is open');
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(first.requestId, true);
    assert.deepEqual(await fromApp, SESSION);
    const second = await h.nextWindow(2);
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(second.requestId, false);
    await rejectsTakoError(fromStranger);
    assert.deepEqual([await h.sites.isAllowed(APP.origin), await h.sites.isAllowed(STRANGER.origin)], [true, false]);
  });

  // Guards: a pending approval survives the worker: a new worker (new approvals on the same store)
  // resumes the same request when the page asks again, opens no second window, and applies the answer.
  test('a pending approval survives a worker stop', async () => {
    const h = harness();
    void h.pageApi.handle(APP, 'tako_requestAccess', undefined).catch(() => undefined);
    const { requestId, windowId } = await h.nextWindow();
    const opened: number[] = [];
    const openPopup = async () => {
      opened.push(1);
      return 999;
    };
    const reborn = h.nextWorkerApprovals(APP.tabId, { windows: { ...h.windows, openPopup } });
    const asked = reborn.decisionFor(APP.origin, 'session', { tabId: APP.tabId });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(opened, [], 'no second window');
    assert.deepEqual(await reborn.view(requestId), { origin: APP.origin, scope: 'session', insecure: false, tokenAccess: 'token' });
    h.advance(ALLOW_DELAY_MS);
    assert.equal(await reborn.answer(requestId, true), true);
    assert.equal(await asked, true);
    assert.equal(await h.sites.isAllowed(APP.origin), true, 'the grant is written by whoever receives the answer');
    assert.ok(h.closed.includes(windowId));
  });

  // Guards: tab and window events wake the worker only while a request waits: the wish to watch
  // them follows the pending requests, and a new worker with nothing waiting stops watching.
  test('tab and window events are watched only while a request waits', async () => {
    const h = harness();
    await h.approvals.resume();
    assert.deepEqual(h.watching(), [false], 'nothing waits at start');
    const asked = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const { requestId } = await h.nextWindow();
    assert.equal(h.watching().at(-1), true, 'a request waits');
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(requestId, false);
    await rejectsTakoError(asked);
    assert.equal(h.watching().at(-1), false, 'answered: nothing waits');

    // A worker started while a request waits keeps watching (APP is cooling down after the refusal).
    void h.pageApi.handle(STRANGER, 'tako_requestAccess', undefined).catch(() => undefined);
    await h.nextWindow(2);
    const reborn: boolean[] = [];
    const next = h.nextWorkerApprovals(STRANGER.tabId, { watchWindows: (watching) => void reborn.push(watching) });
    await next.resume();
    assert.deepEqual(reborn, [true]);
  });

  // Guards: the MetaHuman token is a separate grant with its own approval; revoking removes both.
  test('metahuman_getToken needs its own approval; revoking the site removes both grants', async () => {
    const h = harness();
    await allow(h, APP);
    assert.equal(await h.sites.hasMetahuman(APP.origin), false);
    const denied = h.pageApi.handle(APP, 'metahuman_getToken', undefined);
    const first = await h.nextWindow(2);
    assert.equal((await h.approvals.view(first.requestId))?.scope, 'metahuman');
    await h.approvals.answer(first.requestId, false);
    assert.equal((await rejectsTakoError(denied)).code, TakoSessionErrorCode.UserRejected);
    // The session grant is untouched by the refusal.
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_getSession', undefined), SESSION);

    h.advance(COOLDOWN_MAX_MS);
    const granted = h.pageApi.handle(APP, 'metahuman_getToken', undefined);
    const second = await h.nextWindow(3);
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(second.requestId, true);
    assert.deepEqual(await granted, { token: '3f2504e0-4f89-41d3-9a0c-0305e82c3301' });
    assert.equal(await h.sites.hasMetahuman(APP.origin), true);
    // Granted: no window the next time.
    await h.pageApi.handle(APP, 'metahuman_getToken', undefined);
    assert.equal(h.opened.length, 3);

    await h.sites.revoke(APP.origin);
    assert.equal(await h.sites.hasMetahuman(APP.origin), false);
    assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'metahuman_getToken', undefined))).code, TakoSessionErrorCode.Unauthorized);
  });
});

describe('an approval belongs to the document that asked', () => {
  // Guards: when the asking document goes away (here: its tab loads another site), its request
  // ends: the window closes, the page is refused, and no cool-down follows (nobody refused).
  test('the asking document going away ends its request and closes its window, without a cool-down', async () => {
    const h = harness();
    const asked = h.pageApi.handle({ ...APP, documentId: 'DOC-1' }, 'tako_requestAccess', undefined);
    h.navigate(APP.tabId, APP.origin, 'DOC-1');
    const { windowId } = await h.nextWindow();
    h.navigate(APP.tabId, 'https://trusted.example', 'DOC-2');
    await h.approvals.onTabUpdated(APP.tabId);
    assert.deepEqual(h.closed, [windowId]);
    assert.equal((await rejectsTakoError(asked)).code, TakoSessionErrorCode.UserRejected);
    assert.deepEqual(await h.approvals.cooldowns(), []);
    assert.equal(await h.sites.isAllowed(APP.origin), false);
    assert.equal(await h.sites.isAllowed('https://trusted.example'), false);
  });

  // Guards: a reload is another document of the same origin: the request it made ends too, while
  // a request shared with another tab's document only loses that caller.
  test('a reload drops that caller; a request another document still waits for stays open', async () => {
    const h = harness();
    h.navigate(APP.tabId, APP.origin, 'DOC-1');
    h.navigate(11, APP.origin, 'DOC-9');
    const first = h.pageApi.handle({ ...APP, documentId: 'DOC-1' }, 'tako_requestAccess', undefined);
    const { requestId, windowId } = await h.nextWindow();
    const second = h.pageApi.handle({ origin: APP.origin, tabId: 11, documentId: 'DOC-9' }, 'tako_requestAccess', undefined);
    await h.settled();
    h.navigate(APP.tabId, APP.origin, 'DOC-2');
    await h.approvals.onTabUpdated(APP.tabId);
    assert.deepEqual(h.closed, [], 'the other document still waits');
    h.advance(ALLOW_DELAY_MS);
    assert.equal(await h.approvals.answer(requestId, true), true);
    assert.deepEqual(await second, SESSION);
    assert.deepEqual(await first, SESSION, 'the same answer, though its document cannot hear it');
    assert.deepEqual(h.closed, [windowId]);
  });

  // Guards: Allow grants only an origin whose asking document is still there, even when no tab
  // event told the background it went: the check is made when Allow is pressed.
  test('Allow for a document that has gone grants nothing, even without a tab event', async () => {
    const h = harness();
    h.navigate(APP.tabId, APP.origin, 'DOC-1');
    const asked = h.pageApi.handle({ ...APP, documentId: 'DOC-1' }, 'tako_requestAccess', undefined);
    const { requestId, windowId } = await h.nextWindow();
    h.navigate(APP.tabId, 'https://trusted.example', 'DOC-2');
    h.advance(ALLOW_DELAY_MS);
    const error = await rejectsTakoError(h.approvals.answer(requestId, true));
    assert.equal(error.message, ASKER_GONE);
    assert.equal(await h.sites.isAllowed(APP.origin), false);
    assert.equal(await h.sites.isAllowed('https://trusted.example'), false);
    assert.deepEqual(h.closed, [windowId]);
    assert.equal((await rejectsTakoError(asked)).code, TakoSessionErrorCode.UserRejected);
  });

  // Guards: closing the asking tab ends the request even when its window was already shown.
  test('closing the asking tab closes the window that showed its request', async () => {
    const h = harness();
    const asked = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const { windowId } = await h.nextWindow();
    await h.approvals.onTabRemoved(APP.tabId);
    assert.deepEqual(h.closed, [windowId]);
    assert.equal((await rejectsTakoError(asked)).code, TakoSessionErrorCode.UserRejected);
    assert.deepEqual(await h.approvals.cooldowns(), []);
  });

  // Guards: "in front" is the active tab of the focused window: a tab that is active in a window
  // in the background waits, and is shown once its window has the focus.
  test('a tab active in a window in the background waits until its window has the focus', async () => {
    const h = harness();
    h.setFocusedWindowTabs([STRANGER.tabId]);
    const asked = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    await h.pending(1);
    await h.approvals.onFocusChanged();
    assert.equal(h.opened.length, 0, 'its window is not the focused one');
    h.setFocusedWindowTabs([APP.tabId]);
    await h.approvals.onFocusChanged(1);
    const { requestId } = await h.nextWindow(1);
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(requestId, true);
    assert.deepEqual(await asked, SESSION);
  });
});

describe('a cool-down cannot be dodged', () => {
  // Guards: after a refusal, a sibling subdomain of the site, and another origin asking from the
  // tab that asked, are refused without a window; another site in another tab is not.
  test('it covers the site and the tab that asked', async () => {
    const h = harness();
    const denied = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    await h.approvals.answer((await h.nextWindow()).requestId, false);
    await rejectsTakoError(denied);
    const sibling = await rejectsTakoError(
      h.pageApi.handle({ origin: 'https://www.app.example', tabId: 11 }, 'tako_requestAccess', undefined),
    );
    const sameTab = await rejectsTakoError(
      h.pageApi.handle({ origin: 'https://elsewhere.example', tabId: APP.tabId }, 'tako_requestAccess', undefined),
    );
    assert.deepEqual([sibling.code, sameTab.code], [TakoSessionErrorCode.UserRejected, TakoSessionErrorCode.UserRejected]);
    assert.equal(h.opened.length, 1, 'no window for either');
    assert.deepEqual(
      (await h.approvals.cooldowns()).map((cooldown) => cooldown.site),
      [APP.origin],
    );

    const other = h.pageApi.handle(STRANGER, 'tako_requestAccess', undefined);
    const { requestId } = await h.nextWindow(2);
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(requestId, true);
    assert.deepEqual(await other, SESSION);
  });
});

describe('metahuman_getToken gives nothing away', () => {
  // Guards: a site without the MetaHuman grant cannot tell whether a token is stored: with or
  // without one it gets the same approval window; only once allowed does it learn there is none.
  test('a site without the grant gets the same window whether or not a token is stored', async () => {
    const h = harness();
    await allow(h, APP);
    h.storeMetahumanToken(false);
    const asked = h.pageApi.handle(APP, 'metahuman_getToken', undefined);
    const { requestId } = await h.nextWindow(2);
    assert.equal((await h.approvals.view(requestId))?.scope, 'metahuman');
    assert.deepEqual(h.calls, [], 'the token was not looked up before the person answered');
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(requestId, true);
    const error = await rejectsTakoError(asked);
    assert.equal(error.code, TakoSessionErrorCode.NoSession);
  });
});

describe('tako_signIn from a page', () => {
  // Guards: with a wallet extension to sign in with, a page's own tako_signIn goes through it: no
  // page (the caller included) carries the wallet bridge or is sent a wallet step, so none sees
  // the message or the signature, and no window is needed.
  test('with a wallet extension it signs in through the extension: no window, nothing sent to the page', async () => {
    const browser = fakeTabs({ [APP.tabId]: `${APP.origin}/` });
    const extension: WalletPort = { source: 'the wallet extension', requestAccounts: async () => [ADDRESS], sign: async () => '0x' };
    const h = harness({ tabs: browser.tabs, extensionWallet: extension });
    await allow(h, APP);
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_signIn', undefined), SESSION);
    assert.deepEqual(h.calls, ['signIn the wallet extension']);
    assert.equal(h.opened.length, 1, 'no window beyond the one that allowed the site');
    assert.equal(browser.document(APP.tabId).bridge, false);
    assert.deepEqual(browser.steps, []);
  });

  // Guards: without one, the page's own wallet is used only once the person has confirmed, in a
  // window of its own, that this page will see the signature; a refusal sends the page nothing.
  test('without one, the person first confirms that the page will see the signature; a refusal sends it nothing', async () => {
    const browser = fakeTabs({ [APP.tabId]: `${APP.origin}/` });
    const h = harness({ tabs: browser.tabs });
    await allow(h, APP);
    const caller: PageCaller = { ...APP, documentId: browser.document(APP.tabId).documentId };
    const refused = h.pageApi.handle(caller, 'tako_signIn', undefined);
    const { requestId } = await h.windowFor(refused, 2);
    assert.equal((await h.approvals.view(requestId))?.scope, 'page-signature');
    await h.approvals.answer(requestId, false);
    assert.equal((await rejectsTakoError(refused)).code, TakoSessionErrorCode.UserRejected);
    assert.equal(browser.document(APP.tabId).bridge, false);
    assert.deepEqual(browser.steps, []);
    assert.deepEqual(h.calls, []);

    h.advance(COOLDOWN_MAX_MS);
    const signing = h.pageApi.handle(caller, 'tako_signIn', undefined);
    const allowed = await h.nextWindow(3);
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(allowed.requestId, true);
    assert.deepEqual(await signing, SESSION);
    assert.deepEqual(h.calls, [`signIn ${pageSourceId(APP.tabId, browser.document(APP.tabId).pin!)}`]);
  });

  // Guards: a page's own tako_signIn uses the wallet of the document that called and no other: a
  // tab that has loaded another document of the same site by the time the sign-in starts (here,
  // as the person allows it) is sent nothing (no wallet bridge, no wallet step), and the sign-in
  // says why.
  test('the calling document is the one pinned; the tab’s next document is sent nothing', async () => {
    const browser = fakeTabs({ [APP.tabId]: `${APP.origin}/` });
    let navigateOnAllow = true;
    const h = harness({
      tabs: browser.tabs,
      onGrant: (scope) => {
        if (scope === 'page-signature' && navigateOnAllow) browser.navigate(APP.tabId, `${APP.origin}/next`);
      },
    });
    await allow(h, APP);
    const caller: PageCaller = { ...APP, documentId: browser.document(APP.tabId).documentId };
    const signing = h.pageApi.handle(caller, 'tako_signIn', undefined);
    const first = await h.nextWindow(2);
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(first.requestId, true);
    const error = await rejectsTakoError(signing);
    assert.equal(error.message, documentReplacedMessage(APP.origin));
    assert.equal(browser.document(APP.tabId).bridge, false, 'no wallet bridge in the next document');
    assert.deepEqual(browser.steps, []);
    assert.deepEqual(h.calls, [], 'no sign-in started');

    // The document the tab shows now signs in with its own wallet.
    navigateOnAllow = false;
    const now: PageCaller = { ...APP, documentId: browser.document(APP.tabId).documentId };
    const again = h.pageApi.handle(now, 'tako_signIn', undefined);
    const second = await h.nextWindow(3);
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(second.requestId, true);
    assert.deepEqual(await again, SESSION);
    const pinned = browser.document(APP.tabId);
    assert.equal(pinned.bridge, true);
    assert.deepEqual(h.calls, [`signIn ${pageSourceId(APP.tabId, pinned.pin!)}`]);
  });
});

describe('tako_signOut from a page', () => {
  // Guards: a page's tako_signOut is a request the person confirms: nothing is signed out until
  // they allow it; a refusal is 4001 and signs nothing out.
  test('asks the person first: a refusal is 4001 and signs nothing out; Allow signs out', async () => {
    const h = harness();
    await allow(h, APP);
    const refused = h.pageApi.handle(APP, 'tako_signOut', undefined);
    const { requestId } = await h.windowFor(refused, 2);
    assert.equal((await h.approvals.view(requestId))?.scope, 'sign-out');
    assert.deepEqual(h.calls, [], 'nothing signed out while the person has not answered');
    await h.approvals.answer(requestId, false);
    assert.equal((await rejectsTakoError(refused)).code, TakoSessionErrorCode.UserRejected);
    assert.deepEqual(h.calls, []);

    h.advance(COOLDOWN_MAX_MS);
    const allowed = h.pageApi.handle(APP, 'tako_signOut', undefined);
    const second = await h.nextWindow(3);
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(second.requestId, true);
    assert.equal(await allowed, null);
    assert.deepEqual(h.calls, ['signOut']);
  });
});

describe("the wallet's accountsChanged from a page", () => {
  const PIN = 'pin-of-the-sign-in';

  // Guards: a page that is not the document that signed in cannot steer the active account.
  test('from another tab, even with the right pin, it changes nothing', async () => {
    const h = harness();
    h.signedInFrom(APP.tabId, PIN);
    assert.equal(await h.pageApi.onWalletAccounts(STRANGER, [ADDRESS], PIN), null);
    assert.deepEqual(h.calls, [], 'the account-switch handler was not called');
  });

  // Guards: the tab that signed in, once on another document (no pin, or another one), is not followed.
  test('from the sign-in tab without its pin (it navigated), it changes nothing', async () => {
    const h = harness();
    h.signedInFrom(APP.tabId, PIN);
    await h.pageApi.onWalletAccounts(APP, [ADDRESS], undefined);
    await h.pageApi.onWalletAccounts(APP, [ADDRESS], 'another-pin');
    assert.deepEqual(h.calls, []);
  });

  // Guards: an allowed origin is not followed just for being allowed.
  test('from an allowed origin that did not sign in, it changes nothing', async () => {
    const h = harness();
    await allow(h, APP);
    h.signedInFrom(STRANGER.tabId, PIN);
    await h.pageApi.onWalletAccounts(APP, [ADDRESS], undefined);
    assert.deepEqual(h.calls, []);
  });

  // Guards: the document that signed in is followed, allowed or not.
  test('from the document that signed in it is followed', async () => {
    const h = harness();
    h.signedInFrom(STRANGER.tabId, PIN);
    await h.pageApi.onWalletAccounts(STRANGER, [ADDRESS], PIN);
    assert.deepEqual(h.calls, [`accountsChanged ${ADDRESS}`]);
  });
});

describe('page API under an organisation’s policy', () => {
  // Guards: a blocked site is refused at once, with no window: the person is not asked what the
  // policy decided, and a grant the person gave before does not outlive the block.
  test('a blocked site gets 4100 for everything, tako_requestAccess included, with no window; an earlier grant does not help', async () => {
    const h = harness({ managed: { blockedSites: [STRANGER.origin] } });
    for (const method of ['tako_requestAccess', ...Object.keys(GATED_METHODS)]) {
      const error = await rejectsTakoError(h.pageApi.handle(STRANGER, method, undefined));
      assert.equal(error.code, TakoSessionErrorCode.Unauthorized, method);
    }
    assert.equal(h.opened.length, 0, 'no approval window');
    assert.deepEqual(h.calls, []);

    const before = harness({ managed: { blockedSites: [APP.origin] } });
    await before.store.setAllowedOrigins([{ origin: APP.origin, allowedAt: 1, metahuman: true }]);
    assert.equal((await rejectsTakoError(before.pageApi.handle(APP, 'tako_getToken', undefined))).code, TakoSessionErrorCode.Unauthorized);
    assert.equal(
      (await rejectsTakoError(before.pageApi.handle(APP, 'metahuman_getToken', undefined))).code,
      TakoSessionErrorCode.Unauthorized,
    );
    assert.deepEqual(await before.sites.list(), [], 'not listed as allowed');
  });

  // Guards: a site the policy allows gets its token without a window and cannot drop the grant.
  test('a site allowed by policy is served without asking and cannot revoke itself', async () => {
    const h = harness({ managed: { allowedSites: [APP.origin] } });
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_requestAccess', undefined), SESSION);
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_getToken', undefined), TOKEN);
    assert.equal(h.opened.length, 0);
    await rejectsTakoError(h.pageApi.handle(APP, 'tako_revokeAccess', undefined));
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_getToken', undefined), TOKEN);
    assert.deepEqual(await h.sites.list(), [{ origin: APP.origin, allowedAt: 0, metahuman: false, byPolicy: true }]);
    // Another origin still asks the person.
    const asked = h.pageApi.handle(STRANGER, 'tako_requestAccess', undefined);
    await h.windowFor(asked);
  });

  // Guards: the MetaHuman token turned off by policy is refused even to a site holding its grant.
  test('the MetaHuman token turned off by policy: 4100, and the token is not read', async () => {
    const h = harness({ managed: { metahumanToken: false } });
    await h.store.setAllowedOrigins([{ origin: APP.origin, allowedAt: 1, metahuman: true }]);
    const error = await rejectsTakoError(h.pageApi.handle(APP, 'metahuman_getToken', undefined));
    assert.equal(error.code, TakoSessionErrorCode.Unauthorized);
    assert.match(error.message, /organisation/);
    assert.deepEqual(h.calls, [], 'the stored token was not looked up');
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_getToken', undefined), TOKEN, 'the session is not affected');
  });
});

describe('site activity', () => {
  // Guards: what the popup shows of a site (last used, tokens received) comes from the tokens the
  // page API actually handed it, is kept across a worker restart, and goes with a revoke.
  test('tokens a site receives are counted with the last use; kept by a new worker; revoke and Clear activity forget them', async () => {
    const h = harness();
    await allow(h, APP);
    await h.pageApi.handle(APP, 'tako_getToken', undefined);
    h.advance(5_000);
    await h.pageApi.handle(APP, 'tako_getToken', undefined);
    await h.pageApi.handle(APP, 'tako_getSession', undefined);
    await rejectsTakoError(h.pageApi.handle(STRANGER, 'tako_getToken', undefined));
    await h.sites.activityWritten();
    const [site] = await h.sites.list();
    assert.deepEqual(
      { origin: site!.origin, lastUsedAt: site!.lastUsedAt, tokens: site!.tokens },
      {
        origin: APP.origin,
        lastUsedAt: h.now(),
        tokens: 2,
      },
    );
    assert.ok(site!.allowedAt > 0);

    const restarted = createSites(h.store, () => h.now());
    assert.equal((await restarted.list())[0]!.tokens, 2, 'kept across a worker restart');

    await restarted.clearActivity();
    assert.deepEqual(await restarted.list(), [{ origin: APP.origin, allowedAt: site!.allowedAt, metahuman: false }], 'the grant stays');

    await h.pageApi.handle(APP, 'tako_getToken', undefined);
    await h.sites.activityWritten();
    await h.sites.revoke(APP.origin);
    assert.deepEqual(await h.store.getSiteActivity(), {}, 'a revoked site leaves no activity behind');
  });
});

describe('grants with a duration', () => {
  /** tako_requestAccess from `caller`, allowed for `duration`. */
  async function allowFor(h: ReturnType<typeof harness>, caller: PageCaller, duration: GrantDuration): Promise<void> {
    const access = h.pageApi.handle(caller, 'tako_requestAccess', undefined);
    const { requestId } = await h.windowFor(access);
    h.advance(ALLOW_DELAY_MS);
    assert.equal(await h.approvals.answer(requestId, true, duration), true);
    await access;
  }

  // Guards: a grant for a day ends after a day, by itself: the site is refused and no longer
  // listed (which is what sends its tabs accessChanged), and the alarm knows when.
  test('a grant for one day: served for the day, 4100 after it, gone from the list; the alarm is set for its end', async () => {
    const h = harness();
    await allowFor(h, APP, '1d');
    const [site] = await h.sites.list();
    assert.equal(site!.expiresAt, h.now() + 86_400_000);
    assert.equal(await h.sites.nextExpiry(), site!.expiresAt);
    h.advance(86_400_000 - 1);
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_getToken', undefined), TOKEN);
    h.advance(1);
    assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'tako_getToken', undefined))).code, TakoSessionErrorCode.Unauthorized);
    assert.deepEqual(await h.sites.list(), []);
    assert.deepEqual(await h.sites.pruneEnded(), [APP.origin]);
    assert.equal(await h.sites.nextExpiry(), null);
    // Asking again opens a window: the person decides anew.
    await h.windowFor(h.pageApi.handle(APP, 'tako_requestAccess', undefined));
  });

  test('until revoked (the default) has no end; 30 days ends after 30', async () => {
    const h = harness();
    await allow(h, APP);
    assert.equal((await h.sites.list())[0]!.expiresAt, undefined);
    await allowFor(h, STRANGER, '30d');
    h.advance(30 * 86_400_000);
    assert.deepEqual(
      (await h.sites.list()).map((site) => site.origin),
      [APP.origin],
    );
  });

  // Guards: a grant for open tabs is held by the site's tabs: another tab of the site joins while
  // one is open; when none shows the site any more, the grant is over.
  test('while a tab of the site is open: other tabs of the site join; when none is left, 4100 and gone', async () => {
    const h = harness();
    await allowFor(h, APP, 'open-tabs');
    assert.deepEqual((await h.sites.list())[0]!.tabIds, [APP.tabId]);
    h.navigate(11, APP.origin);
    const second: PageCaller = { origin: APP.origin, tabId: 11 };
    assert.deepEqual(await h.pageApi.handle(second, 'tako_getToken', undefined), TOKEN, 'a second tab while the first is open');
    h.navigate(APP.tabId, 'https://elsewhere.example');
    assert.deepEqual(await h.pageApi.handle(second, 'tako_getToken', undefined), TOKEN, 'held by the second tab now');
    h.navigate(11, 'https://elsewhere.example');
    h.navigate(12, APP.origin);
    const later: PageCaller = { origin: APP.origin, tabId: 12 };
    assert.equal((await rejectsTakoError(h.pageApi.handle(later, 'tako_getToken', undefined))).code, TakoSessionErrorCode.Unauthorized);
    assert.deepEqual(await h.sites.list(), []);
  });

  // Guards the option "remove sites not used for N days": counted from the last token (never
  // used: from the Allow), a site in use stays, and the alarm knows the next one.
  test('sites not used for the chosen days are removed; a site in use stays', async () => {
    const h = harness({ forgetUnusedDays: 10 });
    await allow(h, APP);
    await allow(h, STRANGER);
    h.advance(9 * 86_400_000);
    await h.pageApi.handle(APP, 'tako_getToken', undefined);
    await h.sites.activityWritten();
    assert.equal(await h.sites.nextExpiry(), h.now() - 9 * 86_400_000 + 10 * 86_400_000, 'the unused one, first');
    h.advance(86_400_000);
    assert.deepEqual(
      (await h.sites.list()).map((site) => site.origin),
      [APP.origin],
    );
    assert.equal((await rejectsTakoError(h.pageApi.handle(STRANGER, 'tako_getToken', undefined))).code, TakoSessionErrorCode.Unauthorized);
    assert.deepEqual(await h.sites.pruneEnded(), [STRANGER.origin]);
    h.advance(9 * 86_400_000 - 1);
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_getToken', undefined), TOKEN, 'used nine days ago: kept, and used again now');
  });
});

describe('per-site accounts', () => {
  // Guards: a site is bound to the account named when it was allowed: its tokens are asked for that
  // account, whatever is active; a site allowed before (no account) follows the active one.
  test('a site allowed for an account asks for that account’s token; the popup can move it; one with none follows the active account', async () => {
    const h = harness();
    const access = h.pageApi.handle(APP, 'tako_requestAccess', undefined);
    const { requestId } = await h.windowFor(access);
    h.advance(ALLOW_DELAY_MS);
    assert.equal(await h.approvals.answer(requestId, true, 'until-revoked', SECOND_DEV_ADDRESS), true);
    await access;
    assert.equal(await h.sites.accountOf(APP.origin), SECOND_DEV_ADDRESS);
    await h.pageApi.handle(APP, 'tako_getToken', undefined);
    assert.equal(await h.sites.moveTo(APP.origin, DEV_ADDRESS), true);
    await h.pageApi.handle(APP, 'tako_getToken', undefined);
    await allow(h, STRANGER);
    await h.pageApi.handle(STRANGER, 'tako_getToken', undefined);
    assert.deepEqual(h.tokenAccounts, [SECOND_DEV_ADDRESS, DEV_ADDRESS, undefined]);
    assert.equal(await h.sites.moveTo('https://never.example', DEV_ADDRESS), false);
  });
});

describe('header-only access', () => {
  /** tako_requestAccess with these params, Allowed in its window; the view the window was given. */
  async function allowWith(h: ReturnType<typeof harness>, caller: PageCaller, params: unknown) {
    const access = h.pageApi.handle(caller, 'tako_requestAccess', params);
    const { requestId } = await h.windowFor(access);
    const view = await h.approvals.view(requestId);
    h.advance(ALLOW_DELAY_MS);
    assert.equal(await h.approvals.answer(requestId, true), true);
    assert.deepEqual(await access, SESSION);
    return view;
  }

  // Guards the grant's kind: the window is told what is asked (it says so in words), and Allow
  // writes a header-only grant, after which the rules are brought in line before the answer.
  test('{ tokenAccess: "header" } asks in a window that says so and grants header-only access', async () => {
    const h = harness();
    const view = await allowWith(h, APP, { tokenAccess: 'header' });
    assert.equal(view?.tokenAccess, 'header');
    assert.equal(await h.sites.tokenAccessOf(APP.origin), 'header');
    assert.ok(h.calls.includes('headerRules.sync'), 'the rules follow the new grant before the page hears of it');
  });

  // Guards "nothing in the page API carries the token" for tako_getToken: a header-only site gets
  // 4100 with the reason, and the service is not even asked (no refresh either).
  test('tako_getToken from a header-only site is 4100 header-only, and asks the service nothing', async () => {
    const h = harness();
    await allowWith(h, APP, { tokenAccess: 'header' });
    h.calls.length = 0;
    for (const params of [undefined, { rejectedToken: TOKEN.token }]) {
      const error = await rejectsTakoError(h.pageApi.handle(APP, 'tako_getToken', params));
      assert.equal(error.code, TakoSessionErrorCode.Unauthorized);
      assert.deepEqual(error.data, { reason: HEADER_ONLY_REASON });
    }
    assert.deepEqual(h.calls, []);
  });

  // Guards the params: anything but 'header', 'token' or nothing is -32602, with no window and no
  // change to the grant a site holds.
  test('bad tokenAccess params are -32602 and change nothing', async () => {
    const h = harness();
    await allow(h, APP);
    for (const params of [
      { tokenAccess: 'cookie' },
      { tokenAccess: 'HEADER' },
      { tokenAccess: true },
      { tokenaccess: 'header' },
      'header',
      [1],
    ]) {
      const error = await rejectsTakoError(h.pageApi.handle(APP, 'tako_requestAccess', params));
      assert.equal(error.code, TakoSessionErrorCode.InvalidParams, JSON.stringify(params));
      assert.match(error.message, /tokenAccess/);
    }
    assert.equal(h.opened.length, 1, 'only the first Allow opened a window');
    assert.equal(await h.sites.tokenAccessOf(APP.origin), 'token');
    assert.equal((await rejectsTakoError(h.pageApi.handle(STRANGER, 'tako_requestAccess', { tokenAccess: 'x' }))).code, -32602);
    assert.equal(h.opened.length, 1);
  });

  // Guards the change of kind: a site allowed with tokens asking for header-only access (or the
  // other way) is asked about in a new window; Deny keeps the grant it had, Allow replaces it and
  // keeps its separate MetaHuman grant. Asking with no kind named keeps whatever it holds.
  test('a site allowed the other way asks again in a new window; Deny keeps its grant, Allow changes it', async () => {
    const h = harness();
    await allow(h, APP);
    await h.sites.grantMetahuman(APP.origin);
    const denied = h.pageApi.handle(APP, 'tako_requestAccess', { tokenAccess: 'header' });
    const { requestId } = await h.windowFor(denied);
    assert.equal(await h.approvals.answer(requestId, false), true);
    assert.equal((await rejectsTakoError(denied)).code, TakoSessionErrorCode.UserRejected);
    assert.equal(await h.sites.tokenAccessOf(APP.origin), 'token');
    assert.ok(await h.sites.isAllowed(APP.origin));

    // After the cool-down that follows a refusal, Allow changes it.
    h.advance(COOLDOWN_BASE_MS);
    await allowWith(h, APP, { tokenAccess: 'header' });
    assert.equal(await h.sites.tokenAccessOf(APP.origin), 'header');
    assert.equal(await h.sites.hasMetahuman(APP.origin), true);

    // Asking again the same way, or naming no way, opens nothing.
    const windows = h.opened.length;
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_requestAccess', { tokenAccess: 'header' }), SESSION);
    assert.deepEqual(await h.pageApi.handle(APP, 'tako_requestAccess', undefined), SESSION);
    assert.equal(h.opened.length, windows);

    // Back to tokens: asked again too.
    await allowWith(h, APP, { tokenAccess: 'token' });
    assert.equal(await h.sites.tokenAccessOf(APP.origin), 'token');
    assert.equal(h.opened.length, windows + 1);
  });

  // Guards tako_reportRejected: it reaches the service for the site's own account, with no token
  // in it, and answers once the rules are brought in line; a request sent before the tab's
  // requests carried the current token forces no refresh (the retry carries it).
  test('tako_reportRejected refreshes the site’s account unless the request went before the current header', async () => {
    const h = harness();
    await allowWith(h, APP, { tokenAccess: 'header' });
    await h.sites.moveTo(APP.origin, SECOND_DEV_ADDRESS);
    h.calls.length = 0;
    h.carriedSince.set(APP.tabId, 5_000);

    assert.equal(await h.pageApi.handle(APP, 'tako_reportRejected', { sentAt: 4_999 }), null);
    assert.deepEqual(h.calls, ['headerRules.sync']);

    h.calls.length = 0;
    assert.equal(await h.pageApi.handle(APP, 'tako_reportRejected', { sentAt: 5_000 }), null);
    assert.deepEqual(h.calls, ['headerRules.sync', `reportRejected ${SECOND_DEV_ADDRESS}`, 'headerRules.sync']);

    h.calls.length = 0;
    for (const params of [{ sentAt: '5000' }, { sentAt: Number.NaN }, { token: 'x' }, 5]) {
      assert.equal((await rejectsTakoError(h.pageApi.handle(APP, 'tako_reportRejected', params))).code, TakoSessionErrorCode.InvalidParams);
    }
    assert.deepEqual(h.calls, []);
  });
});
