/**
 * Accounts: which session is active per endpoint, switching between signed-in accounts, following
 * the wallet's account, and signing out one account or all.
 *
 * The active pointers are one record with one writer (`ACTIVE_RECORD`); a sign-out deletes each
 * session and clears its alarm in that session's serial step, so a refresh in flight cannot write
 * it back (refresh.ts checks, in the same step, that its session is still stored).
 */

import { noSession } from '../../core/contract/errors.ts';
import { type Address, parseAddress, sameAddress } from '../../core/eth/address.ts';
import { endpointKey } from '../../core/session/endpoints.ts';
import type { Serial } from '../../core/session/serial.ts';
import { keyOf, type Session, sessionKey } from '../../core/session/session.ts';
import type { SessionServiceDeps } from '../ports/session-ports.ts';
import { ACTIVE_RECORD, refreshAlarmName, sessionRecordKey } from './keys.ts';

export function createAccounts(deps: Pick<SessionServiceDeps, 'store' | 'alarms' | 'onChange'>, writes: Serial) {
  const { store, alarms } = deps;
  /** An account the wallet switched to that has no session yet: the popup offers to sign it in. */
  let switchedAccount: Address | null = null;

  async function activeSession(): Promise<Session | undefined> {
    const [{ endpoint }, active] = await Promise.all([store.getSettings(), store.getActive()]);
    const key = active[endpointKey(endpoint)];
    return key === undefined ? undefined : store.getSession(key);
  }

  /**
   * The session a site bound to `address` uses: that account's on the current endpoint (undefined
   * when it is not signed in there); without an address, the active one.
   */
  async function sessionOf(address?: string): Promise<Session | undefined> {
    if (address === undefined) return activeSession();
    const { endpoint } = await store.getSettings();
    let parsed: Address;
    try {
      parsed = parseAddress(address);
    } catch {
      return undefined;
    }
    return store.getSession(sessionKey(endpoint, parsed));
  }

  async function currentEndpointSessions(): Promise<{ endpointId: string; sessions: Session[]; activeKey: string | undefined }> {
    const [{ endpoint }, sessions, active] = await Promise.all([store.getSettings(), store.listSessions(), store.getActive()]);
    const endpointId = endpointKey(endpoint);
    return { endpointId, sessions: sessions.filter((s) => endpointKey(s.endpoint) === endpointId), activeKey: active[endpointId] };
  }

  /** Makes a freshly signed-in session the active one of its endpoint. */
  async function activateSignedIn(session: Session): Promise<void> {
    if (switchedAccount && sameAddress(switchedAccount, session.address)) switchedAccount = null;
    await writes(ACTIVE_RECORD, async () => {
      // Signed out again before this step: nothing to point at.
      if (!(await store.getSession(keyOf(session)))) return;
      const active = await store.getActive();
      await store.setActive({ ...active, [endpointKey(session.endpoint)]: keyOf(session) });
    });
  }

  /** Deletes a session and clears its alarm, in its serial step: after this no refresh writes it back. */
  function remove(key: string): Promise<void> {
    return writes(sessionRecordKey(key), async () => {
      await store.deleteSessions([key]);
      await alarms.clear(refreshAlarmName(key));
    });
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
    if (typeof scope === 'object' && doomed.length === 0) throw noSession('signed-out', `${scope.address} is not signed in`);
    await removeSessions(doomed.map(keyOf), { fallBack: scope !== 'all' });
    deps.onChange();
  }

  /**
   * Deletes these sessions (and their alarms), then the active pointers to them. With `fallBack`,
   * an endpoint whose active account went falls back to another of its accounts rather than to
   * nobody.
   */
  async function removeSessions(keys: readonly string[], { fallBack }: { fallBack: boolean }): Promise<void> {
    const doomedKeys = new Set(keys);
    await Promise.all([...doomedKeys].map(remove));
    const sessions = await store.listSessions();
    await writes(ACTIVE_RECORD, async () => {
      const pointers = await store.getActive();
      const kept = Object.fromEntries(Object.entries(pointers).filter(([, key]) => !doomedKeys.has(key)));
      if (fallBack) {
        for (const endpointId of Object.keys(pointers)) {
          if (kept[endpointId] !== undefined) continue;
          const survivor = sessions.find((s) => endpointKey(s.endpoint) === endpointId && !doomedKeys.has(keyOf(s)));
          if (survivor && (await store.getSession(keyOf(survivor)))) kept[endpointId] = keyOf(survivor);
        }
      }
      await store.setActive(kept);
    });
  }

  async function activate(address: string): Promise<Session> {
    const { endpoint } = await store.getSettings();
    const key = sessionKey(endpoint, parseAddress(address));
    const session = await writes(ACTIVE_RECORD, async () => {
      // Read in the step that points at it: a sign-out of that account cannot slip in between.
      const found = await store.getSession(key);
      if (found) await store.setActive({ ...(await store.getActive()), [endpointKey(endpoint)]: key });
      return found;
    });
    if (!session) throw noSession('signed-out', `${address} is not signed in on this endpoint`);
    if (switchedAccount && sameAddress(switchedAccount, address)) switchedAccount = null;
    deps.onChange();
    return session;
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

  return {
    activeSession,
    sessionOf,
    currentEndpointSessions,
    activateSignedIn,
    signOut,
    removeSessions,
    activate,
    onWalletAccountsChanged,
    switchedAccount: () => switchedAccount,
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
