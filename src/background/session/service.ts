/**
 * The session lifecycle, wired to its dependencies (store, clock, HTTP, alarms, the page's
 * wallet: `../ports/session-ports.ts`). It is composed of three named parts, each in its own file:
 *   - sign-in (`sign-in.ts`): the wallet steps and storing the first pair;
 *   - accounts (`accounts.ts`): the active account, switching, following the wallet, sign-out;
 *   - refresh scheduling (`refresh.ts`): single-flight refresh, alarms, the start-up reconcile.
 * This file hands tokens out (the decision comes from the pure core) and shows the state.
 */

import type { TakoClientDeps } from '../../core/api/tako-client.ts';
import { noSession, TakoError } from '../../core/contract/errors.ts';
import { createInFlight } from '../../core/session/in-flight.ts';
import { decideRejectedReport, decideTokenRequest } from '../../core/session/lifecycle.ts';
import { createSerial } from '../../core/session/serial.ts';
import { keyOf, type Session, type SessionInfo, serverNow, type TokenForPage, toSessionInfo } from '../../core/session/session.ts';
import type { SessionServiceDeps, WalletPort } from '../ports/session-ports.ts';
import { createAccounts } from './accounts.ts';
import { createLifetimes, LIFETIME_ALARM } from './lifetimes.ts';
import { createRefreshScheduler } from './refresh.ts';
import { createSignIn } from './sign-in.ts';

export type { TokenForPage };

