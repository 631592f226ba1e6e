/**
 * Sign-in: one at a time, with the wallet of the page the person picked (or MetaMask directly):
 * ask for the account, have it sign the Tako message, check the signer, post, store the pair.
 */

import { probeServerClock, requestSignIn, type TakoClientDeps } from '../../core/api/tako-client.ts';
import { describeError, SIGN_IN_CANCELLED, TakoError } from '../../core/contract/errors.ts';
import { hasAddressShape, parseAddress, sameAddress } from '../../core/eth/address.ts';
import { buildSignInMessage } from '../../core/eth/sign-in-message.ts';
import { recoverPersonalSigner } from '../../core/eth/signature.ts';
import { endpointKey } from '../../core/session/endpoints.ts';
import type { InFlight } from '../../core/session/in-flight.ts';
import type { Serial } from '../../core/session/serial.ts';
import { type ClockSample, clockFrom, estimatedServerTime, unmeasuredClock } from '../../core/session/server-clock.ts';
import { keyOf, type Session, sessionFromGrant } from '../../core/session/session.ts';
import type { SessionServiceDeps, WalletPort } from '../ports/session-ports.ts';
import { sessionRecordKey } from './keys.ts';

export interface SignInSteps {
  /** Makes the new session the active one of its endpoint (after it is stored). */
  activate(session: Session): Promise<void>;
  /** Schedules its refresh (called in the session's serial step). */
  schedule(session: Session): Promise<void>;
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts: a wallet that never answers does
 * not hold the sign-in (or the next one) hostage, and its late answer is dropped.
 */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function createSignIn(
  deps: Pick<SessionServiceDeps, 'store' | 'clock' | 'onChange'>,
  client: TakoClientDeps,
  steps: SignInSteps,
  writes: Serial,
  /** Counts each sign-in until it has stored its pair or failed (an update waits for them). */
  work: InFlight,
) {
  const { store, clock } = deps;
  let running: { promise: Promise<Session>; controller: AbortController } | undefined;
  let lastSignInError: string | null = null;
  /**
   * The source (one pinned document, or a wallet extension) that last signed in: only its account
   * switches count. Memory only: after a restart no page can switch the account until it signs in.
   */
  let signInSource: string | null = null;

  function signIn(wallet: WalletPort, walletId?: string): Promise<Session> {
    if (running) return running.promise;
    lastSignInError = null;
    const controller = new AbortController();
    const promise = work
      .track(runSignIn(wallet, walletId, controller.signal))
      .catch((error: unknown) => {
        // Stopping it was the person's choice, not a failure to show.
        if (!controller.signal.aborted) lastSignInError = describeError(error);
        throw error;
      })
      .finally(() => {
        if (running?.controller === controller) running = undefined;
        deps.onChange();
      });
    running = { promise, controller };
    deps.onChange();
    return promise;
  }

  /** Stops the sign-in in progress, wherever it is; nothing it had not stored yet is stored. */
  function cancel(): boolean {
    if (!running) return false;
    running.controller.abort(new TakoError('rejected', SIGN_IN_CANCELLED));
    return true;
  }

  async function runSignIn(wallet: WalletPort, walletId: string | undefined, signal: AbortSignal): Promise<Session> {
    const { endpoint } = await store.getSettings();
    // Learn the server's clock while the person answers the wallet, so ISSUED AT is in its time:
    // from this probe, or from another session's narrower bound on the same server.
    const probe = probeServerClock(client, endpoint);
    const known = store
      .listSessions()
      .then((sessions) => sessions.filter((s) => endpointKey(s.endpoint) === endpointKey(endpoint)).map((s) => s.clock.best))
      .catch((): ClockSample[] => []);
    const serverClock = Promise.all([probe, known]).then(([sample, samples]) => clockFrom(sample ? [...samples, sample] : samples));
    const accounts = await unlessAborted(wallet.requestAccounts(walletId), signal);
    if (!Array.isArray(accounts) || accounts.length === 0) {
      throw new TakoError('wallet', 'The wallet did not share an account');
    }
    // The wallet's answer is the page's to write: an account that is not an address is not echoed.
    if (!hasAddressShape(accounts[0])) throw new TakoError('wallet', 'The wallet shared an account that is not an Ethereum address');
    const address = parseAddress(accounts[0]);
    const measured = await unlessAborted(serverClock, signal);
    const message = buildSignInMessage(address, estimatedServerTime(measured ?? unmeasuredClock(clock.now()), clock.now()));
    const signature = await unlessAborted(wallet.sign(address, message, walletId), signal);
    if (typeof signature !== 'string') throw new TakoError('wallet', 'The wallet did not return a signature');
    const signer = recoverPersonalSigner(message, signature);
    if (!sameAddress(signer, address)) {
      throw new TakoError('wallet', `The wallet signed with ${signer}, not with the account it shared (${address}); nothing was sent`);
    }
    const grant = await unlessAborted(requestSignIn(client, endpoint, { message, signature }), signal);
    const session = sessionFromGrant(grant, endpoint, address, clock.now(), measured);
    signInSource = wallet.source;
    // In the session's serial step: a refresh of the account's previous session, still out, finds
    // its session replaced and writes nothing.
    await writes(sessionRecordKey(keyOf(session)), async () => {
      await store.putSession(session);
      await steps.schedule(session);
    });
    await steps.activate(session);
    return session;
  }

  return {
    signIn,
    cancel,
    isSignInSource: (source: string) => source === signInSource,
    /** Read before the stored state in a snapshot (see `snapshot`). */
    status: () => ({ busy: running !== undefined, lastError: lastSignInError }),
  };
}
