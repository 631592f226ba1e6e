/**
 * Tako Session for dapps: wait for the extension, ask for access, get tokens, and call the Tako API
 * with them, recovering once from a 401. No dependencies: import it from this repository, or copy
 * it together with `tako-session-api.ts` (the contract it is typed by).
 *
 *   const tako = await connectTakoSession();          // rejects if the extension never shows up
 *   await tako.requestAccess();                       // once: the person approves this site
 *   const reply = await tako.fetch('https://api.tako.so/v2/farcaster/ignore_bid', { method: 'POST' });
 */
import {
  type TakoAccess,
  type TakoNoSessionReason,
  type TakoSession,
  type TakoSessionError,
  TakoSessionErrorCode,
  type TakoSessionInfo,
  type TakoToken,
} from '../core/contract/tako-session-api.ts';

/** How long to wait for `window.takoSession` by default: the extension defines it at document_start. */
export const DEFAULT_WAIT_MS = 3_000;

/** `window.takoSession` did not appear: the extension is not installed, disabled, or not allowed on this page. */
export class TakoSessionUnavailableError extends Error {
  override readonly name = 'TakoSessionUnavailableError';
}

/** Whether `error` is the extension's own error (a real `Error` with a numeric EIP-1193 `code`). */
export function isTakoSessionError(error: unknown): error is TakoSessionError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

/** Why there is no token when `error` is a 4900, or undefined for any other error. */
export function noSessionReason(error: unknown): TakoNoSessionReason | undefined {
  if (!isTakoSessionError(error) || error.code !== TakoSessionErrorCode.NoSession) return undefined;
  const reason = (error.data as { reason?: unknown } | undefined)?.reason;
  return reason === 'signed-out' || reason === 'expired' || reason === 'refresh-failing' || reason === 'timed-out' ? reason : undefined;
}

/**
 * Resolves `window.takoSession` once the extension has defined it: at once when it is there,
 * otherwise on its `takoSession#initialized` event (the extension may be injected after the
 * dapp's own scripts, in a tab opened before it was installed), or rejects after `timeoutMs`.
 */
export function waitForTakoSession({
  timeoutMs = DEFAULT_WAIT_MS,
  target = window,
}: {
  timeoutMs?: number;
  target?: Window;
} = {}): Promise<TakoSession> {
  const present = target.takoSession;
  if (present) return Promise.resolve(present);
  return new Promise((resolve, reject) => {
    const onInitialized = () => {
      clearTimeout(timer);
      const takoSession = target.takoSession;
      if (takoSession) resolve(takoSession);
      else reject(new TakoSessionUnavailableError('takoSession#initialized fired, but window.takoSession is missing'));
    };
    const timer = setTimeout(() => {
      target.removeEventListener('takoSession#initialized', onInitialized);
      reject(
        new TakoSessionUnavailableError(`Tako Session did not appear within ${timeoutMs} ms: is the extension installed and enabled?`),
      );
    }, timeoutMs);
    target.addEventListener('takoSession#initialized', onInitialized, { once: true });
  });
}

export interface TakoSessionClient {
  /** The extension's object itself, for anything this client does not wrap. */
  readonly takoSession: TakoSession;
  /** Asks the person to allow this site (a window opens the first time); resolves the session or null. */
  requestAccess(): Promise<TakoSessionInfo | null>;
  /** A token with time left; pass the token an API just refused (401) to get a fresh one. */
  getToken(rejectedToken?: string): Promise<TakoToken>;
  getSession(): Promise<TakoSessionInfo | null>;
  /** Signs in with this page's wallet (the person confirms in the wallet). */
  signIn(): Promise<TakoSessionInfo>;
  signOut(): Promise<null>;
  /** Gives up this site's access; afterwards every call but requestAccess gets 4100. */
  revokeAccess(): Promise<null>;
  /**
   * `fetch` with `Authorization: Bearer <token>`. On a 401 it reports the token as rejected, gets
   * the fresh one and retries once; a second 401 is returned as it is.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Follows session changes; returns the function that stops following. */
  onSessionChanged(listener: (session: TakoSessionInfo | null) => void): () => void;
  /** Follows this site being allowed or revoked; returns the function that stops following. */
  onAccessChanged(listener: (access: TakoAccess) => void): () => void;
}

export function createTakoSessionClient(
  takoSession: TakoSession,
  { fetch: send = globalThis.fetch.bind(globalThis) } = {},
): TakoSessionClient {
  async function authorized(request: Request, token: string): Promise<Response> {
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${token}`);
    return send(new Request(request, { headers }));
  }

  return {
    takoSession,
    requestAccess: () => takoSession.request({ method: 'tako_requestAccess' }),
    getToken: (rejectedToken) =>
      takoSession.request({ method: 'tako_getToken', params: rejectedToken === undefined ? undefined : { rejectedToken } }),
    getSession: () => takoSession.request({ method: 'tako_getSession' }),
    signIn: () => takoSession.request({ method: 'tako_signIn' }),
    signOut: () => takoSession.request({ method: 'tako_signOut' }),
    revokeAccess: () => takoSession.request({ method: 'tako_revokeAccess' }),
    async fetch(input, init) {
      const request = new Request(input, init);
      // Kept unread for the one retry: a body can be sent only once.
      const retry = request.clone();
      const { token } = await takoSession.request({ method: 'tako_getToken' });
      const response = await authorized(request, token);
      if (response.status !== 401) return response;
      const fresh = await takoSession.request({ method: 'tako_getToken', params: { rejectedToken: token } });
      if (fresh.token === token) return response;
      return authorized(retry, fresh.token);
    },
    onSessionChanged(listener) {
      takoSession.on('sessionChanged', listener);
      return () => takoSession.removeListener('sessionChanged', listener);
    },
    onAccessChanged(listener) {
      takoSession.on('accessChanged', listener);
      return () => takoSession.removeListener('accessChanged', listener);
    },
  };
}

/** `waitForTakoSession`, then a client on it. */
export async function connectTakoSession(options: { timeoutMs?: number; target?: Window } = {}): Promise<TakoSessionClient> {
  return createTakoSessionClient(await waitForTakoSession(options));
}