export function createSessionService(deps: SessionServiceDeps) {
  const { clock } = deps;
  const client: TakoClientDeps = { fetch: (input, init) => deps.fetch(input, init), now: () => clock.now() };
  /** One writer per record: each session's record and alarm, and the active pointers. */
  const writes = createSerial();
  /** Refreshes and sign-ins running: an extension update is applied only when there are none. */
  const work = createInFlight();
  const refresher = createRefreshScheduler(deps, client, writes, work);
  const accounts = createAccounts(deps, writes);
  const lifetimes = createLifetimes(deps, accounts);
  const signer = createSignIn(
    deps,
    client,
    {
      activate: async (session) => {
        await accounts.activateSignedIn(session);
        await lifetimes.onSignedIn(session);
      },
      schedule: refresher.schedule,
    },
    writes,
    work,
  );

  /**
   * The active session, unless its lifetime is over: a `max-age` deadline the lifetime alarm has
   * not reached yet (alarms may fire late) ends it here, before anything is handed out.
   */
  async function liveSession(account?: string): Promise<Session | undefined> {
    const session = await accounts.sessionOf(account);
    if (!session || !(await lifetimes.isPastDeadline(session))) return session;
    await lifetimes.enforce();
    return accounts.sessionOf(account);
  }

  /**
   * Why nobody is signed in on the current endpoint (or the account a site is bound to is not): its
   * lifetime ended the session, or a sign-out.
   */
  async function nobodySignedIn(account?: string): Promise<TakoError> {
    const { endpointId, sessions } = await accounts.currentEndpointSessions();
    if (account !== undefined && sessions.length > 0) {
      return noSession('signed-out', `The account this site uses (${account}) is not signed in`);
    }
    const ending = await lifetimes.endingFor(endpointId);
    return ending
      ? noSession('timed-out', `Signed out: the session lifetime chosen in the settings ended (${ending.rule})`)
      : noSession('signed-out', 'Nobody is signed in');
  }

  function info(session: Session): SessionInfo {
    return toSessionInfo(session, refresher.isRefreshing(keyOf(session)));
  }

  /**
   * Access tokens that a page reported refused and that a refresh was forced for: one forced
   * refresh per token, however many tabs or calls report it. Only the newest few are kept: an
   * older token is no longer current, so reporting it forces nothing anyway.
   */
  const forcedFor = new Set<string>();
  const FORCED_KEPT = 16;
  /** When a report last forced a refresh, per session: at most one every FORCED_REFRESH_INTERVAL_MS. */
  const lastForcedAt = new Map<string, number>();

  /**
   * The API refused the current token before its exp (revoked, a server restart): refresh once and
   * return the session with the new pair. Callers reporting the same token join that one refresh;
   * a token already replaced forces nothing; and no page makes a session refresh more than once
   * per token or once every 10 s (decideRejectedReport).
   */
  async function replaceRejected(session: Session, rejectedToken: string): Promise<Session> {
    const key = keyOf(session);
    const facts = {
      refreshing: refresher.isRefreshing(key),
      forcedForToken: forcedFor.has(rejectedToken),
      lastForcedAtMs: lastForcedAt.get(key),
    };
    const decision = decideRejectedReport(session, rejectedToken, facts, clock.now());
    if (decision.kind === 'current') return session;
    if (decision.kind === 'refuse') {
      throw noSession(
        'refresh-failing',
        facts.forcedForToken
          ? `The API refused the token and refreshing it failed: ${session.lastError ?? 'unknown error'}`
          : `The API refused the token; it was refreshed moments ago and can be again in ${Math.ceil(decision.retryInMs / 1000)} s`,
      );
    }
    if (decision.kind === 'force') {
      forcedFor.add(rejectedToken);
      // A Set iterates in insertion order: the first value is the oldest.
      if (forcedFor.size > FORCED_KEPT) forcedFor.delete(forcedFor.values().next().value!);
      lastForcedAt.set(key, clock.now());
    }
    const refreshed = await refresher.refresh(key);
    if (!refreshed) throw noSession('signed-out', 'Nobody is signed in');
    if (refreshed.state === 'expired') throw noSession('expired', refreshed.lastError ?? 'The session expired: sign in again');
    if (refreshed.accessToken === rejectedToken) {
      throw noSession('refresh-failing', `The API refused the token and refreshing it failed: ${refreshed.lastError ?? 'unknown error'}`);
    }
    return refreshed;
  }

  /**
   * A token for a page (or the popup): refreshed first when it is too close to expiry, or when
   * the page reports it as `rejectedToken` (the API answered 401). A 4900 says why there is none
   * in `data.reason`: nobody is signed in, the session expired, or refreshing it is failing.
   */
  async function getToken({ rejectedToken, account }: { rejectedToken?: string; account?: string } = {}): Promise<TokenForPage> {
    let session = await liveSession(account);
    if (!session) throw await nobodySignedIn(account);
    if (rejectedToken !== undefined) session = await replaceRejected(session, rejectedToken);
    let decision = decideTokenRequest(session, serverNow(session, clock.now()));
    if (decision.kind === 'refresh') {
      const refreshed = await refresher.refresh(keyOf(session));
      // Signed out while the refresh was out.
      if (!refreshed) throw noSession('signed-out', 'Nobody is signed in');
      session = refreshed;
      decision = decideTokenRequest(session, serverNow(session, clock.now()));
    }
    if (decision.kind === 'serve') {
      return { token: session.accessToken, tokenType: 'Bearer', expiresAt: session.accessExpMs, address: session.address };
    }
    if (decision.kind === 'unavailable' && decision.reason === 'expired') {
      throw noSession('expired', 'The session expired: sign in again');
    }
    throw noSession(
      'refresh-failing',
      `The token is about to expire and refreshing it is failing: ${session.lastError ?? 'unknown error'}`,
    );
  }

  /**
   * A 401 for the session's current token, reported without it (header-only access: the page never
   * had it): the same decision as a `rejectedToken` naming that token, so the same limits hold.
   */
  async function reportRejected(account?: string): Promise<void> {
    const session = await liveSession(account);
    if (!session) throw await nobodySignedIn(account);
    if (session.state === 'expired') throw noSession('expired', session.lastError ?? 'The session expired: sign in again');
    await replaceRejected(session, session.accessToken);
  }

  async function refreshNow(): Promise<SessionInfo> {
    const session = await liveSession();
    if (!session) throw await nobodySignedIn();
    if (session.state === 'expired') throw noSession('expired', 'The session expired: sign in again');
    const next = await refresher.refresh(keyOf(session));
    if (!next) throw noSession('signed-out', 'Nobody is signed in');
    if (next.state === 'expired') throw noSession('expired', next.lastError ?? 'The session expired');
    if (next.failures > 0) throw new TakoError('network', next.lastError ?? 'Refreshing failed; retrying soon');
    return info(next);
  }

  /** The session a page sees: the account its site is bound to (`account`), or the active one. */
  async function sessionInfo(account?: string): Promise<SessionInfo | null> {
    const session = await accounts.sessionOf(account);
    return session ? info(session) : null;
  }

  async function snapshot() {
    // The in-memory flags are read before the stored state: read after, a sign-in that finished
    // in between would show as neither signing in nor signed in. Read first, the worst is one
    // more "signing in" frame before the next change notice.
    const signIn = signer.status();
    const switched = accounts.switchedAccount();
    const session = await accounts.activeSession();
    const { sessions, activeKey, endpointId } = await accounts.currentEndpointSessions();
    return {
      lifetimeEnding: session ? null : ((await lifetimes.endingFor(endpointId)) ?? null),
      lifetimeEndsAt: session ? await lifetimes.deadlineOf(session) : null,
      accounts: sessions.map((s) => ({ ...info(s), active: keyOf(s) === activeKey })),
      switchedAccount: switched,
      signingIn: signIn.busy,
      lastSignInError: signIn.lastError,
      session: session ? info(session) : null,
      refreshExpiresAt: session?.refreshExpMs ?? null,
      tokenObtainedAt: session?.obtainedAtMs ?? null,
      lastError: session?.lastError ?? null,
    };
  }

  return {
    isSignInSource: signer.isSignInSource,
    cancelSignIn: signer.cancel,
    signIn: async (wallet: WalletPort, walletId?: string): Promise<SessionInfo> => {
      const session = await signer.signIn(wallet, walletId);
      // A new session: what pages reported of the last one no longer limits it.
      lastForcedAt.delete(keyOf(session));
      return info(session);
    },
    signOut: accounts.signOut,
    activate: async (address: string): Promise<SessionInfo> => info(await accounts.activate(address)),
    onWalletAccountsChanged: accounts.onWalletAccountsChanged,
    retryFailing: refresher.retryFailing,
    /** At every worker start: lifetimes first (a session whose lifetime is over is not refreshed), then refreshes and alarms. */
    reconcile: async () => {
      // Asked for at once: the alarms call runs while the lifetimes are checked.
      const alarmsSet = deps.alarms.scheduled();
      alarmsSet.catch(() => undefined);
      await lifetimes.enforce();
      await refresher.reconcile(alarmsSet);
    },
    /** At every alarm: lifetimes first, so that a refresh never outlives its session's lifetime. */
    onAlarm: async (name: string) => {
      await (name === LIFETIME_ALARM ? lifetimes.onAlarm(name) : lifetimes.enforce());
      await refresher.onAlarm(name);
    },
    onIdleStateChanged: lifetimes.onIdleStateChanged,
    /** The lifetimes changed in the settings: sessions already past the new one end now. */
    onLifetimesChanged: lifetimes.enforce,
    getToken,
    reportRejected,
    refreshNow,
    sessionInfo,
    snapshot,
    activeSession: accounts.activeSession,
    /** Calls `callback` when no refresh or sign-in is running (at once if none is). */
    onIdle: work.onIdle,
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
