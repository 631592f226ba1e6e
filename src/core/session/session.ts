import type { TokenGrant } from '../api/tako-client.ts';
import { TakoError } from '../contract/errors.ts';
import type { TakoSessionInfo, TakoSessionState, TakoToken } from '../contract/tako-session-api.ts';
import { type Address, sameAddress } from '../eth/address.ts';
import { type Endpoint, endpointKey } from './endpoints.ts';
import { earliestLocalTime, latestServerTime, type ServerClock, unmeasuredClock, withSample } from './server-clock.ts';

export const SESSION_RECORD_VERSION = 1;

/** What the background keeps for one (endpoint, address). Times are ms since the epoch. */
export interface Session {
  v: typeof SESSION_RECORD_VERSION;
  endpoint: Endpoint;
  address: Address;
  accessToken: string;
  /** The access token's JWT `exp` x 1000. */
  accessExpMs: number;
  refreshToken: string;
  refreshExpMs: number;
  /** The access token's lifetime as the server stated it (`expires_in`). */
  lifetimeMs: number;
  obtainedAtMs: number;
  /**
   * When the person signed in (kept across refreshes): a `max-age` lifetime counts from here.
   * Records stored before it existed count from their last refresh.
   */
  signedInAtMs?: number;
  state: 'signed-in' | 'expired';
  /** Consecutive transient refresh failures; 0 when healthy. */
  failures: number;
  /** When the next retry is due after a transient failure; null when on the normal schedule. */
  retryAtMs: number | null;
  /** Readable reason of the last failure, shown in the popup. */
  lastError: string | null;
  /** The server's clock as its replies bound it (server-clock.ts); lifecycle decisions run on it. */
  clock: ServerClock;
  /**
   * Set (and stored) just before a refresh request goes out, cleared with its outcome. Found set
   * when a worker starts, it means the worker died mid-refresh and the server may have rotated
   * the pair: refresh at once to find out, rather than trust a possibly spent refresh token.
   */
  refreshStartedAtMs?: number;
}

/** The state a page or the popup sees. */
export type SessionState = TakoSessionState;

/** The public view of a session, no tokens in it: what the page contract calls TakoSessionInfo. */
export type SessionInfo = TakoSessionInfo;

/** A token as a page receives it. */
export type TokenForPage = TakoToken;

export function sessionKey(endpoint: Endpoint, address: Address): string {
  return `${endpointKey(endpoint)} ${address}`;
}

export function keyOf(session: Pick<Session, 'endpoint' | 'address'>): string {
  return sessionKey(session.endpoint, session.address);
}

/**
 * A session from a fresh token pair received at local time `nowMs`, its server clock `clock` (what
 * earlier replies said of it) with this reply's bound added. The tokens must be for the account we
 * signed in (or refreshed) as: anything else is a broken reply and is refused rather than stored.
 * `signedInAtMs` is the sign-in a refresh continues; a sign-in starts at `nowMs`.
 */
export function sessionFromGrant(
  grant: TokenGrant,
  endpoint: Endpoint,
  address: Address,
  nowMs: number,
  clock?: ServerClock,
  signedInAtMs: number = nowMs,
): Session {
  if (!sameAddress(grant.access.address, address)) {
    throw new TakoError('malformed', `The Tako API issued a token for ${grant.access.address}, not for ${address}`);
  }
  return {
    v: SESSION_RECORD_VERSION,
    endpoint,
    address,
    accessToken: grant.token,
    accessExpMs: grant.access.exp * 1000,
    refreshToken: grant.refreshToken,
    refreshExpMs: grant.refresh.exp * 1000,
    lifetimeMs: grant.expiresInSec * 1000,
    obtainedAtMs: nowMs,
    signedInAtMs,
    state: 'signed-in',
    failures: 0,
    retryAtMs: null,
    lastError: null,
    clock: withSample(clock, grant.clock) ?? unmeasuredClock(nowMs),
  };
}

/** The latest the server's clock can read now: every expiry decision runs on it. */
export function serverNow(session: Pick<Session, 'clock'>, localNowMs: number): number {
  return latestServerTime(session.clock, localNowMs);
}

/** The earliest local moment the server's clock can reach `serverMs` (for alarms). */
export function toLocalTime(session: Pick<Session, 'clock'>, serverMs: number): number {
  return earliestLocalTime(session.clock, serverMs);
}

export function toSessionInfo(session: Session, refreshing: boolean): SessionInfo {
  return {
    address: session.address,
    state: session.state === 'expired' ? 'expired' : refreshing ? 'refreshing' : 'signed-in',
    expiresAt: session.accessExpMs,
    endpoint: session.endpoint.baseUrl,
  };
}

/** When the session was signed in, as lifetimes count it (older records: their last refresh). */
export function signedInAt(session: Pick<Session, 'signedInAtMs' | 'obtainedAtMs'>): number {
  return session.signedInAtMs ?? session.obtainedAtMs;
}
