/**
 * Sign-in: one at a time, with the wallet of the page the person picked (or MetaMask directly):
 * ask for the account, have it sign the Tako message, check the signer, post, store the pair.
 */
import { parseAddress, sameAddress } from '../core/address.ts';
import { measureSkewMs } from '../core/clock-skew.ts';
import { describeError, TakoError } from '../core/errors.ts';
import { sessionFromGrant, type Session } from '../core/session.ts';
import { buildSignInMessage } from '../core/sign-in-message.ts';
import { recoverPersonalSigner } from '../core/signature.ts';
import { probeServerDate, requestSignIn, type TakoClientDeps } from '../core/tako-client.ts';
import type { SessionServiceDeps, WalletPort } from './session-service.ts';

export interface SignInSteps {
  /** Makes the new session the active one of its endpoint (after it is stored). */
  activate(session: Session): Promise<void>;
  /** Schedules its refresh. */
  schedule(session: Session): Promise<void>;
}

export function createSignIn(deps: Pick<SessionServiceDeps, 'store' | 'clock' | 'onChange'>, client: TakoClientDeps, steps: SignInSteps) {
  const { store, clock } = deps;
  let signingIn: Promise<Session> | undefined;
  let lastSignInError: string | null = null;
  /** The page whose wallet last signed in (memory only: after a restart, allowed sites still count). */
  let signInSource: string | null = null;

  function signIn(wallet: WalletPort, walletId?: string): Promise<Session> {
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

  async function runSignIn(wallet: WalletPort, walletId?: string): Promise<Session> {
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
    signInSource = wallet.source;
    await store.putSession(session);
    await steps.activate(session);
    await steps.schedule(session);
    return session;
  }

  return {
    signIn,
    isSignInSource: (source: string) => source === signInSource,
    /** Read before the stored state in a snapshot (see `snapshot`). */
    status: () => ({ busy: signingIn !== undefined, lastError: lastSignInError }),
  };
}
