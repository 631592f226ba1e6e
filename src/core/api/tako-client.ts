import { TakoError } from '../contract/errors.ts';
import { type Endpoint, refreshUrl, signInUrl } from '../session/endpoints.ts';
import { type ClockSample, parseHttpDate, sampleFromReply } from '../session/server-clock.ts';
import { isTransientStatus, parseJson, postWithDeadline } from './http.ts';
import { decodeTakoClaims, type TakoClaims } from './jwt.ts';

export const REQUEST_TIMEOUT_MS = 15_000;

/** A successful sign-in or refresh: the new token pair and what we read from it. */
export interface TokenGrant {
  token: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresInSec: number;
  access: TakoClaims;
  refresh: TakoClaims;
  /** What the reply's `Date` header bounds of the server's clock, if it sent a readable one. */
  clock: ClockSample | undefined;
}

export interface ReplyHeaders {
  date?: string | null | undefined;
  retryAfter?: string | null | undefined;
}

export interface TakoClientDeps {
  fetch: typeof fetch;
  now: () => number;
  timeoutMs?: number;
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The server's own words from an error body, whatever field it used. */
function serverMessageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const field of ['message', 'msg', 'detail', 'error']) {
    const value = record[field];
    if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 300);
    if (typeof value === 'object' && value !== null) {
      const nested = serverMessageOf(value);
      if (nested) return nested;
    }
  }
  return undefined;
}

/**
 * Turns an HTTP reply into a TokenGrant or a TakoError. Pure: the caller did the I/O, sending the
 * request at local time `sentAtMs` and reading the reply at `nowMs`.
 * 5xx / 429 / 408 are transient; other statuses and a non-success `status` are permanent; a reply
 * we cannot read at all is treated as transient, because a proxy or captive portal sends those.
 */
export function parseTokenReply(status: number, bodyText: string, headers: ReplyHeaders, nowMs: number, sentAtMs = nowMs): TokenGrant {
  const body = parseJson(bodyText);
  const serverMessage = serverMessageOf(body);
  const serverDateMs = parseHttpDate(headers.date);

  if (status < 200 || status > 299) {
    const transient = isTransientStatus(status);
    // An HTTP-date Retry-After is on the server's clock: measured from its own Date when it sent one.
    const retryAfterMs = parseRetryAfterMs(headers.retryAfter, serverDateMs ?? nowMs);
    const reason = serverMessage ?? (status === 429 ? 'too many requests' : `HTTP ${status}`);
    throw new TakoError('http', `The Tako API answered ${status}: ${reason}`, {
      transient,
      httpStatus: status,
      ...(serverMessage === undefined ? {} : { serverMessage }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (typeof body !== 'object' || body === null) {
    throw new TakoError('malformed', 'The Tako API sent a reply that is not JSON', { transient: true, httpStatus: status });
  }
  const envelope = body as Record<string, unknown>;
  if (envelope.status !== 'success') {
    throw new TakoError('api', `The Tako API refused: ${serverMessage ?? `status "${String(envelope.status)}"`}`, {
      httpStatus: status,
      ...(serverMessage === undefined ? {} : { serverMessage }),
    });
  }
  const data = envelope.data;
  if (typeof data !== 'object' || data === null) {
    throw new TakoError('malformed', 'The Tako API reply has no data', { transient: true, httpStatus: status });
  }
  const { token, refresh_token: refreshToken, token_type: tokenType, expires_in: expiresIn } = data as Record<string, unknown>;
  if (typeof token !== 'string' || typeof refreshToken !== 'string') {
    throw new TakoError('malformed', 'The Tako API reply is missing the token or refresh_token', { transient: true });
  }
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    throw new TakoError('malformed', `The Tako API sent an unsupported token type: ${String(tokenType)}`);
  }
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new TakoError('malformed', 'The Tako API reply has no valid expires_in', { transient: true });
  }
  const access = decodeTakoClaims(token, 'token');
  const refresh = decodeTakoClaims(refreshToken, 'refresh_token');
  if (access.address !== refresh.address) {
    throw new TakoError('malformed', 'The Tako API sent tokens for two different addresses');
  }
  return {
    token,
    refreshToken,
    tokenType: 'Bearer',
    expiresInSec: expiresIn,
    access,
    refresh,
    clock: sampleFromReply(serverDateMs, sentAtMs, nowMs),
  };
}

async function postJson(deps: TakoClientDeps, url: string, body: unknown): Promise<TokenGrant> {
  // The moment the request leaves bounds the server's clock from above (server-clock.ts).
  const sentAtMs = deps.now();
  const reply = await postWithDeadline(
    deps,
    'Tako API',
    url,
    { contentType: 'application/json', body: JSON.stringify(body) },
    REQUEST_TIMEOUT_MS,
  );
  return parseTokenReply(
    reply.status,
    reply.text,
    { date: reply.headers.get('date'), retryAfter: reply.headers.get('retry-after') },
    deps.now(),
    sentAtMs,
  );
}

export function requestSignIn(
  deps: TakoClientDeps,
  endpoint: Endpoint,
  signed: { message: string; signature: string },
): Promise<TokenGrant> {
  return postJson(deps, signInUrl(endpoint), { message: signed.message, signature: signed.signature });
}

export function requestRefresh(deps: TakoClientDeps, endpoint: Endpoint, refreshToken: string): Promise<TokenGrant> {
  return postJson(deps, refreshUrl(endpoint), { refresh_token: refreshToken });
}

/** How long to wait for the clock probe: it only improves ISSUED AT, so it must never hold up sign-in. */
const CLOCK_PROBE_TIMEOUT_MS = 3000;

/**
 * What the server's `Date` says of its clock before sign-in, so that ISSUED AT can be written in
 * the server's time when our clock is off (the API refuses a message more than 5 minutes away from
 * its clock). Any answer carries the header; no answer at all means we fall back to our own clock.
 */
export async function probeServerClock(deps: TakoClientDeps, endpoint: Endpoint): Promise<ClockSample | undefined> {
  try {
    const sentAtMs = deps.now();
    const response = await deps.fetch(`${endpoint.baseUrl}/`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(CLOCK_PROBE_TIMEOUT_MS),
      credentials: 'omit',
      cache: 'no-store',
    });
    return sampleFromReply(parseHttpDate(response.headers.get('date')), sentAtMs, deps.now());
  } catch {
    return undefined;
  }
}
