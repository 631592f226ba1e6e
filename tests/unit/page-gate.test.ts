/**
 * The page API's security boundary in Node: the real createPageApi, sites and approvals, over a
 * map-backed store, a fake window port and a session service that records what it was asked.
 * Each test names the guarantee it guards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APPROVAL_PAGE, createApprovals, type ApprovalsDeps } from '../../src/background/approvals.ts';
import { createPageApi, type PageApiDeps, type PageCaller } from '../../src/background/page-api.ts';
import type { TabInfo, TabsPort, WindowsPort } from '../../src/background/ports.ts';
import { createSites } from '../../src/background/sites.ts';
import { createPageWallets, documentReplacedMessage, pageSourceId } from '../../src/background/wallet.ts';
import { ALLOW_DELAY_MS, COOLDOWN_BASE_MS, COOLDOWN_MAX_MS } from '../../src/core/consent.ts';
import type { TakoSessionInfo, TakoSessionMethod, TakoToken } from '../../src/core/tako-session-api.ts';
import { TakoSessionErrorCode } from '../../src/core/tako-session-api.ts';
import { rejectsTakoError } from './assert-tako-error.ts';
import { fakeTabs } from '../support/fake-tabs.ts';
import { memoryStore } from '../support/memory-store.ts';

const ADDRESS = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
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
  metahuman_getToken: true,
} satisfies Record<Exclude<TakoSessionMethod, 'tako_requestAccess'>, true>;

/** `tabs`: the pages' tabs, for the wallet of a page's own sign-in; without it no page can be pinned. */
function harness(options: { tabs?: TabsPort } = {}) {
  const { store } = memoryStore();
  /** The test's clock; approvals refuse an Allow sooner than ALLOW_DELAY_MS after the window was shown. */
  let time = 1_000;
  const sites = createSites(store, () => time);
  /** What the service (and the MetaHuman token) were asked, in order. */
  const calls: string[] = [];
  let signInSource: string | null = null;
  const service: PageApiDeps['service'] = {
    getToken: async (options) => (calls.push(options?.rejectedToken === undefined ? 'getToken' : `getToken rejected ${options.rejectedToken}`), TOKEN),
    sessionInfo: async () => (calls.push('sessionInfo'), SESSION),
    signIn: async (wallet) => (calls.push(`signIn ${wallet.source}`), SESSION),
    signOut: async () => void calls.push('signOut'),
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
  /** The tabs in front (every caller's tab unless a test says otherwise). */
  let activeTabs: number[] = [APP.tabId, STRANGER.tabId];
  const approvals = createApprovals({
    windows,
    tabs: {
      query: async (query: { active?: true }): Promise<TabInfo[]> =>
        (query.active ? activeTabs : [APP.tabId, STRANGER.tabId, 11, 12]).map((id) => ({ id })),
    },
    store,
    now: () => time,
    async grant(origin, scope) {
      if (scope === 'session') await sites.allow(origin);
      else await sites.grantMetahuman(origin);
      sitesChanged++;
    },
    onChanged: () => undefined,
    watchWindows: (watching) => void watchCalls.push(watching),
  });
  /** Every call of watchWindows, in order. */
  const watchCalls: boolean[] = [];
  let sitesChanged = 0;
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
    metahumanToken: async () => (calls.push('metahumanToken'), '3f2504e0-4f89-41d3-9a0c-0305e82c3301'),
    onSitesChanged: () => void sitesChanged++,
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

  /** Resolves once `count` requests wait for the person (stored, with or without a window). */
  async function pending(count: number): Promise<void> {
    while ((await store.getConsent()).pending.length < count) await new Promise((resolve) => setImmediate(resolve));
  }

  return {
    pageApi,
    sites,
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
    store,
    windows,
    sitesChanged: () => sitesChanged,
    /** Time passes (ms). */
    advance: (ms: number) => void (time += ms),
    now: () => time,
    setActiveTabs: (tabs: number[]) => void (activeTabs = tabs),
    signedInFrom: (tabId: number, pin: string) => (signInSource = pageSourceId(tabId, pin)),
    /** The approvals of a new worker on the same store, with `tabId` in front. */
    nextWorkerApprovals: (tabId: number, overrides: Partial<ApprovalsDeps> = {}) =>
      createApprovals({
        windows,
        tabs: { query: async () => [{ id: tabId }] },
        store,
        now: () => time,
        grant: (origin) => sites.allow(origin),
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
    const { requestId, windowId } = await h.nextWindow();
    // Give the second call every chance to open a window of its own before answering.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.opened.length, 1, 'one window for both calls');
    assert.deepEqual(h.focused, [windowId], 'the second call brought the open window to the front');
    h.advance(ALLOW_DELAY_MS);
    await h.approvals.answer(requestId, true);
    assert.deepEqual(await Promise.all([first, second]), [SESSION, SESSION]);
    assert.equal(h.opened.length, 1);
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
    assert.deepEqual(cooldown, { origin: APP.origin, scope: 'session', until: h.now() + COOLDOWN_BASE_MS });

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
    assert.deepEqual((await h.approvals.cooldowns()).map((c) => c.origin), [STRANGER.origin]);
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
    assert.deepEqual((await h.approvals.cooldowns()).map((c) => c.scope), ['metahuman']);

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
    const metahuman = h.approvals.decisionFor(STRANGER.origin, 'metahuman', STRANGER.tabId);
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
    const reborn = h.nextWorkerApprovals(APP.tabId, { windows: { ...h.windows, openPopup: async () => (opened.push(1), 999) } });
    const asked = reborn.decisionFor(APP.origin, 'session', APP.tabId);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(opened, [], 'no second window');
    assert.deepEqual(await reborn.view(requestId), { origin: APP.origin, scope: 'session', insecure: false });
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

describe('tako_signIn from a page', () => {
  // Guards: a page's own tako_signIn uses the wallet of the document that called and no other: a
  // tab that has loaded another document of the same site by the time the sign-in starts is sent
  // nothing (no wallet bridge, no wallet step), and the sign-in says why.
  test('the calling document is the one pinned; the tab’s next document is sent nothing', async () => {
    const browser = fakeTabs({ [APP.tabId]: `${APP.origin}/` });
    const h = harness({ tabs: browser.tabs });
    await allow(h, APP);
    const caller: PageCaller = { ...APP, documentId: browser.document(APP.tabId).documentId };
    browser.navigate(APP.tabId, `${APP.origin}/next`);
    const error = await rejectsTakoError(h.pageApi.handle(caller, 'tako_signIn', undefined));
    assert.equal(error.message, documentReplacedMessage(APP.origin));
    assert.equal(browser.document(APP.tabId).bridge, false, 'no wallet bridge in the next document');
    assert.deepEqual(browser.steps, []);
    assert.deepEqual(h.calls, [], 'no sign-in started');

    // The document the tab shows now signs in with its own wallet.
    const now: PageCaller = { ...APP, documentId: browser.document(APP.tabId).documentId };
    assert.deepEqual(await h.pageApi.handle(now, 'tako_signIn', undefined), SESSION);
    const pinned = browser.document(APP.tabId);
    assert.equal(pinned.bridge, true);
    assert.deepEqual(h.calls, [`signIn ${pageSourceId(APP.tabId, pinned.pin!)}`]);
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
