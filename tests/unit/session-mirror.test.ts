/**
 * The copy of what token requests read, kept in storage.session (session-mirror.ts): a new worker
 * answers from it without reading IndexedDB, and it is never behind IndexedDB: gone before a write
 * of a record it holds starts, back only once no such write is running, never made from a write
 * that failed, never read when this build did not write it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MIRROR_FORMAT, type MirrorPort, readMirrorRecord, withSessionMirror } from '../../src/background/storage/session-mirror.ts';
import { EMPTY_CONSENT, type Store } from '../../src/background/storage/store.ts';
import { parseTokenReply } from '../../src/core/api/tako-client.ts';
import type { AllowedOrigin } from '../../src/core/consent/records.ts';
import { endpointKey, PRESET_ENDPOINTS } from '../../src/core/session/endpoints.ts';
import { keyOf, type Session, sessionFromGrant } from '../../src/core/session/session.ts';
import { withHeldCalls } from '../support/held-store.ts';
import { memoryStore } from '../support/memory-store.ts';
import { vectors } from '../support/vectors.ts';

const ENDPOINT = PRESET_ENDPOINTS['tako-v2'];
const DAPP: AllowedOrigin = { origin: 'https://dapp.example', allowedAt: 1, metahuman: false };

function session(obtainedAtMs = 0): Session {
  const { getToken } = vectors.tokens;
  const body = JSON.stringify({
    status: 'success',
    data: { token_type: 'Bearer', token: getToken.token, refresh_token: getToken.refresh_token, expires_in: 3600 },
  });
  return sessionFromGrant(parseTokenReply(200, body, {}, obtainedAtMs), ENDPOINT, getToken.token_claims.address, obtainedAtMs);
}

/** storage.session's one key, as the extension's port uses it: values kept as copies. */
function sessionStorage() {
  let value: unknown;
  const calls: string[] = [];
  const port: MirrorPort = {
    get: async () => structuredClone(value),
    set: async (record) => {
      calls.push('set');
      value = structuredClone(record);
    },
    remove: async () => {
      calls.push('remove');
      value = undefined;
    },
  };
  return {
    port,
    calls,
    get value() {
      return value;
    },
    set value(next: unknown) {
      value = next;
    },
  };
}

/** IndexedDB as a signed-in worker left it: settings, the active session, one allowed site. */
async function signedInStorage() {
  const memory = memoryStore();
  const s = session();
  await memory.store.saveSettings({ v: 1, endpoint: ENDPOINT });
  await memory.store.putSession(s);
  await memory.store.setActive({ [endpointKey(ENDPOINT)]: keyOf(s) });
  await memory.store.setAllowedOrigins([DAPP]);
  return { memory, session: s };
}

const readAll = (store: Store) =>
  Promise.all([store.getSettings(), store.getActive(), store.getAllowedOrigins(), store.listSessions(), store.getConsent()]);

/** Lets every queued storage.session call run (they are promise chains, no timers). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** Waits, a turn of the event loop at a time, until the copy is back (reads from the memory store unseal). */
async function copyBack(copy: { value: unknown }) {
  while (!readMirrorRecord(copy.value)) await settled();
  return readMirrorRecord(copy.value)!;
}

const noReads = { settings: 0, sessions: 0, active: 0, origins: 0, consent: 0 };

