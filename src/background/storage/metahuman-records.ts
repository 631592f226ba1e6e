/**
 * How the MetaHuman SDK token is written to IndexedDB. The token never expires and cannot be
 * fetched again, so it is sealed at rest by the same vault as the session tokens, bound to its own
 * storage key: a sealed token only opens as the MetaHuman record.
 *
 * Format 1 (first builds): the MetahumanTokenRecord as is, the token in clear.
 * Format 2: `{ v: 2, facts: <record without token>, token: SealedSecret }`. A format 1 record is
 *           read, then written back in format 2.
 */
import { isMetahumanToken } from '../../core/api/metahuman.ts';
import type { MetahumanTokenRecord } from '../../core/consent/records.ts';
import { isSealedSecret, type SealedSecret, type SecretVault } from './secret-vault.ts';
import { StorageKeys } from './storage-keys.ts';

type MetahumanFacts = Omit<MetahumanTokenRecord, 'v' | 'token'>;

export interface SealedMetahumanRecord {
  v: 2;
  facts: MetahumanFacts;
  token: SealedSecret;
}

/** What the sealed token is bound to. */
const CONTEXT = StorageKeys.metahumanToken;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function isPlainRecord(value: unknown): value is MetahumanTokenRecord {
  return isObject(value) && value.v === 1 && isMetahumanToken(value.token);
}

function isSealedRecord(value: unknown): value is SealedMetahumanRecord {
  return isObject(value) && value.v === 2 && isObject(value.facts) && isSealedSecret(value.token);
}

export async function sealMetahumanRecord(record: MetahumanTokenRecord, vault: SecretVault): Promise<SealedMetahumanRecord> {
  const { v: _v, token, ...facts } = record;
  return { v: 2, facts, token: await vault.seal(token, CONTEXT) };
}

export type OpenedMetahumanRecord =
  /** `migrated`: it was stored in clear and should be written back sealed. */
  | { kind: 'token'; record: MetahumanTokenRecord; migrated: boolean }
  /** Nothing stored, something unknown, or a sealed token whose key is gone. */
  | { kind: 'none' };

export async function openMetahumanRecord(value: unknown, vault: SecretVault): Promise<OpenedMetahumanRecord> {
  if (isPlainRecord(value)) return { kind: 'token', record: value, migrated: true };
  if (!isSealedRecord(value)) return { kind: 'none' };
  try {
    const token = await vault.open(value.token, CONTEXT);
    if (!isMetahumanToken(token)) return { kind: 'none' };
    return { kind: 'token', record: { v: 1, ...value.facts, token }, migrated: false };
  } catch {
    return { kind: 'none' };
  }
}
