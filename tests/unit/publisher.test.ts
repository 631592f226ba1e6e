/**
 * Publishing in Node: the real publisher over a fake tabs port, badge and extension-page notice.
 * Each test names the guarantee it guards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Badge, TabsPort } from '../../src/background/ports/ports.ts';
import { BADGES } from '../../src/background/publish/badge.ts';
import { createPublisher, type PublisherDeps } from '../../src/background/publish/publisher.ts';
import type { AllowedOrigin } from '../../src/core/consent/records.ts';
import type { BackgroundToContent } from '../../src/core/contract/protocol.ts';
import type { SessionInfo } from '../../src/core/session/session.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';

type Snapshot = Awaited<ReturnType<PublisherDeps['service']['snapshot']>>;

const SESSION: SessionInfo = {
  address: DEV_ADDRESS,
  state: 'signed-in',
  expiresAt: 2_000_000_000_000,
  endpoint: 'https://api.tako.so',
};

function snapshot(session: SessionInfo | null, tokenObtainedAt: number | null, signingIn = false): Snapshot {
  return {
    accounts: [],
    switchedAccount: null,
    signingIn,
    lastSignInError: null,
    session,
    refreshExpiresAt: null,
    tokenObtainedAt,
    lastError: null,
    lifetimeEnding: null,
    lifetimeEndsAt: null,
  };
}

/** storage.session's record of what was published: it outlives the worker, not the browser run. */
function browserRun() {
  let kept: unknown;
  return {
    lastPublished: {
      get: async () => structuredClone(kept),
      set: async (state: unknown) => {
        kept = structuredClone(state);
      },
    } satisfies NonNullable<PublisherDeps['lastPublished']>,
    get kept() {
      return kept;
    },
    set kept(value: unknown) {
      kept = value;
    },
  };
}

function harness(run?: ReturnType<typeof browserRun>) {
  let current = snapshot(null, null);
  let allowed: AllowedOrigin[] = [];
  let snapshotReads = 0;
  const badges: Badge[] = [];
  const sent: Array<{ tabId: number; message: BackgroundToContent }> = [];
  let notices = 0;
  const tabs: TabsPort = {
    query: async () => [
      { id: 1, url: 'https://app.example/one' },
      { id: 2, url: 'https://app.example/two' },
      { id: 3, url: 'https://stranger.example/' },
      { id: 4, url: 'http://127.0.0.1:8787/' },
      { url: 'https://app.example/no-id' },
    ],
    send: async (tabId, message) => void sent.push({ tabId, message }),
    ensureRelay: async () => undefined,
    injectWalletBridge: async () => undefined,
    documentOrigin: async () => undefined,
    pinDocument: async () => ({ origin: 'https://unused.example' }),
  };
  const publisher = createPublisher({
    service: {
      snapshot: async () => {
        snapshotReads++;
        return current;
      },
    },
    sites: { list: async () => allowed },
    showBadge: async (badge) => void badges.push(badge),
    tabs,
    notifyExtensionPages: async () => void notices++,
    ...(run ? { lastPublished: run.lastPublished } : {}),
  });
  /** Signals a change and resolves once it is published. */
  function publish(): Promise<void> {
    publisher.changed();
    return publisher.idle();
  }
  return {
    publisher,
    publish,
    badges,
    sent,
    /** What went to pages about the session (access changes left out). */
    sessionSent: () => sent.filter(({ message }) => message.type === 'page-event' && message.event === 'sessionChanged'),
    accessSent: () =>
      sent
        .filter(({ message }) => message.type === 'page-event' && message.event === 'accessChanged')
        .map(({ tabId, message }) => [tabId, message]),
    notices: () => notices,
    snapshotReads: () => snapshotReads,
    set: (next: Snapshot) => (current = next),
    allow: (...origins: string[]) => (allowed = origins.map((origin) => ({ origin, allowedAt: 1, metahuman: false }))),
  };
}