describe('the session copy in storage.session', () => {
  test('a worker that read IndexedDB leaves a copy; the next worker answers from it alone', async () => {
    const { memory, session: s } = await signedInStorage();
    const copy = sessionStorage();
    const first = await readAll(withSessionMirror(memory.store, copy.port));
    await copyBack(copy);

    Object.assign(memory.reads, noReads);
    const next = withSessionMirror(memory.store, copy.port);
    assert.deepEqual(await readAll(next), first);
    assert.deepEqual(await next.getSession(keyOf(s)), s);
    assert.deepEqual(memory.reads, noReads, 'nothing read from IndexedDB');
  });

  test('a worker that never needs every record still leaves a whole copy', async () => {
    const { memory } = await signedInStorage();
    const copy = sessionStorage();
    await withSessionMirror(memory.store, copy.port).getSettings();
    assert.deepEqual((await copyBack(copy)).origins, [DAPP]);
  });

  test('the copy is gone before a write reaches IndexedDB; a worker stopped then reads IndexedDB', async () => {
    const { memory, session: s } = await signedInStorage();
    const copy = sessionStorage();
    const held = withHeldCalls(memory.store);
    const worker = withSessionMirror(held.store, copy.port);
    await readAll(worker);
    await copyBack(copy);

    const refreshed = { ...session(60_000), accessToken: 'the new pair' };
    const write = held.hold('putSession');
    const writing = worker.putSession(refreshed);
    await write.reached;
    assert.equal(copy.value, undefined, 'removed before the write started');

    // The worker stops with the write under way: the next one reads what IndexedDB holds.
    Object.assign(memory.reads, noReads);
    const next = withSessionMirror(memory.store, sessionStorage().port);
    assert.equal((await next.getSession(keyOf(s)))?.accessToken, s.accessToken);
    write.release();
    await writing;
    assert.equal((await copyBack(copy)).sessions[0]?.accessToken, 'the new pair', 'back once committed');
  });

  // Guards the moment between the API's answer and the stored pair: no removal of the copy may
  // come before that write, so no copy is kept while a refresh is out.
  test('no copy is kept while a refresh is out, so the new pair is written with nothing before it', async () => {
    const { memory, session: s } = await signedInStorage();
    const copy = sessionStorage();
    const worker = withSessionMirror(memory.store, copy.port);
    await readAll(worker);
    await copyBack(copy);

    await worker.putSession({ ...s, refreshStartedAtMs: 1 });
    await settled();
    assert.equal(copy.value, undefined, 'no copy while the refresh is out');
    copy.calls.length = 0;
    await worker.putSession({ ...session(60_000), accessToken: 'the new pair' });
    assert.equal((await copyBack(copy)).sessions[0]?.accessToken, 'the new pair');
    assert.deepEqual(copy.calls, ['set'], 'no removal before the pair is written, its copy after');
  });

  test('with two writes running, the copy comes back only after both, holding both', async () => {
    const { memory, session: s } = await signedInStorage();
    const copy = sessionStorage();
    const held = withHeldCalls(memory.store);
    const worker = withSessionMirror(held.store, copy.port);
    await readAll(worker);
    await copyBack(copy);

    const activeWrite = held.hold('setActive');
    const sitesWrite = held.hold('setAllowedOrigins');
    const writingActive = worker.setActive({});
    const writingSites = worker.setAllowedOrigins([]);
    await Promise.all([activeWrite.reached, sitesWrite.reached]);
    sitesWrite.release();
    await writingSites;
    await settled();
    assert.equal(copy.value, undefined, 'not while the other write runs');
    activeWrite.release();
    await writingActive;
    const record = await copyBack(copy);
    assert.deepEqual([record?.active, record?.origins], [{}, []]);
    assert.equal(record?.sessions[0]?.accessToken, s.accessToken);
  });

  test('a write that failed makes no copy of what it tried, and the record is read again', async () => {
    const { memory } = await signedInStorage();
    const copy = sessionStorage();
    const failing: Store = {
      ...memory.store,
      setAllowedOrigins: async () => {
        throw new Error('IndexedDB is full');
      },
    };
    const worker = withSessionMirror(failing, copy.port);
    await readAll(worker);
    await copyBack(copy);
    await assert.rejects(worker.setAllowedOrigins([]), /IndexedDB is full/);
    await settled();
    assert.equal(copy.value, undefined);
    memory.reads.origins = 0;
    assert.deepEqual(await worker.getAllowedOrigins(), [DAPP]);
    assert.equal(memory.reads.origins, 1, 'read from IndexedDB, not from memory');
    assert.deepEqual((await copyBack(copy)).origins, [DAPP]);
  });

  test('a copy this build did not write is not read', async () => {
    const { memory, session: s } = await signedInStorage();
    for (const foreign of [
      { format: MIRROR_FORMAT + 1 },
      'session',
      {
        format: MIRROR_FORMAT,
        settings: { v: 1, endpoint: ENDPOINT },
        active: {},
        origins: [],
        sessions: [{ ...s, accessToken: 7 }],
        consent: EMPTY_CONSENT,
      },
      {
        format: MIRROR_FORMAT,
        settings: { v: 1, endpoint: ENDPOINT },
        active: { x: 1 },
        origins: [],
        sessions: [],
        consent: EMPTY_CONSENT,
      },
      { format: MIRROR_FORMAT, settings: { v: 2 }, active: {}, origins: [], sessions: [], consent: EMPTY_CONSENT },
      { format: MIRROR_FORMAT, settings: { v: 1, endpoint: ENDPOINT }, active: {}, origins: [], sessions: [], consent: { v: 1 } },
    ]) {
      assert.equal(readMirrorRecord(foreign), undefined, JSON.stringify(foreign));
      const copy = sessionStorage();
      copy.value = foreign;
      Object.assign(memory.reads, noReads);
      const worker = withSessionMirror(memory.store, copy.port);
      assert.deepEqual(await worker.listSessions(), [s]);
      assert.equal(memory.reads.sessions, 1);
      await copyBack(copy);
    }
  });

  test('after a sign-out the copy holds no token', async () => {
    const { memory, session: s } = await signedInStorage();
    const copy = sessionStorage();
    const worker = withSessionMirror(memory.store, copy.port);
    await readAll(worker);
    await copyBack(copy);
    assert.match(JSON.stringify(copy.value), new RegExp(s.accessToken.slice(0, 40)));
    await worker.deleteSessions([keyOf(s)]);
    await worker.setActive({});
    await copyBack(copy);
    assert.doesNotMatch(JSON.stringify(copy.value), new RegExp(s.accessToken.slice(0, 40)));
    assert.doesNotMatch(JSON.stringify(copy.value), new RegExp(s.refreshToken.slice(0, 40)));
  });
});
