/**
 * One writer per record kind, driven in Node with the real modules over a store whose calls a
 * test holds and lets go (tests/support/held-store.ts): each test makes one interleaving happen
 * on purpose and checks that the person's last word holds. A sign-out or a revoke is final.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createApprovals } from '../../src/background/consent/approvals.ts';
import { createSites } from '../../src/background/consent/sites.ts';
import {
  createGrants,
  createPageApi,
  HEADER_ONLY_REASON,
  type PageApiDeps,
  type PageCaller,
} from '../../src/background/messaging/page-api.ts';
import { createUiApi, type UiApiDeps } from '../../src/background/messaging/ui-api.ts';
import { createPolicy } from '../../src/background/policy/policy.ts';
import { ALLOW_DELAY_MS } from '../../src/core/consent/consent.ts';
import { TakoSessionErrorCode, type TakoSessionInfo, type TakoToken } from '../../src/core/contract/tako-session-api.ts';
import { rejectsTakoError } from '../support/assert-tako-error.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { withHeldCalls } from '../support/held-store.ts';
import { memoryStore } from '../support/memory-store.ts';
import { sessionHarness } from '../support/session-harness.ts';

const A = 'https://a.example';

/**
 * Lets every piece of work that can go on without a held call run as far as it can: the store
 * answers at once, so all of it runs in promise jobs, which one macrotask turn drains.
 */
const settled = () => new Promise((resolve) => setImmediate(resolve));
const B = 'https://b.example';

describe('the site list: one writer', () => {
  // Guards against a lost update: a grant read-modify-write that started before a revoke of
  // another site wrote its stale list after it, and the revoked site was allowed again.
  test('a revoke that lands while another site is being allowed stays revoked', async () => {
    const held = withHeldCalls(memoryStore().store);
    const sites = createSites(held.store, () => 1);
    await sites.allow(A);
    const write = held.hold('setAllowedOrigins');
    const allowing = sites.allow(B);
    await write.reached;
    const revoking = sites.revoke(A);
    await settled();
    write.release();
    await Promise.all([allowing, revoking]);
    assert.deepEqual(
      (await sites.list()).map((site) => site.origin),
      [B],
    );
  });

  // Guards the MetaHuman grant written for a site that is revoked meanwhile: it must not bring
  // the site back.
  test('a MetaHuman grant being written does not bring back a site revoked meanwhile', async () => {
    const held = withHeldCalls(memoryStore().store);
    const sites = createSites(held.store, () => 1);
    await sites.allow(A);
    const write = held.hold('setAllowedOrigins');
    const granting = sites.grantMetahuman(A);
    await write.reached;
    const revoking = sites.revoke(A);
    await settled();
    write.release();
    await Promise.all([granting, revoking]);
    assert.equal(await sites.isAllowed(A), false);
    assert.equal(await sites.hasMetahuman(A), false);
  });

  // Guards that a check after a revoke sees it: reads wait for the writes queued before them.
  test('a check made after a revoke started sees the revoke', async () => {
    const held = withHeldCalls(memoryStore().store);
    const sites = createSites(held.store, () => 1);
    await sites.allow(A);
    const write = held.hold('setAllowedOrigins');
    const revoking = sites.revoke(A);
    await write.reached;
    const checked = sites.isAllowed(A);
    await settled();
    write.release();
    await revoking;
    assert.equal(await checked, false);
  });
});

