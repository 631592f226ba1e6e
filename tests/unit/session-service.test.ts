/**
 * The background's lifecycle service in Node: a map-backed store, recorded alarms and a wallet
 * that signs with the published dev key, against the real local stack over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createSessionService, refreshAlarmName, type WalletPort } from '../../src/background/session-service.ts';
import { customEndpoint } from '../../src/core/endpoints.ts';
import { keyOf, type Session } from '../../src/core/session.ts';
import { signPersonalMessage } from '../../src/core/signature.ts';
import { DEV_KEYS } from '../../src/stack/demo/dev-keys.ts';
import { startStack, type Stack } from '../../src/stack/server.ts';
import { memoryStore } from './memory-store.ts';

const key = DEV_KEYS[0];

const devWallet: WalletPort = {
  source: 'test wallet',
  requestAccounts: async () => [key.address],
  sign: async (_address, message) => signPersonalMessage(message, key.privateKey),
};

function harness(stack: Stack) {
  const { store, data } = memoryStore();
  const alarms = new Map<string, number>();
  const expired: Session[] = [];
  let fetches = 0;
  const service = createSessionService({
    store,
    clock: { now: () => Date.now(), random: () => 0.5 },
    fetch: (input, init) => {
      fetches++;
      return fetch(input, init);
    },
    alarms: {
      schedule: async (name, when) => void alarms.set(name, when),
      clear: async (name) => void alarms.delete(name),
      names: async () => [...alarms.keys()],
    },
    onChange: () => undefined,
    onExpired: (session) => expired.push(session),
  });
  const ready = store.saveSettings({ v: 1, endpoint: customEndpoint(stack.url, 'v2') });
  const stored = () => [...data.entries()].filter(([k]) => k.startsWith('session/')).map(([, v]) => v as Session);
  return { service, store, alarms, expired, stored, ready, fetches: () => fetches };
}

describe('session service', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ port: 0, accessTtlSec: 20 });
  });
  after(() => stack.close());
  beforeEach(() => {
    stack.clearRequests();
    stack.faults.clear();
  });

  test('signs in, stores the pair and schedules the refresh at exp - 20% of the lifetime', async () => {
    const h = harness(stack);
    await h.ready;
    const info = await h.service.signIn(devWallet);
    assert.equal(info.address, key.address);
    const [session] = h.stored();
    assert.ok(session);
    assert.equal(h.alarms.get(refreshAlarmName(keyOf(session))), session.accessExpMs - 4000 - session.skewMs);
    assert.equal(stack.requests('/v2/token').length, 1);
  });

  test('any number of concurrent callers of a token that must be refreshed share one request', async () => {
    const h = harness(stack);
    await h.ready;
    await h.service.signIn(devWallet);
    const [session] = h.stored();
    // Down to one second of validity: under the 2 s minimum, so every caller needs a refresh.
    await h.store.putSession({ ...session!, accessExpMs: Date.now() + 1000 });
    const tokens = await Promise.all(Array.from({ length: 50 }, () => h.service.getToken()));
    assert.equal(stack.requests('/v2/refresh_token').length, 1);
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
    assert.ok(tokens[0]!.expiresAt > Date.now() + 10_000);
  });

  test('a worker start refreshes at once a session whose refresh was cut off', async () => {
    const h = harness(stack);
    await h.ready;
    await h.service.signIn(devWallet);
    const [session] = h.stored();
    await h.store.putSession({ ...session!, refreshStartedAtMs: Date.now() - 5000 });
    const restarted = createSessionService({
      store: h.store,
      clock: { now: () => Date.now(), random: () => 0.5 },
      fetch,
      alarms: { schedule: async () => undefined, clear: async () => undefined, names: async () => [] },
      onChange: () => undefined,
      onExpired: () => undefined,
    });
    await restarted.reconcile();
    // Started by the reconcile, not awaited by it: wait for its outcome to be stored.
    for (let i = 0; i < 100 && h.stored()[0]!.refreshStartedAtMs !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(stack.requests('/v2/refresh_token').length, 1);
    const [after] = h.stored();
    assert.equal(after!.refreshStartedAtMs, undefined);
    assert.notEqual(after!.refreshToken, session!.refreshToken);
  });

  test('signing out while a refresh is in flight does not bring the session back', async () => {
    const h = harness(stack);
    await h.ready;
    await h.service.signIn(devWallet);
    stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'delay', delayMs: 300 });
    const refreshing = h.service.refreshNow().catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await h.service.signOut('active');
    await refreshing;
    assert.deepEqual(h.stored(), []);
    assert.equal(await h.service.sessionInfo(), null);
    assert.deepEqual([...h.alarms.keys()], []);
  });

  test('a transient failure schedules the retry alarm and keeps the pair; a refusal expires once', async () => {
    const h = harness(stack);
    await h.ready;
    await h.service.signIn(devWallet);
    const [session] = h.stored();
    stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 503 });
    await assert.rejects(h.service.refreshNow(), /503/);
    const [retrying] = h.stored();
    assert.equal(retrying!.failures, 1);
    assert.equal(retrying!.refreshToken, session!.refreshToken);
    // random 0.5: 75% of the 1 s base.
    assert.equal(h.alarms.get(refreshAlarmName(keyOf(session!))), retrying!.retryAtMs! - retrying!.skewMs);
    assert.ok(retrying!.retryAtMs! - Date.now() <= 750);

    stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 401 });
    await assert.rejects(h.service.refreshNow(), /401/);
    const [expired] = h.stored();
    assert.equal(expired!.state, 'expired');
    assert.equal(h.expired.length, 1);
    assert.equal(h.alarms.size, 0);
    await assert.rejects(h.service.getToken(), (error: { code?: number }) => error.code === 4900);
  });

  test('a wallet signing with another key is refused before any request', async () => {
    const h = harness(stack);
    await h.ready;
    const impostor: WalletPort = { ...devWallet, sign: async (_a, message) => signPersonalMessage(message, DEV_KEYS[1].privateKey) };
    await assert.rejects(h.service.signIn(impostor), new RegExp(`signed with ${DEV_KEYS[1].address}`));
    assert.equal(h.fetches(), 1); // the clock probe only
    assert.equal(stack.requests('/v2/token').length, 0);
    assert.deepEqual(h.stored(), []);
  });
  test('a snapshot taken across the end of a sign-in never reads as signed out', async () => {
    const h = harness(stack);
    await h.ready;
    let sign!: () => void;
    const signed = new Promise<void>((resolve) => (sign = resolve));
    const slowWallet: WalletPort = { ...devWallet, sign: async (address, message) => (await signed, devWallet.sign(address, message)) };
    // Hold the snapshot between its read of the active session and the rest of its reads.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const listSessions = h.store.listSessions;
    let holding = false;
    h.store.listSessions = async () => {
      if (holding) await held;
      return listSessions();
    };

    const signingIn = h.service.signIn(slowWallet);
    holding = true;
    const snapshot = h.service.snapshot();
    sign();
    await signingIn;
    release();
    const seen = await snapshot;
    assert.ok(seen.signingIn || seen.session !== null, `torn snapshot: ${JSON.stringify(seen)}`);
    holding = false;
    const now = await h.service.snapshot();
    assert.equal(now.signingIn, false);
    assert.equal(now.session?.address, key.address);
  });
});