describe('publisher', () => {
  // Guards: sessionChanged reaches the tabs of allowed origins, and never any other page.
  test('the session goes to the tabs of allowed origins only', async () => {
    const h = harness();
    h.allow('https://app.example', 'http://127.0.0.1:8787');
    h.set(snapshot(SESSION, 10));
    await h.publish();
    assert.deepEqual(
      h.sessionSent().map(({ tabId, message }) => [tabId, message]),
      [
        [1, { type: 'page-event', origin: 'https://app.example', event: 'sessionChanged', data: SESSION }],
        [2, { type: 'page-event', origin: 'https://app.example', event: 'sessionChanged', data: SESSION }],
        [4, { type: 'page-event', origin: 'http://127.0.0.1:8787', event: 'sessionChanged', data: SESSION }],
      ],
    );
  });

  // Guards: pages hear of changes of the session (a new token pair included), not of every publish.
  test('pages are told again only when the session or its token pair changed', async () => {
    const h = harness();
    h.allow('https://app.example');
    h.set(snapshot(SESSION, 10));
    await h.publish();
    await h.publish();
    assert.equal(h.sessionSent().length, 2, 'the same session is not sent twice');
    h.set(snapshot(SESSION, 20));
    await h.publish();
    assert.equal(h.sessionSent().length, 4, 'a refresh is news even with the same expiry');
    h.set(snapshot(null, null));
    await h.publish();
    assert.deepEqual(h.sessionSent().at(-1)?.message, {
      type: 'page-event',
      origin: 'https://app.example',
      event: 'sessionChanged',
      data: null,
    });
    assert.equal(h.notices(), 4, 'open extension pages hear of every publish');
  });

  // Guards the cost of a worker start (the bench's cold start): a new worker of the same browser
  // run that finds nothing changed sets no badge and sends pages nothing they already had, while
  // a change the last worker did not publish, or a browser run with no record, is published.
  test('a new worker sends pages and the badge only what the last one of this browser run did not', async () => {
    const run = browserRun();
    const first = harness(run);
    first.allow('https://app.example');
    first.set(snapshot(SESSION, 10));
    await first.publish();
    assert.equal(first.badges.length, 1);
    assert.equal(first.sessionSent().length, 2);

    const restarted = harness(run);
    restarted.allow('https://app.example');
    restarted.set(snapshot(SESSION, 10));
    await restarted.publish();
    assert.deepEqual([restarted.badges, restarted.sessionSent()], [[], []], 'nothing new');
    assert.equal(restarted.notices(), 1, 'open extension pages still hear of it');

    const refreshedMeanwhile = harness(run);
    refreshedMeanwhile.allow('https://app.example');
    refreshedMeanwhile.set(snapshot(SESSION, 20));
    await refreshedMeanwhile.publish();
    assert.equal(refreshedMeanwhile.sessionSent().length, 2, 'a pair the last worker did not publish');
    assert.deepEqual(refreshedMeanwhile.badges, []);

    for (const kept of [undefined, { badge: 1 }]) {
      run.kept = kept;
      const newRun = harness(run);
      newRun.allow('https://app.example');
      newRun.set(snapshot(SESSION, 20));
      await newRun.publish();
      assert.deepEqual(newRun.badges, [BADGES['signed-in']], `badge set with ${JSON.stringify(kept)} kept`);
      assert.equal(newRun.sessionSent().length, 2);
    }
  });

  // Guards: a burst of changes costs one publish.
  test('changes in one burst are published once', async () => {
    const h = harness();
    h.publisher.changed();
    h.publisher.changed();
    h.publisher.changed();
    await h.publisher.idle();
    assert.equal(h.snapshotReads(), 1);
    assert.equal(h.badges.length, 1);
  });

  // Guards: the badge shows what the popup shows.
  test('the badge mirrors the popup state', async () => {
    const h = harness();
    await h.publish();
    h.set(snapshot(null, null, true));
    await h.publish();
    h.set(snapshot({ ...SESSION, state: 'expired' }, 10));
    await h.publish();
    assert.deepEqual(h.badges, [BADGES['signed-out'], BADGES['signing-in'], BADGES.expired]);
  });

  // Guards: an origin that is allowed or loses its access hears it in every one of its tabs, and
  // no other page hears anything; the first change after a worker start counts too.
  test('accessChanged goes to every tab of the origin allowed or revoked, and to no other', async () => {
    const h = harness();
    h.allow('https://app.example');
    await h.publish();
    assert.deepEqual(h.accessSent(), [
      [1, { type: 'page-event', origin: 'https://app.example', event: 'accessChanged', data: { allowed: true } }],
      [2, { type: 'page-event', origin: 'https://app.example', event: 'accessChanged', data: { allowed: true } }],
    ]);
    h.sent.length = 0;
    await h.publish();
    assert.deepEqual(h.accessSent(), [], 'no news, no event');
    h.allow('http://127.0.0.1:8787');
    await h.publish();
    assert.deepEqual(h.accessSent(), [
      [1, { type: 'page-event', origin: 'https://app.example', event: 'accessChanged', data: { allowed: false } }],
      [2, { type: 'page-event', origin: 'https://app.example', event: 'accessChanged', data: { allowed: false } }],
      [4, { type: 'page-event', origin: 'http://127.0.0.1:8787', event: 'accessChanged', data: { allowed: true } }],
    ]);
  });
});
