/**
 * Tako Session for dapps: wait for the extension, ask for access, get tokens, and call the Tako API
 * with them, recovering once from a 401. No dependencies: import it from this repository, or copy
 * it together with `tako-session-api.ts` (the contract it is typed by).
 *
 *   const tako = await connectTakoSession();          // rejects if the extension never shows up
 *   await tako.requestAccess();                       // once: the person approves this site
 *   const reply = await tako.fetch('https://api.tako.so/v2/farcaster/ignore_bid', { method: 'POST' });
 *
 * With header-only access (`tako.requestAccess({ tokenAccess: 'header' })`) the same `fetch` sends
 * no token of its own: the browser adds it, and this page never holds it.
 */
import {
  type TakoAccess,
  type TakoNoSessionReason,
  type TakoSession,
  type TakoSessionError,
  TakoSessionErrorCode,
  type TakoSessionInfo,
  type TakoToken,
  type TakoTokenAccess,
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

/** Whether `error` is the 4100 of a site with header-only access asking for a token. */
export function isHeaderOnlyError(error: unknown): boolean {
  return (
    isTakoSessionError(error) &&
    error.code === TakoSessionErrorCode.Unauthorized &&
    (error.data as { reason?: unknown } | undefined)?.reason === 'header-only'
  );
}

export interface TakoSessionClient {
  /** The extension's object itself, for anything this client does not wrap. */
  readonly takoSession: TakoSession;
  /**
   * Asks the person to allow this site (a window opens the first time); resolves the session or
   * null. `{ tokenAccess: 'header' }` asks for header-only access: this page never receives a
   * token, and `fetch` lets the browser add it.
   */
  requestAccess(options?: { tokenAccess?: TakoTokenAccess }): Promise<TakoSessionInfo | null>;
  /** A token with time left; pass the token an API just refused (401) to get a fresh one. */
  getToken(rejectedToken?: string): Promise<TakoToken>;
  getSession(): Promise<TakoSessionInfo | null>;
  /**
   * Header-only access: the API refused (401) a request sent at `sentAt` with the header the
   * browser added; resolves once the browser adds a fresh token.
   */
  reportRejected(sentAt?: number): Promise<null>;
  /** Signs in with this page's wallet (the person confirms in the wallet). */
  signIn(): Promise<TakoSessionInfo>;
  signOut(): Promise<null>;
  /** Gives up this site's access; afterwards every call but requestAccess gets 4100. */
  revokeAccess(): Promise<null>;
  /**
   * `fetch` with `Authorization: Bearer <token>`. On a 401 it reports the token as rejected, gets
   * the fresh one and retries once; a second 401 is returned as it is. With header-only access it
   * writes no header (the browser adds it to requests to the Tako API) and, on a 401, reports it
   * with `tako_reportRejected` and retries once.
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

  /**
   * Whether this site's grant is header-only: learnt from requestAccess, or from the 4100 that
   * tako_getToken answers such a site; forgotten when the site's access changes.
   */
  let headerOnly = false;
  takoSession.on('accessChanged', () => {
    headerOnly = false;
  });

  /**
   * Header-only access: no token here; the browser adds it. After a 401, one retry: with a token if
   * the grant has meanwhile become one for tokens (allowed again from another tab), otherwise once
   * the 401 is reported and the browser adds the fresh token.
   */
  async function headerFetch(request: Request, retry: Request): Promise<Response> {
    const sentAt = Date.now();
    const response = await send(request);
    if (response.status !== 401) return response;
    try {
      const { token } = await takoSession.request({ method: 'tako_getToken' });
      headerOnly = false;
      return authorized(retry, token);
    } catch (error) {
      if (!isHeaderOnlyError(error)) throw error;
    }
    await takoSession.request({ method: 'tako_reportRejected', params: { sentAt } });
    return send(retry);
  }

  return {
    takoSession,
    async requestAccess(options) {
      const session = await takoSession.request(
        options?.tokenAccess === undefined
          ? { method: 'tako_requestAccess' }
          : { method: 'tako_requestAccess', params: { tokenAccess: options.tokenAccess } },
      );
      if (options?.tokenAccess !== undefined) headerOnly = options.tokenAccess === 'header';
      return session;
    },
    reportRejected: (sentAt) =>
      takoSession.request({ method: 'tako_reportRejected', params: sentAt === undefined ? undefined : { sentAt } }),
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
      if (headerOnly) return headerFetch(request, retry);
      let token: string;
      try {
        ({ token } = await takoSession.request({ method: 'tako_getToken' }));
      } catch (error) {
        if (!isHeaderOnlyError(error)) throw error;
        headerOnly = true;
        return headerFetch(request, retry);
      }
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
