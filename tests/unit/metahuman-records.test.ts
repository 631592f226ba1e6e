/** The MetaHuman SDK token at rest: sealed by the vault, bound to its record, migrated from clear. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openMetahumanRecord, sealMetahumanRecord } from '../../src/background/storage/metahuman-records.ts';
import { createSecretVault } from '../../src/background/storage/secret-vault.ts';
import type { MetahumanTokenRecord } from '../../src/core/consent/records.ts';

const TOKEN = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const RECORD: MetahumanTokenRecord = {
  v: 1,
  token: TOKEN,
  obtainedAt: 1,
  baseUrl: 'https://api.metahumansdk.io',
  name: 'Ada',
  mail: 'ada@example.com',
};

function vault() {
  let key: CryptoKey | undefined;
  return createSecretVault({
    get: async () => key,
    set: async (newKey) => {
      key = newKey;
    },
  });
}

const bytesOf = (value: unknown) =>
  JSON.stringify(value, (_, v) =>
    v instanceof ArrayBuffer ? Buffer.from(v).toString('latin1') : ArrayBuffer.isView(v) ? Buffer.from(v.buffer).toString('latin1') : v,
  );

describe('MetaHuman token at rest', () => {
  // Guards: the never-expiring token is not readable in the stored record, not even a part of it.
  test('the stored record holds no part of the token and opens back to the same record', async () => {
    const v = vault();
    const sealed = await sealMetahumanRecord(RECORD, v);
    const bytes = bytesOf(sealed);
    for (const part of TOKEN.split('-')) assert.ok(!bytes.includes(part), `a token part is readable: ${part}`);
    assert.deepEqual(await openMetahumanRecord(sealed, v), { kind: 'token', record: RECORD, migrated: false });
  });

  // Guards: a record stored in clear by an older build is read, and flagged to be written back sealed.
  test('a record stored in clear is read and marked for migration', async () => {
    assert.deepEqual(await openMetahumanRecord(RECORD, vault()), { kind: 'token', record: RECORD, migrated: true });
  });

  // Guards: without the key (another profile's vault), the sealed token does not open.
  test('another key opens nothing', async () => {
    const sealed = await sealMetahumanRecord(RECORD, vault());
    assert.deepEqual(await openMetahumanRecord(sealed, vault()), { kind: 'none' });
    assert.deepEqual(await openMetahumanRecord({ v: 7 }, vault()), { kind: 'none' });
  });
});
