/**
 * How a session is written to IndexedDB, by format version. The in-memory Session holds the
 * refresh token in clear; the stored record holds it sealed by the vault.
 *
 * Format 1 (first builds): the Session object as is, refresh token in clear.
 * Format 2: `{ format: 2, session: <Session without refreshToken>, refreshToken: SealedSecret }`.
 */
import { keyOf, SESSION_RECORD_VERSION, type Session } from '../core/session.ts';
import { isSealedSecret, type SealedSecret, type SecretVault } from './secret-vault.ts';

export interface SessionRecordV2 {
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

function isV1(value: unknown): value is Session {
  const record = value as Partial<Session> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    record.v === SESSION_RECORD_VERSION &&
    typeof record.accessToken === 'string' &&
    typeof record.refreshToken === 'string' &&
    typeof record.address === 'string'
  );
}

function isV2(value: unknown): value is SessionRecordV2 {
  const record = value as Partial<SessionRecordV2> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    record.format === 2 &&
    typeof record.session?.accessToken === 'string' &&
    typeof record.session.address === 'string' &&
    isSealedSecret(record.refreshToken)
  );
}

export async function sealSession(session: Session, vault: SecretVault): Promise<SessionRecordV2> {
  const { refreshToken, ...rest } = session;
  return { format: 2, session: rest, refreshToken: await vault.seal(refreshToken, keyOf(session)) };
}

export async function openSessionRecord(value: unknown, vault: SecretVault): Promise<OpenedRecord> {
  if (isV1(value)) {
    // Older records predate clock-skew tracking.
    return { kind: 'session', session: { ...value, skewMs: value.skewMs ?? 0 }, migrated: true };
  }
  if (!isV2(value)) return { kind: 'foreign' };
  try {
    const refreshToken = await vault.open(value.refreshToken, keyOf(value.session));
    return { kind: 'session', session: { ...value.session, refreshToken }, migrated: false };
  } catch {
    return {
      kind: 'unreadable',
      session: {
        ...value.session,
        refreshToken: '',
        state: 'expired',
        retryAtMs: null,
        lastError: 'The stored session could not be decrypted: sign in again',
      },
    };
  }
}
