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
  /** Ask the person to allow this origin. Resolves the session (null when nobody is signed in). */
  tako_requestAccess: TakoSessionInfo | null;
  /** A valid access token (refreshed first when it is about to expire). */
  tako_getToken: TakoToken;
  tako_getSession: TakoSessionInfo | null;
  /** Sign in with this page's wallet. */
  tako_signIn: TakoSessionInfo;
  tako_signOut: null;
  metahuman_getToken: { token: string };
}

export type TakoSessionMethod = keyof TakoSessionMethods;

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
  /** Nobody is signed in, or the session expired. */
  NoSession: 4900,
  InvalidParams: -32602,
  Internal: -32603,
} as const;

export interface TakoSessionError extends Error {
  code: number;
  data?: unknown;
}

export interface TakoSession {
  request<M extends TakoSessionMethod>(args: { method: M; params?: unknown }): Promise<TakoSessionMethods[M]>;
  on(event: 'sessionChanged', listener: (session: TakoSessionInfo | null) => void): void;
  removeListener(event: 'sessionChanged', listener: (session: TakoSessionInfo | null) => void): void;
}

declare global {
  interface Window {
    takoSession?: TakoSession;
  }
  interface WindowEventMap {
    'takoSession#initialized': Event;
  }
}
