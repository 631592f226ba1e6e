/**
 * The background's Store (store.ts) over a map standing in for IndexedDB: what reaches storage is
 * what IndexedDB would hold, so these tests read it directly. Each test names the guarantee it guards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageKeys } from '../../src/background/storage/storage-keys.ts';
import { parseTokenReply } from '../../src/core/api/tako-client.ts';
import type { MetahumanTokenRecord } from '../../src/core/consent/records.ts';
import { PRESET_ENDPOINTS } from '../../src/core/session/endpoints.ts';
import { keyOf, type Session, sessionFromGrant } from '../../src/core/session/session.ts';
import { memoryStore } from '../support/memory-store.ts';
import { vectors } from '../support/vectors.ts';

const { getToken } = vectors.tokens;
const METAHUMAN_TOKEN = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const METAHUMAN_RECORD: MetahumanTokenRecord = {
  v: 1,
  token: METAHUMAN_TOKEN,
  obtainedAt: 5,
  baseUrl: 'https://api.metahumansdk.io',
  name: 'Ada',
  mail: 'ada@example.com',
};

function session(): Session {
  const body = JSON.stringify({
    status: 'success',
    data: { token_type: 'Bearer', token: getToken.token, refresh_token: getToken.refresh_token, expires_in: 3600 },
  });
  return sessionFromGrant(parseTokenReply(200, body, {}, 0), PRESET_ENDPOINTS['tako-v2'], getToken.token_claims.address, 1_690_959_847_000);
}

/** A new worker's store on the same storage (IndexedDB outlives the worker; the key is in it). */
function nextWorker(data: Map<string, unknown>) {
  const next = memoryStore();
  for (const [key, value] of data) next.data.set(key, value);
  return next.store;
}

/** Everything in storage as text, binary values included (as IndexedDB's bytes would be searched). */
function storageText(data: Map<string, unknown>): string {
  return JSON.stringify([...data.entries()], (_, value) =>
    value instanceof ArrayBuffer
      ? Buffer.from(value).toString('latin1')
      : ArrayBuffer.isView(value)
        ? Buffer.from(value.buffer).toString('latin1')
        : value,
  );
}

/** No secret, nor any part of one (a JWT's payload or signature, a UUID's groups), is readable in storage. */
function assertNothingSecretIn(data: Map<string, unknown>): void {
  const text = storageText(data);
  const parts = [...[getToken.token, getToken.refresh_token].flatMap((token) => token.split('.').slice(1)), ...METAHUMAN_TOKEN.split('-')];
  for (const part of parts) assert.ok(!text.includes(part), `a secret is readable in storage: ${part.slice(0, 12)}…`);
}

describe('the store at rest', () => {
  // Guards: the access and refresh tokens are sealed before they reach storage, and a new worker
  // (a new store on the same storage) opens them again.
  test('a session is written sealed and reads back whole, in this worker and the next', async () => {
    const { store, data } = memoryStore();
    const s = session();
    await store.putSession(s);
    assert.ok(data.has(StorageKeys.sessionPrefix + keyOf(s)), 'the session was written');
    assertNothingSecretIn(data);
    assert.deepEqual(await store.getSession(keyOf(s)), s);
    assert.deepEqual(await nextWorker(data).listSessions(), [s]);
  });

  // Guards: the MetaHuman SDK token, which never expires and cannot be fetched again, is sealed too.
  test('the MetaHuman token is written sealed and reads back whole', async () => {
    const { store, data } = memoryStore();
    await store.putMetahumanToken(METAHUMAN_RECORD);
    assert.ok(data.has(StorageKeys.metahumanToken), 'the token was written');
    assertNothingSecretIn(data);
    assert.deepEqual(await nextWorker(data).getMetahumanToken(), METAHUMAN_RECORD);
  });

  // Guards: the key that seals them is a non-extractable CryptoKey kept beside the records: no
  // script can export it, so records read or exported as data reveal no secret (a copied profile,
  // which carries the key too, is not covered: docs/security.md "Sealing at rest").
  test('the vault key in storage is a non-extractable AES-GCM CryptoKey', async () => {
    const { store, data } = memoryStore();
    await store.putSession(session());
    const key = data.get(StorageKeys.vaultKey);
    assert.ok(key instanceof CryptoKey);
    assert.equal(key.extractable, false);
    assert.deepEqual(key.algorithm, { name: 'AES-GCM', length: 256 });
  });

  // Guards: records an older build stored in clear are sealed the first time they are read.
  test('a session and a MetaHuman token stored in clear are sealed when first read', async () => {
    const { store, data } = memoryStore();
    const s = session();
    data.set(StorageKeys.sessionPrefix + keyOf(s), structuredClone(s));
    data.set(StorageKeys.metahumanToken, structuredClone(METAHUMAN_RECORD));
    assert.deepEqual(await store.listSessions(), [s]);
    assert.deepEqual(await store.getMetahumanToken(), METAHUMAN_RECORD);
    assertNothingSecretIn(data);
    // And they still open, for a store that never saw them in clear.
    const next = nextWorker(data);
    assert.deepEqual(await next.getSession(keyOf(s)), s);
    assert.deepEqual(await next.getMetahumanToken(), METAHUMAN_RECORD);
  });
});
