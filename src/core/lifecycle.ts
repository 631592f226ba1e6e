/**
 * Lifecycle decisions as pure functions of (session, now). The background feeds them its clock
 * and acts on the answers; nothing here does I/O.
 */
import type { TakoError } from './errors.ts';
import type { Session } from './session.ts';

const SECOND = 1000;
export const MAX_REFRESH_LEAD_MS = 300 * SECOND;
export const MAX_MIN_VALIDITY_MS = 30 * SECOND;
export const BACKOFF_BASE_MS = 1 * SECOND;
export const BACKOFF_MAX_MS = 60 * SECOND;

/** Refresh this long before the access token expires: min(300 s, 20% of its lifetime). */
export function refreshLeadMs(lifetimeMs: number): number {
  return Math.min(MAX_REFRESH_LEAD_MS, 0.2 * lifetimeMs);
}

/** A token handed out has at least this long left: min(30 s, 10% of its lifetime). */
export function minValidityMs(lifetimeMs: number): number {
  return Math.min(MAX_MIN_VALIDITY_MS, 0.1 * lifetimeMs);
}

/** When the next refresh attempt should run: a pending retry, or `exp - lead`. */
export function nextRefreshAt(session: Session): number {
  if (session.retryAtMs !== null) return session.retryAtMs;
  return session.accessExpMs - refreshLeadMs(session.lifetimeMs);
}

export function isRefreshTokenAlive(session: Session, nowMs: number): boolean {
  return nowMs < session.refreshExpMs;
}

export function isRefreshDue(session: Session, nowMs: number): boolean {
  return session.state === 'signed-in' && nowMs >= nextRefreshAt(session);
}

export type TokenDecision =
  /** Hand out the current token. */
  | { kind: 'serve' }
  /** Refresh first, then hand out the new token. */
  | { kind: 'refresh' }
  /** No token can be handed out. */
  | { kind: 'unavailable'; reason: 'expired' | 'failing' };

/**
 * Whether the current access token may be handed out now. While refreshes are failing the
 * current token is still served until it expires, never after.
 */
export function decideTokenRequest(session: Session, nowMs: number): TokenDecision {
  if (session.state === 'expired') return { kind: 'unavailable', reason: 'expired' };
  const remaining = session.accessExpMs - nowMs;
  if (remaining >= minValidityMs(session.lifetimeMs)) return { kind: 'serve' };
  if (!isRefreshTokenAlive(session, nowMs)) return { kind: 'unavailable', reason: 'expired' };
  const backingOff = session.retryAtMs !== null && nowMs < session.retryAtMs;
  if (!backingOff) return { kind: 'refresh' };
  return remaining > 0 ? { kind: 'serve' } : { kind: 'unavailable', reason: 'failing' };
}

/**
 * Delay before retry number `failures` (1-based): 1 s doubling to 60 s, with jitter in
 * [50%, 100%] of that so that many clients do not retry in step, and never sooner than the
 * server's Retry-After.
 */
export function backoffDelayMs(failures: number, random: number, retryAfterMs?: number): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(exponent, 16));
  const jittered = base * (0.5 + 0.5 * Math.min(1, Math.max(0, random)));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** The session after a refresh failed in a way retrying may fix. */
export function afterTransientFailure(session: Session, error: TakoError, nowMs: number, random: number): Session {
  const failures = session.failures + 1;
  const retryAtMs = nowMs + backoffDelayMs(failures, random, error.retryAfterMs);
  if (retryAtMs >= session.refreshExpMs) return expire(session, error.message);
  return { ...session, failures, retryAtMs, lastError: error.message };
}

/** The session once it can no longer be refreshed: the person has to sign in again. */
export function expire(session: Session, reason: string): Session {
  return { ...session, state: 'expired', retryAtMs: null, lastError: reason };
}
