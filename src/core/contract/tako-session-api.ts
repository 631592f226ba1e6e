/**
 * The public contract of `window.takoSession`, for dapp developers. Copy this file into a dapp
 * (it has no imports) to get typed calls:
 *
 *   const { token } = await window.takoSession!.request({ method: 'tako_getToken' });
 *   await fetch('https://api.tako.so/v2/farcaster/ignore_bid', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
 */

export type TakoSessionState = 'signed-in' | 'refreshing' | 'expired';

export interface TakoSessionInfo {
  address: `0x${string}`;
  state: TakoSessionState;
  /** The access token's JWT `exp` x 1000 (ms since the epoch). */
  expiresAt: number;
  /** The API base URL the session belongs to. */
  endpoint: string;
}

export interface TakoToken {
  token: string;
  tokenType: 'Bearer';
  expiresAt: number;
  address: `0x${string}`;
}

export interface TakoSessionMethods {
  /**
   * Ask the person to allow this origin. Resolves the session (null when nobody is signed in).
   * With `{ tokenAccess: 'header' }`, header-only access: the browser adds the token to this
   * site's requests to the Tako API, and the site never reads it (`tako_getToken` is then 4100).
   */
  tako_requestAccess: TakoSessionInfo | null;
  /**
   * A valid access token (refreshed first when it is about to expire). With `{ rejectedToken }`,
   * the token an API just refused (401): a fresh one, refreshed once however many tabs report it.
   */
  tako_getToken: TakoToken;
  /**
   * The API refused (401) the token the browser added to this site's request (header-only
   * access): as `rejectedToken` does, refreshed once, and resolved once the new token is the one
   * the browser adds. Pass `{ sentAt }` (when the request was sent).
   */
  tako_reportRejected: null;
  tako_getSession: TakoSessionInfo | null;
  /** Sign in with this page's wallet. */
  tako_signIn: TakoSessionInfo;
  tako_signOut: null;
  /** This origin gives up its access (and is told so with `accessChanged`). */
  tako_revokeAccess: null;
  metahuman_getToken: { token: string };
}

export type TakoSessionMethod = keyof TakoSessionMethods;

/** The params each method takes; a method not listed takes none. */
export interface TakoSessionParams {
  tako_requestAccess: { tokenAccess?: TakoTokenAccess } | undefined;
  tako_getToken: { rejectedToken?: string } | undefined;
  /** `sentAt`: when the refused request was sent (`Date.now()`); a request sent before the current token was added forces no refresh. */
  tako_reportRejected: { sentAt?: number } | undefined;
}

/**
 * How a site receives the session: `token` (the default), tokens in its JavaScript from
 * `tako_getToken`; `header`, only an `Authorization` header the browser adds to its requests to
 * the Tako API, so that a script injected into the site can use the session while the person is
 * on it but cannot carry the token away.
 */
export type TakoTokenAccess = 'token' | 'header';

/** Why a 4100 refuses an allowed site (`error.data.reason`): its grant is header-only, so it gets no token. */
export type TakoNotAllowedReason = 'header-only';

/** Arguments of `request`: `params` only where the method takes them. */
export type TakoSessionRequest<M extends TakoSessionMethod> = M extends keyof TakoSessionParams
  ? { method: M; params?: TakoSessionParams[M] }
  : { method: M };

/** Whether this origin may use the session. */
export interface TakoAccess {
  allowed: boolean;
}

/** The events of `on` / `removeListener` and what their listeners receive. */
export interface TakoSessionEvents {
  sessionChanged: TakoSessionInfo | null;
  accessChanged: TakoAccess;
}

export type TakoSessionEvent = keyof TakoSessionEvents;

/**
 * Why a 4900 has no token (`error.data.reason`): nobody signed in (or the person signed out), the
 * session expired, refreshing it is failing, or the session lifetime the person chose in the
 * settings ended it (`timed-out`: the browser closed, the computer was idle, or its maximum age).
 */
export type TakoNoSessionReason = 'signed-out' | 'expired' | 'refresh-failing' | 'timed-out';

/*
 * In this project the file is the one source of the page contract: the extension's session view,
 * its message schemas, its error codes and the background's method table are derived from it or
 * checked against it, so a change on one side only does not compile. Keep it free of imports.
 */

/** Error codes a dapp can branch on (`error.code`). */
export const TakoSessionErrorCode = {
  /** The person refused (approval window or wallet). */
  UserRejected: 4001,
  /** This origin is not allowed. Call tako_requestAccess. */
  Unauthorized: 4100,
  UnsupportedMethod: 4200,
  /** No token: `error.data.reason` says why (TakoNoSessionReason). */
  NoSession: 4900,
  InvalidParams: -32602,
  Internal: -32603,
} as const;

export interface TakoSessionError extends Error {
  code: number;
  data?: unknown;
}

export interface TakoSession {
  request<M extends TakoSessionMethod>(args: TakoSessionRequest<M>): Promise<TakoSessionMethods[M]>;
  on<E extends TakoSessionEvent>(event: E, listener: (data: TakoSessionEvents[E]) => void): void;
  removeListener<E extends TakoSessionEvent>(event: E, listener: (data: TakoSessionEvents[E]) => void): void;
}

declare global {
  interface Window {
    takoSession?: TakoSession;
  }
  interface WindowEventMap {
    'takoSession#initialized': Event;
  }
}
