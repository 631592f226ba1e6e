/**
 * Lifecycle decisions as pure functions of (session, now). The background feeds them its clock
 * and acts on the answers; nothing here does I/O.
 */
import type { TakoError } from '../contract/errors.ts';
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
 * While refreshes are failing, the current token is still handed out while at least this much of
 * it is left: half the hand-out minimum (1 s of a 20 s token, 15 s of a 3600 s one). The margin is
 * what lets a token decided on now still be alive when it reaches the page, even when the worker,
 * the content script or the page is slow to pass it on.
 */
export function failingHandOutMs(lifetimeMs: number): number {
  return minValidityMs(lifetimeMs) / 2;
}

/**
 * Whether the current access token may be handed out now. Healthy: only with the hand-out minimum
 * left, otherwise refresh first. While refreshes are failing (a retry is pending): only with half
 * that minimum left, then none ("failing"), so that no page receives a token already expired.
 */
export function decideTokenRequest(session: Session, nowMs: number): TokenDecision {
  if (session.state === 'expired') return { kind: 'unavailable', reason: 'expired' };
  const remaining = session.accessExpMs - nowMs;
  if (remaining >= minValidityMs(session.lifetimeMs)) return { kind: 'serve' };
  if (!isRefreshTokenAlive(session, nowMs)) return { kind: 'unavailable', reason: 'expired' };
  const backingOff = session.retryAtMs !== null && nowMs < session.retryAtMs;
  if (!backingOff) return { kind: 'refresh' };
  return remaining >= failingHandOutMs(session.lifetimeMs) ? { kind: 'serve' } : { kind: 'unavailable', reason: 'failing' };
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

/**
 * When to retry after transient failure number `failures` at `nowMs`: the backoff, except that a
 * retry the backoff would carry past the access token's `exp` is pulled in while the token is
 * still alive, first to the moment the token stops being handed out (`exp - failingHandOutMs`),
 * once that has passed to `exp` itself. Pages then wait out as little of the gap as the server
 * allows: never sooner than its Retry-After. At most two retries per token are pulled in, since
 * each pulled one lands on a later one of those two moments.
 */
export function retryAtMs(session: Session, failures: number, nowMs: number, random: number, retryAfterMs?: number): number {
  const backoffAt = nowMs + backoffDelayMs(failures, random, retryAfterMs);
  const exp = session.accessExpMs;
  if (backoffAt <= exp || nowMs >= exp) return backoffAt;
  const stopsBeingServed = exp - failingHandOutMs(session.lifetimeMs);
  const target = stopsBeingServed > nowMs ? stopsBeingServed : exp;
  return Math.max(target, nowMs + (retryAfterMs ?? 0));
}

/** The session after a refresh failed in a way retrying may fix. */
export function afterTransientFailure(session: Session, error: TakoError, nowMs: number, random: number): Session {
  const failures = session.failures + 1;
  const retryAt = retryAtMs(session, failures, nowMs, random, error.retryAfterMs);
  if (retryAt >= session.refreshExpMs) return expire(session, error.message);
  return { ...session, failures, retryAtMs: retryAt, lastError: error.message };
}

/** The session once it can no longer be refreshed: the person has to sign in again. */
export function expire(session: Session, reason: string): Session {
  return { ...session, state: 'expired', retryAtMs: null, lastError: reason };
}

/** A page's report of a refused token forces at most one refresh of a session in this long. */
export const FORCED_REFRESH_INTERVAL_MS = 10_000;

export type RejectedReportDecision =
  /** The reported token is no longer the session's: hand out the current one, no request. */
  | { kind: 'current' }
  /** A refresh is already out: wait for it, no second request. */
  | { kind: 'join' }
  /** Refresh now, and remember this token and this moment. */
  | { kind: 'force' }
  /** This token forced one already, or another did less than the interval ago: nothing is sent. */
  | { kind: 'refuse'; retryInMs: number };

/**
 * What a page's report that the API refused `reported` (a 401) makes the session do. A page
 * cannot make the extension work for it: a session refreshes on reports at most once per token
 * and at most once every FORCED_REFRESH_INTERVAL_MS, so the API's own rate limit (60 requests a
 * minute per IP) is never spent by the extension on a page's say-so.
 */
export function decideRejectedReport(
  session: Pick<Session, 'accessToken' | 'state'>,
  reported: string,
  facts: { refreshing: boolean; forcedForToken: boolean; lastForcedAtMs: number | undefined },
  nowMs: number,
): RejectedReportDecision {
  if (reported !== session.accessToken || session.state === 'expired') return { kind: 'current' };
  if (facts.refreshing) return { kind: 'join' };
  const sinceLast = facts.lastForcedAtMs === undefined ? Infinity : nowMs - facts.lastForcedAtMs;
  if (facts.forcedForToken || sinceLast < FORCED_REFRESH_INTERVAL_MS) {
    return { kind: 'refuse', retryInMs: Math.max(0, FORCED_REFRESH_INTERVAL_MS - sinceLast) };
  }
  return { kind: 'force' };
}
