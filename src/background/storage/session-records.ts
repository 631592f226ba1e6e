/**
 * How a session is written to IndexedDB, by format version. The in-memory Session holds its
 * tokens in clear; the stored record holds them sealed by the vault, so nothing secret is readable
 * in the database.
 *
 * Format 1 (first builds): the Session object as is, both tokens in clear.
 * Format 2: `{ format: 2, session: <Session without refreshToken>, refreshToken: SealedSecret }`
 *           (the access token still in clear).
 * Format 3: `{ format: 3, session: <Session without either token>, tokens: SealedSecret }`, the
 *           sealed JSON of `{ accessToken, refreshToken }`. Older records are read, then written
 *           back in this format.
 *
 * Within a format, the session facts grew: records stored before the server clock was bounded
 * (`clock`) carry a single `skewMs` instead, taken as a loose bound until the next reply.
 */
import { clockFromLegacySkew, isServerClock } from '../../core/session/server-clock.ts';
import { keyOf, SESSION_RECORD_VERSION, type Session } from '../../core/session/session.ts';
import { isSealedSecret, type SealedSecret, type SecretVault } from './secret-vault.ts';

type SessionFacts = Omit<Session, 'accessToken' | 'refreshToken'>;
type SessionTokens = Pick<Session, 'accessToken' | 'refreshToken'>;

export interface SessionRecordV3 {
  format: 3;
  session: SessionFacts;
  tokens: SealedSecret;
}

interface SessionRecordV2 {
  format: 2;
  session: Omit<Session, 'refreshToken'>;
  refreshToken: SealedSecret;
}

export type OpenedRecord =
  /** Readable; `migrated` when it was in an older format and should be written back. */
  | { kind: 'session'; session: Session; migrated: boolean }
  /** A record we recognise but cannot open (its key is gone): an honest expired session. */
  | { kind: 'unreadable'; session: Session }
  | { kind: 'foreign' };

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Facts stored with a `skewMs` rather than a `clock` get a clock from it; `legacy` when they did. */
function withServerClock<T extends Omit<SessionFacts, 'clock'>>(
  facts: T & { clock?: unknown; skewMs?: unknown },
): { facts: T & Pick<Session, 'clock'>; legacy: boolean } {
  const { skewMs, clock, ...rest } = facts;
  if (isServerClock(clock)) return { facts: { ...(rest as T), clock }, legacy: false };
  const skew = typeof skewMs === 'number' && Number.isFinite(skewMs) ? skewMs : 0;
  return { facts: { ...(rest as T), clock: clockFromLegacySkew(skew, facts.obtainedAtMs) }, legacy: true };
}

function isV1(value: unknown): value is Session {
  return (
    isObject(value) &&
    value.v === SESSION_RECORD_VERSION &&
    typeof value.accessToken === 'string' &&
    typeof value.refreshToken === 'string' &&
    typeof value.address === 'string'
  );
}

/** A record of the given format whose session names its account; the format's own fields are checked by the caller. */
function isFormat(value: unknown, format: 2 | 3): value is Record<string, unknown> & { session: Record<string, unknown> } {
  return isObject(value) && value.format === format && isObject(value.session) && typeof value.session.address === 'string';
}

function isV2(value: unknown): value is SessionRecordV2 {
  return isFormat(value, 2) && typeof value.session.accessToken === 'string' && isSealedSecret(value.refreshToken);
}

function isV3(value: unknown): value is SessionRecordV3 {
  return isFormat(value, 3) && isSealedSecret(value.tokens);
}

function isTokens(value: unknown): value is SessionTokens {
  return isObject(value) && typeof value.accessToken === 'string' && typeof value.refreshToken === 'string';
}

export async function sealSession(session: Session, vault: SecretVault): Promise<SessionRecordV3> {
  const { accessToken, refreshToken, ...facts } = session;
  const tokens: SessionTokens = { accessToken, refreshToken };
  return { format: 3, session: facts, tokens: await vault.seal(JSON.stringify(tokens), keyOf(session)) };
}

/** What is left of a record whose secrets cannot be opened: an expired session, asking to sign in again. */
function unreadable(facts: SessionFacts): OpenedRecord {
  return {
    kind: 'unreadable',
    session: {
      ...facts,
      accessToken: '',
      refreshToken: '',
      state: 'expired',
      retryAtMs: null,
      lastError: 'The stored session could not be decrypted: sign in again',
    },
  };
}

export async function openSessionRecord(value: unknown, vault: SecretVault): Promise<OpenedRecord> {
  if (isV1(value)) {
    return { kind: 'session', session: withServerClock(value).facts, migrated: true };
  }
  if (isV2(value)) {
    const { accessToken, ...stored } = value.session;
    const { facts } = withServerClock(stored);
    try {
      const refreshToken = await vault.open(value.refreshToken, keyOf(facts));
      return { kind: 'session', session: { ...facts, accessToken, refreshToken }, migrated: true };
    } catch {
      return unreadable(facts);
    }
  }
  if (!isV3(value)) return { kind: 'foreign' };
  const { facts, legacy } = withServerClock(value.session);
  let tokens: unknown;
  try {
    tokens = JSON.parse(await vault.open(value.tokens, keyOf(facts)));
  } catch {
    return unreadable(facts);
  }
  if (!isTokens(tokens)) return unreadable(facts);
  return { kind: 'session', session: { ...facts, ...tokens }, migrated: legacy };
}
