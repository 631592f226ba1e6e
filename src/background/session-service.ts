/**
 * The session lifecycle, wired to its dependencies (store, clock, HTTP, alarms, the page's
 * wallet). Decisions come from the pure core; this file sequences them and does the I/O.
 */
import { parseAddress, sameAddress, type Address } from '../core/address.ts';
import { endpointKey } from '../core/endpoints.ts';
import { describeError, TakoError } from '../core/errors.ts';
import {
  afterTransientFailure,
  decideTokenRequest,
  expire,
  isRefreshDue,
  isRefreshTokenAlive,
  nextRefreshAt,
} from '../core/lifecycle.ts';
import { measureSkewMs } from '../core/clock-skew.ts';
import {
  keyOf,
  serverNow,
  sessionFromGrant,
  sessionKey,
  toLocalTime,
  toSessionInfo,
  type Session,
  type SessionInfo,
  type TokenForPage,
} from '../core/session.ts';
import { buildSignInMessage } from '../core/sign-in-message.ts';
import { recoverPersonalSigner } from '../core/signature.ts';
import { probeServerDate, requestRefresh, requestSignIn, type TakoClientDeps } from '../core/tako-client.ts';
import type { Store } from './store.ts';

export type { TokenForPage };

export const REFRESH_ALARM_PREFIX = 'refresh ';

export interface Clock {
  now(): number;
  random(): number;
}

export interface AlarmPort {
  schedule(name: string, whenMs: number): Promise<void>;
  clear(name: string): Promise<void>;
  names(): Promise<string[]>;
}

/** The page wallet the person signs in with, reached through a tab's bridge. */
export interface WalletPort {
  /** Which page the wallet lives in, to recognise its later events. */
  source: string;
  requestAccounts(walletId?: string): Promise<unknown>;
  sign(address: Address, message: string, walletId?: string): Promise<unknown>;
}

export interface SessionServiceDeps {
  store: Store;
  clock: Clock;
  fetch: typeof fetch;
  alarms: AlarmPort;
  /** Called after anything a page or the popup shows has changed. */
  onChange: () => void;
  /** Called once when a session becomes expired. */
  onExpired: (session: Session) => void;
}

export function refreshAlarmName(key: string): string {
  return REFRESH_ALARM_PREFIX + key;
}

