/**
 * Sessions at rest (background/storage/session-records.ts): tokens sealed under a non-extractable
 * key, each record bound to its session, older formats migrated, and an unreadable record an
 * honest expired session.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSecretVault, type KeyStore } from '../../src/background/storage/secret-vault.ts';
import { openSessionRecord, sealSession } from '../../src/background/storage/session-records.ts';
import { parseTokenReply } from '../../src/core/api/tako-client.ts';
import { PRESET_ENDPOINTS } from '../../src/core/session/endpoints.ts';
import { clockFromLegacySkew } from '../../src/core/session/server-clock.ts';
import { keyOf, type Session, sessionFromGrant } from '../../src/core/session/session.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { vectors } from '../support/vectors.ts';

const { getToken } = vectors.tokens;

function memoryKeys(): KeyStore & { key: CryptoKey | undefined; created: number } {
  const keys = {
    key: undefined as CryptoKey | undefined,
    created: 0,
    get: async () => keys.key,
    set: async (key: CryptoKey) => {
      keys.key = key;
      keys.created++;
    },
  };
  return keys;
}

function session(): Session {
  const body = JSON.stringify({
    status: 'success',
    data: { token_type: 'Bearer', token: getToken.token, refresh_token: getToken.refresh_token, expires_in: 3600 },
  });
  return sessionFromGrant(parseTokenReply(200, body, {}, 0), PRESET_ENDPOINTS['tako-v2'], getToken.token_claims.address, 1_690_959_847_000);
}

/** The record as the bytes IndexedDB would hold, for searching them. */
const recordBytes = (record: unknown) =>
  JSON.stringify(record, (_, value) => (value instanceof ArrayBuffer ? Buffer.from(value).toString('latin1') : value));

/** Guards: no token (access or refresh) is readable in a stored record; any part of one would do. */
function assertNoTokenIn(record: unknown): void {
  const bytes = recordBytes(record);
  for (const token of [getToken.token, getToken.refresh_token]) {
    for (const part of token.split('.').slice(1)) assert.ok(!bytes.includes(part), `a token part is readable: ${part.slice(0, 12)}…`);
  }
}

describe('tokens at rest', () => {
  test('the stored record holds neither token in clear and opens back to the same session', async () => {
    const keys = memoryKeys();
    const vault = createSecretVault(keys);
    const record = await sealSession(session(), vault);
    assertNoTokenIn(record);
    assert.equal(record.format, 3);
    assert.deepEqual(await openSessionRecord(record, vault), { kind: 'session', session: session(), migrated: false });
  });

  test('format 2 records (refresh token sealed, access token in clear) open and are written back sealed', async () => {
    const vault = createSecretVault(memoryKeys());
    const { refreshToken, ...rest } = session();
    const v2 = { format: 2, session: rest, refreshToken: await vault.seal(refreshToken, keyOf(rest)) };
    const opened = await openSessionRecord(v2, vault);
    assert.deepEqual(opened, { kind: 'session', session: session(), migrated: true });
    assertNoTokenIn(await sealSession(session(), vault));
  });

  // Guards: the sealing key is non-extractable (no script can turn it into bytes, so no export of
  // the records carries it), and one key seals everything, however many first uses race.
  test('the key is a non-extractable AES-GCM key, created once even under concurrent first use', async () => {
    const keys = memoryKeys();
    const vault = createSecretVault(keys);
    await Promise.all([sealSession(session(), vault), sealSession(session(), vault), sealSession(session(), vault)]);
    assert.equal(keys.created, 1);
    assert.equal(keys.key!.extractable, false);
    assert.deepEqual(keys.key!.algorithm, { name: 'AES-GCM', length: 256 });
    await assert.rejects(crypto.subtle.exportKey('raw', keys.key!));
  });

  test('a record sealed for one session does not open as another', async () => {
    const vault = createSecretVault(memoryKeys());
    const record = await sealSession(session(), vault);
    const moved = { ...record, session: { ...record.session, address: DEV_ADDRESS } };
    const opened = await openSessionRecord(moved, vault);
    assert.equal(opened.kind, 'unreadable');
  });

  test('without its key a record becomes an honest expired session, never a broken one', async () => {
    const record = await sealSession(session(), createSecretVault(memoryKeys()));
    const opened = await openSessionRecord(record, createSecretVault(memoryKeys()));
    assert.equal(opened.kind, 'unreadable');
    assert.equal(opened.kind === 'unreadable' && opened.session.state, 'expired');
    assert.match(opened.kind === 'unreadable' ? (opened.session.lastError ?? '') : '', /sign in again/);
  });

  test('format 1 records (refresh token in clear, no clock) migrate, with a loose bound on the server clock', async () => {
    const { clock: _, ...v1 } = session();
    const opened = await openSessionRecord(v1, createSecretVault(memoryKeys()));
    assert.deepEqual(opened, {
      kind: 'session',
      session: { ...session(), clock: clockFromLegacySkew(0, session().obtainedAtMs) },
      migrated: true,
    });
  });

  // Guards the migration of a sealed record stored with the single skew of older builds: it opens,
  // gets a clock from that skew (2 s either side of it) and is written back in the current shape.
  test('a format 3 record with a skewMs instead of a clock opens with a clock from it and is written back', async () => {
    const vault = createSecretVault(memoryKeys());
    const record = await sealSession(session(), vault);
    const { clock: _, ...facts } = record.session;
    const opened = await openSessionRecord({ ...record, session: { ...facts, skewMs: -3000 } }, vault);
    assert.equal(opened.kind, 'session');
    assert.equal(opened.kind === 'session' && opened.migrated, true);
    assert.deepEqual(opened.kind === 'session' && opened.session.clock, clockFromLegacySkew(-3000, session().obtainedAtMs));
    assert.equal(opened.kind === 'session' && 'skewMs' in opened.session, false);
    // A current record is not written back.
    assert.equal(((await openSessionRecord(record, vault)) as { migrated: boolean }).migrated, false);
  });

  test('a format 3 record whose sealed contents are not the two tokens is unreadable, not a broken session', async () => {
    const vault = createSecretVault(memoryKeys());
    const record = await sealSession(session(), vault);
    const tampered = { ...record, tokens: await vault.seal('{"accessToken":1}', keyOf(session())) };
    const opened = await openSessionRecord(tampered, vault);
    assert.equal(opened.kind, 'unreadable');
  });

  test('anything else is not a session', async () => {
    const vault = createSecretVault(memoryKeys());
    for (const value of [
      undefined,
      null,
      'x',
      { format: 2 },
      { format: 3, session: {} },
      { format: 4, session: {}, tokens: {} },
      { v: 1 },
    ]) {
      assert.deepEqual(await openSessionRecord(value, vault), { kind: 'foreign' });
    }
  });
});