describe('sessions: sign-out wins over a refresh in flight', () => {
  // Guards the conditional write of a refresh's outcome: a sign-out that lands while the refresh
  // is saving its new pair must not find the session back afterwards, nor its refresh alarm.
  test('signed out while the refreshed pair is being saved: no session, no alarm', async () => {
    const h = sessionHarness();
    await h.seed();
    const marker = h.held.hold('putSession');
    const refreshing = h.service.refreshNow().catch((error: unknown) => error);
    await marker.reached;
    const saving = h.held.hold('putSession');
    marker.release();
    await saving.reached;
    const signingOut = h.service.signOut('active');
    await settled();
    saving.release();
    await Promise.all([refreshing, signingOut]);
    assert.deepEqual(await h.stored(), []);
    assert.deepEqual([...h.alarms.keys()], []);
    await assert.rejects(h.service.getToken(), { code: TakoSessionErrorCode.NoSession, data: { reason: 'signed-out' } });
  });

  // Guards the mark written before the refresh request: it is a write of the session too, and a
  // sign-out between the refresh reading the session and marking it must not be undone by it.
  test('signed out while the refresh marks its start: no session, no alarm', async () => {
    const h = sessionHarness();
    await h.seed();
    const marker = h.held.hold('putSession');
    const refreshing = h.service.refreshNow().catch((error: unknown) => error);
    await marker.reached;
    const signingOut = h.service.signOut('active');
    await settled();
    marker.release();
    await Promise.all([refreshing, signingOut]);
    assert.deepEqual(await h.stored(), []);
    assert.deepEqual([...h.alarms.keys()], []);
  });

  // Guards: a refresh whose reply arrives after the sign-out writes nothing and schedules nothing.
  test('signed out while the refresh request is out: its reply changes nothing', async () => {
    const h = sessionHarness();
    await h.seed();
    const release = h.holdReplies();
    const refreshing = h.service.refreshNow().catch((error: unknown) => error);
    while (h.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await h.service.signOut('active');
    release();
    assert.equal(((await refreshing) as { code?: number }).code, TakoSessionErrorCode.NoSession);
    assert.deepEqual(await h.stored(), []);
    assert.deepEqual([...h.alarms.keys()], []);
  });
});

describe('a token or a grant is handed out only while the grant stands', () => {
  const APP: PageCaller = { origin: A, tabId: 7 };
  const SESSION: TakoSessionInfo = { address: DEV_ADDRESS, state: 'signed-in', expiresAt: 2e12, endpoint: 'https://api.tako.so' };
  const TOKEN: TakoToken = { token: 'header.payload.signature', tokenType: 'Bearer', expiresAt: 2e12, address: SESSION.address };

  function harness() {
    const { store } = memoryStore();
    let time = 1_000;
    const sites = createSites(store, () => time);
    const opened: Array<{ requestId: string; windowId: number }> = [];
    const closed: number[] = [];
    const approvals = createApprovals({
      windows: {
        openPopup: async (path) => {
          const windowId = 100 + opened.length;
          opened.push({ requestId: new URL(path, 'chrome-extension://test/').searchParams.get('request')!, windowId });
          return windowId;
        },
        close: async (windowId) => void closed.push(windowId),
        focus: async () => undefined,
        exists: async (windowId) => !closed.includes(windowId),
      },
      tabs: { query: async () => [{ id: APP.tabId }], documentOrigin: async (tabId) => (tabId === APP.tabId ? A : undefined) },
      store,
      now: () => time,
      grant: createGrants({ sites, signOut: async () => undefined, now: () => Date.now() }),
      onChanged: () => undefined,
      watchWindows: () => undefined,
    });
    /** getToken waits for `tokenReady` (a refresh on its way); `tokenAsked` resolves when it is called. */
    let ready!: () => void;
    const tokenReady = new Promise<void>((resolve) => (ready = resolve));
    let asked!: () => void;
    const tokenAsked = new Promise<void>((resolve) => (asked = resolve));
    const service: PageApiDeps['service'] = {
      getToken: async () => {
        asked();
        await tokenReady;
        return TOKEN;
      },
      sessionInfo: async () => SESSION,
      signIn: async () => SESSION,
      signOut: async () => undefined,
      isSignInSource: () => false,
      onWalletAccountsChanged: async () => undefined,
      reportRejected: async () => undefined,
    };
    const wallets = { pin: () => Promise.reject(new Error('no wallet here')), pageWallet: () => assert.fail('no wallet here') };
    const pageApi = createPageApi({
      service,
      sites,
      approvals,
      wallets,
      extensionWallet: async () => undefined,
      metahumanToken: async () => 'the-metahuman-token',
      policy: createPolicy(async () => ({})),
      onSitesChanged: () => undefined,
      headerRules: { sync: async () => undefined, carriedCurrent: async () => true },
    });
    const uiApi = createUiApi({ sites, approvals, onChanged: () => undefined } as unknown as UiApiDeps);
    async function nextWindow() {
      while (opened.length === 0) await new Promise((resolve) => setImmediate(resolve));
      return opened[0]!;
    }
    return {
      sites,
      approvals,
      pageApi,
      uiApi,
      closed,
      nextWindow,
      releaseToken: ready,
      tokenAsked,
      advance: (ms: number) => {
        time += ms;
      },
    };
  }

  // Guards the check when the answer is ready: a site revoked while its token waited on a refresh
  // gets 4100, not the token.
  test('a site revoked while its token waits on a refresh gets 4100, not the token', async () => {
    const h = harness();
    await h.sites.allow(A);
    const asking = h.pageApi.handle(APP, 'tako_getToken', undefined);
    await h.tokenAsked;
    await h.uiApi.handle({ type: 'revoke-site', origin: A });
    h.releaseToken();
    assert.equal((await rejectsTakoError(asking)).code, TakoSessionErrorCode.Unauthorized);
  });

  // Guards the same check for header-only access: a site whose grant became header-only (the
  // person allowed it again that way) while its token waited on a refresh never receives it.
  test('a site made header-only while its token waits on a refresh gets 4100 header-only, not the token', async () => {
    const h = harness();
    await h.sites.allow(A);
    const asking = h.pageApi.handle(APP, 'tako_getToken', undefined);
    await h.tokenAsked;
    await h.sites.allow(A, { tokenAccess: 'header' });
    h.releaseToken();
    const error = await rejectsTakoError(asking);
    assert.equal(error.code, TakoSessionErrorCode.Unauthorized);
    assert.deepEqual(error.data, { reason: HEADER_ONLY_REASON });
  });

  // Guards the check when the answer is ready, for the MetaHuman token: the person clicks Allow in
  // a window for a site that was revoked meanwhile; the grant is not written, and no token leaves.
  test('Allow in a MetaHuman window for a site revoked meanwhile hands out no token', async () => {
    const h = harness();
    await h.sites.allow(A);
    const asking = h.pageApi.handle(APP, 'metahuman_getToken', undefined);
    const { requestId } = await h.nextWindow();
    await h.sites.revoke(A);
    h.advance(ALLOW_DELAY_MS);
    assert.equal(await h.approvals.answer(requestId, true), true);
    assert.equal((await rejectsTakoError(asking)).code, TakoSessionErrorCode.Unauthorized);
    assert.equal(await h.sites.hasMetahuman(A), false);
  });

  // Guards revoke winning over a grant in flight: revoking the site in the popup ends its open
  // MetaHuman request (the window closes, the page is refused), so no Allow can follow.
  test('revoking a site in the popup ends its open MetaHuman request', async () => {
    const h = harness();
    await h.sites.allow(A);
    const asking = h.pageApi.handle(APP, 'metahuman_getToken', undefined);
    const { requestId, windowId } = await h.nextWindow();
    await h.uiApi.handle({ type: 'revoke-site', origin: A });
    assert.equal((await rejectsTakoError(asking)).code, TakoSessionErrorCode.UserRejected);
    assert.deepEqual(h.closed, [windowId]);
    h.advance(ALLOW_DELAY_MS);
    assert.equal(await h.approvals.answer(requestId, true), false, 'nothing left to allow');
    // Ended by the revoke, not refused by the person: no cool-down follows.
    assert.deepEqual(await h.approvals.cooldowns(), []);
  });
});
