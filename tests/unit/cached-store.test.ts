/**
 * The background's memory cache over its store: each record read from storage once, writes going
 * through, and neither a failed write nor a failed read left in the cache.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withMemoryCache } from '../../src/background/storage/cached-store.ts';
import { StorageKeys } from '../../src/background/storage/storage-keys.ts';
import type { Store } from '../../src/background/storage/store.ts';
import { parseTokenReply } from '../../src/core/api/tako-client.ts';
import { DEFAULT_ENDPOINT, PRESET_ENDPOINTS } from '../../src/core/session/endpoints.ts';
import { keyOf, type Session, sessionFromGrant } from '../../src/core/session/session.ts';
import { memoryStore } from '../support/memory-store.ts';
import { vectors } from '../support/vectors.ts';

function session(): Session {
  const { getToken } = vectors.tokens;
  const body = JSON.stringify({
    status: 'success',
    data: { token_type: 'Bearer', token: getToken.token, refresh_token: getToken.refresh_token, expires_in: 3600 },
  });
  return sessionFromGrant(parseTokenReply(200, body, {}, 0), PRESET_ENDPOINTS['tako-v2'], getToken.token_claims.address, 0);
}

describe('withMemoryCache', () => {
  test('reads storage once, then answers from memory', async () => {
    const { store, reads } = memoryStore();
    const cached = withMemoryCache(store);
    for (let i = 0; i < 5; i++) {
      await Promise.all([cached.getSettings(), cached.getActive(), cached.getAllowedOrigins(), cached.listSessions()]);
    }
    assert.deepEqual(reads, { settings: 1, sessions: 1, active: 1, origins: 1, consent: 0 });
  });

  test('writes go through to storage and are what later reads see', async () => {
    const { store, data } = memoryStore();
    const cached = withMemoryCache(store);
    const s = session();
    await cached.putSession(s);
    await cached.setActive({ x: keyOf(s) });
    await cached.setAllowedOrigins([{ origin: 'https://dapp.example', allowedAt: 1, metahuman: false }]);
    await cached.saveSettings({ v: 1, endpoint: PRESET_ENDPOINTS['tako-v1'] });
    assert.deepEqual(await cached.getSession(keyOf(s)), s);
    // Storage holds the session (sealed), as a store without the cache reads it back.
    assert.deepEqual(await store.getSession(keyOf(s)), s);
    assert.ok(data.has(StorageKeys.sessionPrefix + keyOf(s)));
    assert.deepEqual(await cached.getActive(), { x: keyOf(s) });
    assert.deepEqual(data.get(StorageKeys.active), { x: keyOf(s) });
    assert.equal((await cached.getSettings()).endpoint.version, 'v1');
    assert.equal((await cached.getAllowedOrigins())[0]!.origin, 'https://dapp.example');

    await cached.deleteSessions([keyOf(s)]);
    assert.equal(await cached.getSession(keyOf(s)), undefined);
    assert.equal(data.has(StorageKeys.sessionPrefix + keyOf(s)), false);
  });

  test('the MetaHuman token and settings go through the same store and cache', async () => {
    const { store, data } = memoryStore();
    const cached = withMemoryCache(store);
    assert.equal(await cached.getMetahumanToken(), undefined);
    const record = {
      v: 1,
      token: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
      obtainedAt: 5,
      baseUrl: 'http://127.0.0.1:8787',
      name: 'Ada',
      mail: 'ada@example.com',
    } as const;
    await cached.putMetahumanToken(record);
    await cached.saveMetahumanSettings({ v: 1, baseUrl: 'http://127.0.0.1:8787' });
    assert.deepEqual(await store.getMetahumanToken(), record);
    assert.deepEqual(data.get(StorageKeys.metahumanSettings), { v: 1, baseUrl: 'http://127.0.0.1:8787' });
    data.clear();
    // Served from memory: the background is the only writer.
    assert.deepEqual(await cached.getMetahumanToken(), record);
    assert.equal((await cached.getMetahumanSettings()).baseUrl, 'http://127.0.0.1:8787');
  });

  // Guards the copy the consent cache keeps: the approvals change the record they read in place
  // before they write it, and a change that is never written must not show in the next read.
  test('the consent record is read once and kept as written, never as changed in place', async () => {
    const { store, data } = memoryStore();
    const cached = withMemoryCache(store);
    const record = await cached.getConsent();
    record.cooldowns.push({ site: 'https://unwritten.example', tabIds: [], refusals: 1, until: 5, scope: 'session' });
    assert.deepEqual((await cached.getConsent()).cooldowns, []);
    const written = {
      v: 1 as const,
      pending: [],
      cooldowns: [{ site: 'https://a.example', tabIds: [7], refusals: 1, until: 9, scope: 'session' as const }],
    };
    await cached.setConsent(written);
    written.cooldowns[0]!.until = 99;
    data.clear();
    assert.deepEqual((await cached.getConsent()).cooldowns, [
      { site: 'https://a.example', tabIds: [7], refusals: 1, until: 9, scope: 'session' },
    ]);
  });

  test('a failed write changes neither storage nor the cache', async () => {
    const { store } = memoryStore();
    const s = session();
    const failing: Store = { ...store, putSession: () => Promise.reject(new Error('quota exceeded')) };
    const cached = withMemoryCache(failing);
    await assert.rejects(cached.putSession(s), /quota/);
    assert.deepEqual(await cached.listSessions(), []);
  });

  test('a failed load is retried on the next read, not cached', async () => {
    const { store, reads, failOnce } = memoryStore();
    const cached = withMemoryCache(store);
    failOnce();
    await assert.rejects(cached.getSettings(), /busy/);
    assert.equal((await cached.getSettings()).endpoint.baseUrl, DEFAULT_ENDPOINT.baseUrl);
    assert.equal(reads.settings, 2);
  });
});