export function createSessionService(deps: SessionServiceDeps) {
  const { store, clock, alarms } = deps;
  const client: TakoClientDeps = { fetch: (input, init) => deps.fetch(input, init), now: () => clock.now() };
  const inFlight = new Map<string, Promise<Session | undefined>>();
  let signingIn: Promise<SessionInfo> | undefined;
  let lastSignInError: string | null = null;
  /** An account the wallet switched to that has no session yet: the popup offers to sign it in. */
  let switchedAccount: Address | null = null;
  /** The page whose wallet last signed in (memory only: after a restart, allowed sites still count). */
  let signInSource: string | null = null;

  async function activeSession(): Promise<Session | undefined> {
    const [{ endpoint }, active] = await Promise.all([store.getSettings(), store.getActive()]);
    const key = active[endpointKey(endpoint)];
    return key === undefined ? undefined : store.getSession(key);
  }

  async function schedule(session: Session): Promise<void> {
    const name = refreshAlarmName(keyOf(session));
    if (session.state === 'expired') await alarms.clear(name);
    else await alarms.schedule(name, toLocalTime(session, nextRefreshAt(session)));
  }

  function info(session: Session): SessionInfo {
    return toSessionInfo(session, inFlight.has(keyOf(session)));
  }

  /** One refresh request per session at a time, however many callers ask. */
  function refresh(key: string): Promise<Session | undefined> {
    const running = inFlight.get(key);
    if (running) return running;
    const attempt = runRefresh(key).finally(() => {
      inFlight.delete(key);
      deps.onChange();
    });
    inFlight.set(key, attempt);
    deps.onChange();
    return attempt;
  }

  async function runRefresh(key: string): Promise<Session | undefined> {
    const before = await store.getSession(key);
    if (!before || before.state === 'expired') return before;
    if (!isRefreshTokenAlive(before, serverNow(before, clock.now()))) {
      return settle(before, expire(before, 'The session lapsed: the refresh token expired'));
    }
    let next: Session;
    try {
      await store.putSession({ ...before, refreshStartedAtMs: clock.now() });
      const grant = await requestRefresh(client, before.endpoint, before.refreshToken);
      next = sessionFromGrant(grant, before.endpoint, before.address, clock.now());
    } catch (error) {
      // Anything that is not the API's answer (a storage hiccup, say) says nothing about the
      // refresh token, so it is retried rather than taken as a refusal.
      const failure = error instanceof TakoError ? error : new TakoError('internal', describeError(error), { transient: true });
      next = failure.transient
        ? afterTransientFailure(before, failure, serverNow(before, clock.now()), clock.random())
        : expire(before, failure.message);
    }
    return settle(before, next);
  }

  /**
   * Stores the outcome of a refresh unless the session changed meanwhile (signed out, or signed
   * in again): a late reply must never resurrect or overwrite newer state.
   */
  async function settle(before: Session, outcome: Session): Promise<Session | undefined> {
    const current = await store.getSession(keyOf(before));
    if (!current || current.refreshToken !== before.refreshToken) return current;
    const { refreshStartedAtMs: _, ...next } = outcome;
    await store.putSession(next);
    await schedule(next);
    if (next.state === 'expired' && before.state !== 'expired') deps.onExpired(next);
    return next;
  }

  async function signIn(wallet: WalletPort, walletId?: string): Promise<SessionInfo> {
    if (signingIn) return signingIn;
    lastSignInError = null;
    signingIn = runSignIn(wallet, walletId)
      .catch((error: unknown) => {
        lastSignInError = describeError(error);
        throw error;
      })
      .finally(() => {
        signingIn = undefined;
        deps.onChange();
      });
    deps.onChange();
    return signingIn;
  }

  async function runSignIn(wallet: WalletPort, walletId?: string): Promise<SessionInfo> {
    const { endpoint } = await store.getSettings();
    // Learn the server's clock while the person answers the wallet, so ISSUED AT is in its time.
    const probe = probeServerDate(client, endpoint).then((serverDate) => measureSkewMs(serverDate, clock.now()));
    const accounts = await wallet.requestAccounts(walletId);
    if (!Array.isArray(accounts) || accounts.length === 0) {
      throw new TakoError('wallet', 'The wallet did not share an account');
    }
    const address = parseAddress(accounts[0]);
    const message = buildSignInMessage(address, clock.now() + (await probe));
    const signature = await wallet.sign(address, message, walletId);
    if (typeof signature !== 'string') throw new TakoError('wallet', 'The wallet did not return a signature');
    const signer = recoverPersonalSigner(message, signature);
    if (!sameAddress(signer, address)) {
      throw new TakoError('wallet', `The wallet signed with ${signer}, not with the account it shared (${address}); nothing was sent`);
    }
    const grant = await requestSignIn(client, endpoint, { message, signature });
    const session = sessionFromGrant(grant, endpoint, address, clock.now());
    const key = keyOf(session);
    if (switchedAccount && sameAddress(switchedAccount, address)) switchedAccount = null;
    signInSource = wallet.source;
    await store.putSession(session);
    const active = await store.getActive();
    await store.setActive({ ...active, [endpointKey(endpoint)]: key });
    await schedule(session);
    return info(session);
  }

  async function currentEndpointSessions(): Promise<{ endpointId: string; sessions: Session[]; activeKey: string | undefined }> {
    const [{ endpoint }, sessions, active] = await Promise.all([store.getSettings(), store.listSessions(), store.getActive()]);
    const endpointId = endpointKey(endpoint);
    return { endpointId, sessions: sessions.filter((s) => endpointKey(s.endpoint) === endpointId), activeKey: active[endpointId] };
  }

  /** Signs out the active account, one account of the current endpoint, or everyone everywhere. */
  async function signOut(scope: 'active' | 'all' | { address: string }): Promise<void> {
    const sessions = await store.listSessions();
    const { sessions: here, activeKey } = await currentEndpointSessions();
    const doomed =
      scope === 'all'
        ? sessions
        : scope === 'active'
          ? here.filter((s) => keyOf(s) === activeKey)
          : here.filter((s) => sameAddress(s.address, scope.address));
    if (typeof scope === 'object' && doomed.length === 0) throw new TakoError('no-session', `${scope.address} is not signed in`);
    await store.deleteSessions(doomed.map(keyOf));
    await Promise.all(doomed.map((s) => alarms.clear(refreshAlarmName(keyOf(s)))));
    const pointers = await store.getActive();
    const doomedKeys = new Set(doomed.map(keyOf));
    const kept = Object.fromEntries(Object.entries(pointers).filter(([, key]) => !doomedKeys.has(key)));
    // Signing out the active account of several falls back to another one rather than to nobody.
    const { endpointId } = await currentEndpointSessions();
    const survivor = here.find((s) => !doomedKeys.has(keyOf(s)));
    if (kept[endpointId] === undefined && survivor && scope !== 'all') kept[endpointId] = keyOf(survivor);
    await store.setActive(kept);
    deps.onChange();
  }

  async function activate(address: string): Promise<SessionInfo> {
    const { endpoint } = await store.getSettings();
    const key = sessionKey(endpoint, parseAddress(address));
    const session = await store.getSession(key);
    if (!session) throw new TakoError('no-session', `${address} is not signed in on this endpoint`);
    await store.setActive({ ...(await store.getActive()), [endpointKey(endpoint)]: key });
    if (switchedAccount && sameAddress(switchedAccount, address)) switchedAccount = null;
    deps.onChange();
    return info(session);
  }

  /**
   * The wallet says the person switched accounts: follow to that account's session when there is
   * one, otherwise remember it so the popup can offer to sign it in. The current session stays.
   */
  async function onWalletAccountsChanged(accounts: readonly unknown[]): Promise<void> {
    let address: Address;
    try {
      address = parseAddress(accounts[0]);
    } catch {
      return; // Disconnected or locked wallet: nothing to follow.
    }
    const { sessions, activeKey } = await currentEndpointSessions();
    const match = sessions.find((s) => sameAddress(s.address, address));
    if (match) {
      if (keyOf(match) !== activeKey) await activate(address);
      switchedAccount = null;
    } else {
      switchedAccount = address;
    }
    deps.onChange();
  }

  /** Back online: sessions waiting out a backoff retry now instead of at their next alarm. */
  async function retryFailing(): Promise<void> {
    const sessions = await store.listSessions();
    await Promise.all(sessions.filter((s) => s.state === 'signed-in' && s.failures > 0).map((s) => refresh(keyOf(s))));
  }

  /** On every worker start: refresh what fell due while we slept, and rebuild the alarms. */
  /**
   * Due refreshes are started, not awaited: requests waiting on a start-up reconcile must not sit
   * behind a slow network (a token caller joins the refresh in flight anyway).
   */
  async function reconcile(): Promise<void> {
    const sessions = await store.listSessions();
    const known = new Set(sessions.map((s) => refreshAlarmName(keyOf(s))));
    const stale = (await alarms.names()).filter((name) => name.startsWith(REFRESH_ALARM_PREFIX) && !known.has(name));
    await Promise.all(stale.map((name) => alarms.clear(name)));
    await Promise.all(
      sessions.map(async (session) => {
        const now = serverNow(session, clock.now());
        if (session.state === 'signed-in' && !isRefreshTokenAlive(session, now)) {
          await settle(session, expire(session, 'The session lapsed: the refresh token expired'));
        } else if (isRefreshDue(session, now) || (session.state === 'signed-in' && session.refreshStartedAtMs !== undefined)) {
          void refresh(keyOf(session)).catch((error: unknown) => {
            console.warn('Tako Session: refresh at start failed:', describeError(error));
          });
        } else {
          await schedule(session);
        }
      }),
    );
    deps.onChange();
  }

  async function onAlarm(name: string): Promise<void> {
    if (!name.startsWith(REFRESH_ALARM_PREFIX)) return;
    await refresh(name.slice(REFRESH_ALARM_PREFIX.length));
  }

  /** A token for a page (or the popup): refreshed first when it is too close to expiry. */
  async function getToken(): Promise<TokenForPage> {
    let session = await activeSession();
    if (!session) throw new TakoError('no-session', 'Nobody is signed in');
    let decision = decideTokenRequest(session, serverNow(session, clock.now()));
    if (decision.kind === 'refresh') {
      session = (await refresh(keyOf(session))) ?? session;
      decision = decideTokenRequest(session, serverNow(session, clock.now()));
    }
    if (decision.kind !== 'serve') {
      throw new TakoError(
        'no-session',
        decision.kind === 'unavailable' && decision.reason === 'failing'
          ? `The token expired and refreshing it is failing: ${session.lastError ?? 'unknown error'}`
          : 'The session expired: sign in again',
      );
    }
    return { token: session.accessToken, tokenType: 'Bearer', expiresAt: session.accessExpMs, address: session.address };
  }

  async function refreshNow(): Promise<SessionInfo> {
    const session = await activeSession();
    if (!session) throw new TakoError('no-session', 'Nobody is signed in');
    if (session.state === 'expired') throw new TakoError('no-session', 'The session expired: sign in again');
    const next = await refresh(keyOf(session));
    if (!next) throw new TakoError('no-session', 'Nobody is signed in');
    if (next.state === 'expired') throw new TakoError('no-session', next.lastError ?? 'The session expired');
    if (next.failures > 0) throw new TakoError('network', next.lastError ?? 'Refreshing failed; retrying soon');
    return info(next);
  }

  async function sessionInfo(): Promise<SessionInfo | null> {
    const session = await activeSession();
    return session ? info(session) : null;
  }

  async function snapshot() {
    // The in-memory flags are read before the stored state: read after, a sign-in that finished
    // in between would show as neither signing in nor signed in. Read first, the worst is one
    // more "signing in" frame before the next change notice.
    const busy = signingIn !== undefined;
    const signInError = lastSignInError;
    const switched = switchedAccount;
    const session = await activeSession();
    const { sessions, activeKey } = await currentEndpointSessions();
    return {
      accounts: sessions.map((s) => ({ ...info(s), active: keyOf(s) === activeKey })),
      switchedAccount: switched,
      signingIn: busy,
      lastSignInError: signInError,
      session: session ? info(session) : null,
      refreshExpiresAt: session?.refreshExpMs ?? null,
      tokenObtainedAt: session?.obtainedAtMs ?? null,
      lastError: session?.lastError ?? null,
    };
  }

  return {
    isSignInSource: (source: string) => source === signInSource,
    signIn,
    signOut,
    activate,
    onWalletAccountsChanged,
    retryFailing,
    reconcile,
    onAlarm,
    getToken,
    refreshNow,
    sessionInfo,
    snapshot,
    activeSession,
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
