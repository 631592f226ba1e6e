/**
 * The Tako API client (core/api/tako-client.ts): every documented reply and error read, sign-in and
 * refresh requests, deadlines, and https required at request time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseRetryAfterMs,
  parseTokenReply,
  REQUEST_TIMEOUT_MS,
  requestRefresh,
  requestSignIn,
  type TakoClientDeps,
} from '../../src/core/api/tako-client.ts';
import { customEndpoint, type Endpoint, INSECURE_URL_MESSAGE, PRESET_ENDPOINTS } from '../../src/core/session/endpoints.ts';
import { assertError, catchTakoError, rejectsTakoError } from '../support/assert-tako-error.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { vectors } from '../support/vectors.ts';

const { getToken, refreshToken } = vectors.tokens;
const { message, signature } = vectors.signIn;

/** When getToken's pair was issued: its access token's exp minus 3600 s. */
const SIGN_IN_NOW_MS = (getToken.token_claims.exp - getToken.expires_in) * 1000; // 2023-08-02T07:04:07Z
const SIGN_IN_DATE_HEADER = 'Wed, 02 Aug 2023 07:04:07 GMT';
/** When refreshToken's pair was issued. */
const REFRESH_NOW_MS = (refreshToken.token_claims.exp - refreshToken.expires_in) * 1000; // 2023-08-02T07:09:02Z
const REFRESH_DATE_HEADER = 'Wed, 02 Aug 2023 07:09:02 GMT';

type Pair = { token: string; refresh_token: string; expires_in: number };

/** The documented success body. */
function successBody(pair: Pair): string {
  return JSON.stringify({
    status: 'success',
    data: { token_type: 'Bearer', token: pair.token, refresh_token: pair.refresh_token, expires_in: pair.expires_in },
  });
}

function dataBody(data: Record<string, unknown>): string {
  return JSON.stringify({ status: 'success', data });
}

