/**
 * One error type for the whole product. `kind` says what went wrong, `code` is the EIP-1193 style
 * number a page can branch on, `transient` tells the lifecycle whether retrying can help.
 */
import { type TakoNoSessionReason, TakoSessionErrorCode } from './tako-session-api.ts';

export type ErrorKind =
  | 'network' // the request never got a reply (offline, DNS, connection dropped)
  | 'timeout' // no reply within the client's deadline
  | 'http' // the server replied with a non-2xx status
  | 'api' // 2xx, but the body's `status` is not "success"
  | 'malformed' // the reply (or a token in it) does not have the documented shape
  | 'invalid' // bad input handed to us: an address, a message, a signature, a field
  | 'rejected' // the person refused (wallet or approval window)
  | 'not-allowed' // the origin was not allowed by the person
  | 'unknown-method'
  | 'no-session' // signed out or expired
  | 'wallet' // the wallet failed or is missing
  | 'internal';

/** The EIP-1193 style codes of the page contract. */
export type ErrorCode = (typeof TakoSessionErrorCode)[keyof typeof TakoSessionErrorCode];

const codeForKind: Record<ErrorKind, ErrorCode> = {
  network: TakoSessionErrorCode.Internal,
  timeout: TakoSessionErrorCode.Internal,
  http: TakoSessionErrorCode.Internal,
  api: TakoSessionErrorCode.Internal,
  malformed: TakoSessionErrorCode.Internal,
  invalid: TakoSessionErrorCode.InvalidParams,
  rejected: TakoSessionErrorCode.UserRejected,
  'not-allowed': TakoSessionErrorCode.Unauthorized,
  'unknown-method': TakoSessionErrorCode.UnsupportedMethod,
  'no-session': TakoSessionErrorCode.NoSession,
  wallet: TakoSessionErrorCode.Internal,
  internal: TakoSessionErrorCode.Internal,
};

export interface TakoErrorOptions {
  transient?: boolean;
  /** HTTP status of the reply, when there was one. */
  httpStatus?: number;
  /** The server's own words, when it sent any. */
  serverMessage?: string;
  /** From a `Retry-After` header, in milliseconds. */
  retryAfterMs?: number;
  code?: ErrorCode;
  /** Extra facts for the page, sent along with the code (4900 says why there is no session). */
  data?: unknown;
  cause?: unknown;
}

/** A sign-in the person stopped ends with this (4001): not a failure to show them. */
export const SIGN_IN_CANCELLED = 'Sign-in cancelled';

/** Why there is no token to hand out: the `data.reason` of a 4900. */
export type NoSessionReason = TakoNoSessionReason;

/** A 4900 "no session" error carrying `data: { reason }` as the page API documents. */
export function noSession(reason: NoSessionReason, message: string): TakoError {
  return new TakoError('no-session', message, { data: { reason } });
}

export class TakoError extends Error {
  override readonly name = 'TakoError';
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly transient: boolean;
  readonly httpStatus: number | undefined;
  readonly serverMessage: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly data: unknown;

  constructor(kind: ErrorKind, message: string, options: TakoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.code = options.code ?? codeForKind[kind];
    this.transient = options.transient ?? false;
    this.httpStatus = options.httpStatus;
    this.serverMessage = options.serverMessage;
    this.retryAfterMs = options.retryAfterMs;
    this.data = options.data;
  }
}

export function isTakoError(value: unknown): value is TakoError {
  return value instanceof TakoError;
}

/** A readable one-line description of anything thrown, for UI and error replies. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'Unexpected error';
}