/** An unsigned JWT with the given claims (the client reads claims, it never verifies). */
function jwtWith(payload: unknown): string {
  return `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
}

describe('parseTokenReply: documented success bodies', () => {
  test('getToken: both tokens, their claims, and the server date', () => {
    const grant = parseTokenReply(200, successBody(getToken), { date: SIGN_IN_DATE_HEADER }, SIGN_IN_NOW_MS);
    assert.deepEqual(grant, {
      token: getToken.token,
      refreshToken: getToken.refresh_token,
      tokenType: 'Bearer',
      expiresInSec: 3600,
      access: getToken.token_claims,
      refresh: getToken.refresh_token_claims,
      // Sent and read at the same instant, stamped that second: the server is between 0 and 1 s ahead.
      clock: { lowMs: 0, highMs: 1000, atMs: SIGN_IN_NOW_MS },
    });
  });

  test('refreshToken: the rotated pair and the server date', () => {
    const grant = parseTokenReply(200, successBody(refreshToken), { date: REFRESH_DATE_HEADER }, REFRESH_NOW_MS);
    assert.equal(grant.token, refreshToken.token);
    assert.equal(grant.refreshToken, refreshToken.refresh_token);
    assert.notEqual(grant.refreshToken, refreshToken.request.refresh_token);
    assert.deepEqual(grant.access, refreshToken.token_claims);
    assert.deepEqual(grant.refresh, refreshToken.refresh_token_claims);
    assert.equal(grant.expiresInSec, refreshToken.expires_in);
    assert.equal(REFRESH_NOW_MS, Date.UTC(2023, 7, 2, 7, 9, 2));
    assert.deepEqual(grant.clock, { lowMs: 0, highMs: 1000, atMs: REFRESH_NOW_MS });
  });

  test('no Date header, or an unreadable one: the reply bounds no clock', () => {
    assert.equal(parseTokenReply(200, successBody(getToken), {}, SIGN_IN_NOW_MS).clock, undefined);
    assert.equal(parseTokenReply(200, successBody(getToken), { date: null }, SIGN_IN_NOW_MS).clock, undefined);
    assert.equal(parseTokenReply(200, successBody(getToken), { date: 'yesterday-ish' }, SIGN_IN_NOW_MS).clock, undefined);
  });

  test('token_type is optional and case-insensitive; any 2xx is a reply', () => {
    const { token_type: _ignored, ...withoutType } = JSON.parse(successBody(getToken)).data as Record<string, unknown>;
    assert.equal(parseTokenReply(200, dataBody(withoutType), {}, SIGN_IN_NOW_MS).tokenType, 'Bearer');
    assert.equal(parseTokenReply(201, dataBody({ ...withoutType, token_type: 'bearer' }), {}, SIGN_IN_NOW_MS).token, getToken.token);
  });
});

describe('parseTokenReply: HTTP errors', () => {
  test('500 and 503 are transient', () => {
    for (const status of [500, 503]) {
      const error = catchTakoError(() => parseTokenReply(status, '<html>Bad gateway</html>', {}, SIGN_IN_NOW_MS));
      assertError(error, { kind: 'http', transient: true, httpStatus: status });
      assert.equal(error.message, `The Tako API answered ${status}: HTTP ${status}`);
    }
  });

  test('429 with Retry-After: 7 is transient, retry after 7000 ms', () => {
    const error = catchTakoError(() => parseTokenReply(429, '', { retryAfter: '7' }, SIGN_IN_NOW_MS));
    assertError(error, { kind: 'http', transient: true, httpStatus: 429, retryAfterMs: 7000 });
    assert.match(error.message, /429: too many requests/);
  });

  test('429 with an HTTP-date Retry-After: the time left until then', () => {
    const error = catchTakoError(() => parseTokenReply(429, '', { retryAfter: 'Wed, 02 Aug 2023 07:04:37 GMT' }, SIGN_IN_NOW_MS));
    assertError(error, { kind: 'http', transient: true, httpStatus: 429, retryAfterMs: 30_000 });
  });

  test('401 "refresh token reused" is permanent and carries the server message', () => {
    const error = catchTakoError(() => parseTokenReply(401, '{"status":"error","message":"refresh token reused"}', {}, REFRESH_NOW_MS));
    assertError(error, { kind: 'http', transient: false, httpStatus: 401, serverMessage: 'refresh token reused' });
    assert.equal(error.message, 'The Tako API answered 401: refresh token reused');
  });

  test('other 4xx are permanent; 408 is transient', () => {
    assertError(
      catchTakoError(() => parseTokenReply(400, '{"message":"invalid signature"}', {}, SIGN_IN_NOW_MS)),
      { kind: 'http', transient: false, httpStatus: 400, serverMessage: 'invalid signature' },
    );
    assertError(
      catchTakoError(() => parseTokenReply(403, '', {}, SIGN_IN_NOW_MS)),
      {
        kind: 'http',
        transient: false,
        httpStatus: 403,
      },
    );
    assertError(
      catchTakoError(() => parseTokenReply(408, '', {}, SIGN_IN_NOW_MS)),
      {
        kind: 'http',
        transient: true,
        httpStatus: 408,
      },
    );
  });

  test('a nested error message is found (the MetaHuman-style error shape)', () => {
    const body = JSON.stringify(vectors.metahuman.error_shape);
    const error = catchTakoError(() => parseTokenReply(400, body, {}, SIGN_IN_NOW_MS));
    assertError(error, {
      kind: 'http',
      transient: false,
      httpStatus: 400,
      serverMessage: vectors.metahuman.error_shape.error.message,
    });
  });
});

describe('parseTokenReply: 2xx that is not a token pair', () => {
  test('200 with status "error" is a permanent api error with the server message', () => {
    const error = catchTakoError(() => parseTokenReply(200, '{"status":"error","message":"signature expired"}', {}, SIGN_IN_NOW_MS));
    assertError(error, { kind: 'api', transient: false, httpStatus: 200, serverMessage: 'signature expired' });
    assert.equal(error.message, 'The Tako API refused: signature expired');
  });

  test('200 with another status and no message names the status', () => {
    const error = catchTakoError(() => parseTokenReply(200, '{"status":"pending"}', {}, SIGN_IN_NOW_MS));
    assertError(error, { kind: 'api', transient: false, httpStatus: 200 });
    assert.match(error.message, /status "pending"/);
  });

  test('a body from another API (MetaHuman token reply) is refused, not mistaken for tokens', () => {
    const body = JSON.stringify(vectors.metahuman.response_example);
    const error = catchTakoError(() => parseTokenReply(200, body, {}, SIGN_IN_NOW_MS));
    assert.equal(error.kind, 'api');
    assert.ok(!error.message.includes(vectors.metahuman.response_example.result.token), 'no token in the message');
  });

  test('200 non-JSON is malformed', () => {
    for (const body of ['<html>Sign in to the Wi-Fi</html>', '', '"success"', 'null']) {
      const error = catchTakoError(() => parseTokenReply(200, body, {}, SIGN_IN_NOW_MS));
      assert.equal(error.kind, 'malformed');
      assert.match(error.message, /not JSON/);
    }
  });

  test('missing data', () => {
    const error = catchTakoError(() => parseTokenReply(200, '{"status":"success"}', {}, SIGN_IN_NOW_MS));
    assert.equal(error.kind, 'malformed');
    assert.match(error.message, /no data/);
  });

  test('missing token or refresh_token', () => {
    for (const data of [
      { token_type: 'Bearer', refresh_token: getToken.refresh_token, expires_in: 3600 },
      { token_type: 'Bearer', token: getToken.token, expires_in: 3600 },
      { token_type: 'Bearer', token: 42, refresh_token: getToken.refresh_token, expires_in: 3600 },
    ]) {
      const error = catchTakoError(() => parseTokenReply(200, dataBody(data), {}, SIGN_IN_NOW_MS));
      assert.equal(error.kind, 'malformed');
      assert.match(error.message, /missing the token or refresh_token/);
    }
  });

  test('missing or invalid expires_in', () => {
    for (const expires_in of [undefined, '3600', 0, -5]) {
      const data = { token_type: 'Bearer', token: getToken.token, refresh_token: getToken.refresh_token, expires_in };
      const error = catchTakoError(() => parseTokenReply(200, dataBody(data), {}, SIGN_IN_NOW_MS));
      assert.equal(error.kind, 'malformed');
      assert.match(error.message, /expires_in/);
    }
  });

  test('a token type other than Bearer', () => {
    const data = { token_type: 'MAC', token: getToken.token, refresh_token: getToken.refresh_token, expires_in: 3600 };
    const error = catchTakoError(() => parseTokenReply(200, dataBody(data), {}, SIGN_IN_NOW_MS));
    assert.equal(error.kind, 'malformed');
    assert.match(error.message, /unsupported token type: MAC/);
  });

  test('a refresh token in the token slot (tokens swapped)', () => {
    const swapped = { token: getToken.refresh_token, refresh_token: getToken.token, expires_in: 3600 };
    const error = catchTakoError(() => parseTokenReply(200, successBody(swapped), {}, SIGN_IN_NOW_MS));
    assert.equal(error.kind, 'malformed');
    assert.match(error.message, /Expected a token but got a refresh_token/);
  });

  test('tokens for two different addresses', () => {
    const other = jwtWith({ address: DEV_ADDRESS, type: 'refresh_token', exp: 1691046247 });
    const mixed = { token: getToken.token, refresh_token: other, expires_in: 3600 };
    const error = catchTakoError(() => parseTokenReply(200, successBody(mixed), {}, SIGN_IN_NOW_MS));
    assert.equal(error.kind, 'malformed');
    assert.match(error.message, /two different addresses/);
  });
});

describe('parseRetryAfterMs', () => {
  test('delta-seconds, HTTP date, past date, nothing, garbage', () => {
    assert.equal(parseRetryAfterMs('7', SIGN_IN_NOW_MS), 7000);
    assert.equal(parseRetryAfterMs(' 120 ', SIGN_IN_NOW_MS), 120_000);
    assert.equal(parseRetryAfterMs('Wed, 02 Aug 2023 07:05:07 GMT', SIGN_IN_NOW_MS), 60_000);
    assert.equal(parseRetryAfterMs('Wed, 02 Aug 2023 07:00:00 GMT', SIGN_IN_NOW_MS), 0);
    assert.equal(parseRetryAfterMs(undefined, SIGN_IN_NOW_MS), undefined);
    assert.equal(parseRetryAfterMs(null, SIGN_IN_NOW_MS), undefined);
    assert.equal(parseRetryAfterMs('', SIGN_IN_NOW_MS), undefined);
    assert.equal(parseRetryAfterMs('soon', SIGN_IN_NOW_MS), undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// requestSignIn / requestRefresh through a fake `fetch` (the dependency the shell passes in).

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(reply: (call: Call) => Promise<Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const call = { url: String(input), init: init ?? {} };
    calls.push(call);
    return reply(call);
  };
  return { fetch: fn as typeof fetch, calls };
}

function respond(status: number, body: string, headers: Record<string, string> = {}): () => Promise<Response> {
  return async () => new Response(body, { status, headers });
}

function deps(fetchFn: typeof fetch, nowMs: number, timeoutMs?: number): TakoClientDeps {
  return { fetch: fetchFn, now: () => nowMs, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
}

describe('requestSignIn', () => {
  test('POSTs {message, signature} as JSON to /v2/token and returns the grant', async () => {
    const { fetch, calls } = fakeFetch(respond(200, successBody(getToken), { date: SIGN_IN_DATE_HEADER }));
    const grant = await requestSignIn(deps(fetch, SIGN_IN_NOW_MS), PRESET_ENDPOINTS['tako-v2'], { message, signature });

    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.equal(call!.url, 'https://api.tako.so/v2/token');
    assert.equal(call!.init.method, 'POST');
    assert.deepEqual(JSON.parse(String(call!.init.body)), { message, signature });
    assert.equal(String(call!.init.body), JSON.stringify({ message, signature }));
    const headers = new Headers(call!.init.headers);
    assert.equal(headers.get('content-type'), 'application/json');
    assert.equal(headers.get('accept'), 'application/json');
    assert.equal(call!.init.credentials, 'omit');
    assert.ok(call!.init.signal instanceof AbortSignal);

    assert.deepEqual(grant.access, getToken.token_claims);
    assert.deepEqual(grant.refresh, getToken.refresh_token_claims);
    assert.deepEqual(grant.clock, { lowMs: 0, highMs: 1000, atMs: SIGN_IN_NOW_MS });
  });

  test('the v1 preset posts to the legacy host and path', async () => {
    const { fetch, calls } = fakeFetch(respond(200, successBody(getToken)));
    await requestSignIn(deps(fetch, SIGN_IN_NOW_MS), PRESET_ENDPOINTS['tako-v1'], { message, signature });
    assert.equal(calls[0]!.url, 'https://api.takoyaki.so/v1/token');
  });

  test('an error reply comes back as the parsed TakoError', async () => {
    const { fetch } = fakeFetch(respond(200, '{"status":"error","message":"invalid signature"}'));
    const error = await rejectsTakoError(requestSignIn(deps(fetch, SIGN_IN_NOW_MS), PRESET_ENDPOINTS['tako-v2'], { message, signature }));
    assertError(error, { kind: 'api', transient: false, httpStatus: 200, serverMessage: 'invalid signature' });
  });
});

describe('requestRefresh', () => {
  test('POSTs the documented {refresh_token} body to /v2/refresh_token and returns the rotated pair', async () => {
    const { fetch, calls } = fakeFetch(respond(200, successBody(refreshToken), { date: REFRESH_DATE_HEADER }));
    const grant = await requestRefresh(deps(fetch, REFRESH_NOW_MS), PRESET_ENDPOINTS['tako-v2'], getToken.refresh_token);

    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.url, 'https://api.tako.so/v2/refresh_token');
    assert.equal(calls[0]!.init.method, 'POST');
    assert.deepEqual(JSON.parse(String(calls[0]!.init.body)), refreshToken.request);
    assert.deepEqual(grant.access, refreshToken.token_claims);
    assert.deepEqual(grant.refresh, refreshToken.refresh_token_claims);
    assert.deepEqual(grant.clock, { lowMs: 0, highMs: 1000, atMs: REFRESH_NOW_MS });
  });

  test('custom v1 endpoint', async () => {
    const { fetch, calls } = fakeFetch(respond(200, successBody(refreshToken)));
    await requestRefresh(deps(fetch, REFRESH_NOW_MS), customEndpoint('http://127.0.0.1:8787/', 'v1'), getToken.refresh_token);
    assert.equal(calls[0]!.url, 'http://127.0.0.1:8787/v1/refresh_token');
  });

  test('429 with an HTTP-date Retry-After uses the injected clock', async () => {
    const { fetch } = fakeFetch(respond(429, '{"message":"slow down"}', { 'retry-after': 'Wed, 02 Aug 2023 07:09:12 GMT' }));
    const error = await rejectsTakoError(requestRefresh(deps(fetch, REFRESH_NOW_MS), PRESET_ENDPOINTS['tako-v2'], getToken.refresh_token));
    assertError(error, { kind: 'http', transient: true, httpStatus: 429, serverMessage: 'slow down', retryAfterMs: 10_000 });
  });

  test('401 refresh token reused is permanent', async () => {
    const { fetch } = fakeFetch(respond(401, '{"status":"error","message":"refresh token reused"}'));
    const error = await rejectsTakoError(requestRefresh(deps(fetch, REFRESH_NOW_MS), PRESET_ENDPOINTS['tako-v2'], getToken.refresh_token));
    assertError(error, { kind: 'http', transient: false, httpStatus: 401, serverMessage: 'refresh token reused' });
  });

  test('a fetch that rejects with TypeError is a transient network error naming the host', async () => {
    const cause = new TypeError('fetch failed');
    const { fetch } = fakeFetch(async () => {
      throw cause;
    });
    const error = await rejectsTakoError(requestRefresh(deps(fetch, REFRESH_NOW_MS), PRESET_ENDPOINTS['tako-v2'], getToken.refresh_token));
    assertError(error, { kind: 'network', transient: true });
    assert.equal(error.message, 'Could not reach the Tako API at api.tako.so');
    assert.equal(error.cause, cause);
  });

  test('a fetch that never answers but honours the AbortSignal times out (timeoutMs: 50)', async () => {
    // Node does not keep the process alive for AbortSignal.timeout alone; this timer does.
    const keepAlive = setTimeout(() => {}, 10_000);
    try {
      let signal: AbortSignal | undefined;
      const { fetch } = fakeFetch(
        ({ init }) =>
          new Promise<Response>((_resolve, reject) => {
            signal = init.signal ?? undefined;
            signal?.addEventListener('abort', () => reject(signal!.reason), { once: true });
          }),
      );
      const started = performance.now();
      const error = await rejectsTakoError(
        requestRefresh(deps(fetch, REFRESH_NOW_MS, 50), PRESET_ENDPOINTS['tako-v2'], getToken.refresh_token),
      );
      const elapsed = performance.now() - started;
      assertError(error, { kind: 'timeout', transient: true });
      assert.match(error.message, /did not answer within/);
      assert.equal(signal?.aborted, true);
      assert.ok(elapsed >= 40 && elapsed < 5000, `timed out after ${elapsed} ms`);
    } finally {
      clearTimeout(keepAlive);
    }
  });

  test('the default deadline is 15 s', () => {
    assert.equal(REQUEST_TIMEOUT_MS, 15_000);
  });
});

// Guards: signatures and tokens travel only over https:// (http:// to this computer alone), for
// every request, whatever the stored settings say: an endpoint saved before the settings refused
// http:// to another host, or written by an older build, is refused before anything is sent.
describe('an endpoint stored before https was required', () => {
  const stored: Endpoint = { preset: 'custom', baseUrl: 'http://api.example.com', version: 'v2' };

  test('sign-in sends the signature nowhere', async () => {
    const { fetch, calls } = fakeFetch(respond(200, successBody(getToken)));
    const error = await rejectsTakoError(requestSignIn(deps(fetch, SIGN_IN_NOW_MS), stored, { message, signature }));
    assert.equal(error.kind, 'invalid');
    assert.equal(error.message, INSECURE_URL_MESSAGE);
    assert.deepEqual(calls, []);
  });

  test('refresh sends the refresh token nowhere', async () => {
    const { fetch, calls } = fakeFetch(respond(200, successBody(refreshToken)));
    const error = await rejectsTakoError(requestRefresh(deps(fetch, REFRESH_NOW_MS), stored, getToken.refresh_token));
    assert.equal(error.kind, 'invalid');
    assert.equal(error.message, INSECURE_URL_MESSAGE);
    assert.deepEqual(calls, []);
  });
});
