/**
 * The MetaHuman client (core/api/metahuman.ts): the form's fields, the request, every documented
 * reply and error, the masked token, and the deadline.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  METAHUMAN_DEFAULT_BASE_URL,
  METAHUMAN_TIMEOUT_MS,
  type MetahumanClientDeps,
  maskMetahumanToken,
  metahumanApiError,
  metahumanFieldErrors,
  metahumanTokenBody,
  metahumanTokenUrl,
  PERSONAL_DATA_COLLECTION,
  parseMetahumanReply,
  permissionsToSend,
  requestMetahumanToken,
  validateMetahumanFields,
} from '../../src/core/api/metahuman.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { assertError, catchTakoError, rejectsTakoError } from '../support/assert-tako-error.ts';
import { vectors } from '../support/vectors.ts';

const { request, response_example: responseExample, error_shape: errorShape } = vectors.metahuman;
const DOCUMENTED_TOKEN = responseExample.result.token;
const ADA = { name: 'Ada Lovelace', mail: 'ada@example.com', comment: 'demo' };

describe('field validation', () => {
  test('valid fields come back trimmed; the comment is optional', () => {
    assert.deepEqual(validateMetahumanFields({ name: '  Ada Lovelace ', mail: ' ada@example.com\n', comment: ' hi ' }), {
      name: 'Ada Lovelace',
      mail: 'ada@example.com',
      comment: 'hi',
    });
    assert.deepEqual(validateMetahumanFields({ name: 'Ada', mail: 'ada@example.com' }), {
      name: 'Ada',
      mail: 'ada@example.com',
      comment: '',
    });
    assert.deepEqual(metahumanFieldErrors(ADA), {});
  });

  test('the name is required, trimmed, at most 200 characters', () => {
    assert.deepEqual(metahumanFieldErrors({ ...ADA, name: '' }), { name: 'Enter your name' });
    assert.deepEqual(metahumanFieldErrors({ ...ADA, name: ' \t ' }), { name: 'Enter your name' });
    assert.deepEqual(metahumanFieldErrors({ ...ADA, name: undefined }), { name: 'Enter your name' });
    assert.deepEqual(metahumanFieldErrors({ ...ADA, name: `  ${'n'.repeat(200)}  ` }), {});
    assert.deepEqual(metahumanFieldErrors({ ...ADA, name: 'n'.repeat(201) }), { name: 'Use at most 200 characters (now 201)' });
  });

  test('the mail is required and must look like an address', () => {
    assert.deepEqual(metahumanFieldErrors({ ...ADA, mail: '' }), { mail: 'Enter your e-mail address' });
    for (const mail of ['ada', 'ada@', '@example.com', 'ada@example', 'ada lovelace@example.com', 'ada@@example.com', 'ada@exa mple.com']) {
      assert.deepEqual(metahumanFieldErrors({ ...ADA, mail }), { mail: 'Enter an e-mail address such as ada@example.com' }, mail);
    }
    for (const mail of ['ada@example.com', 'ada.lovelace+mh@mail.example.co.uk', 'A_D-A@Example.IO']) {
      assert.deepEqual(metahumanFieldErrors({ ...ADA, mail }), {}, mail);
    }
    assert.deepEqual(metahumanFieldErrors({ ...ADA, mail: `${'a'.repeat(250)}@example.com` }), { mail: 'Use at most 254 characters' });
  });

  test('the comment is at most 1000 characters', () => {
    assert.deepEqual(metahumanFieldErrors({ ...ADA, comment: 'c'.repeat(1000) }), {});
    assert.deepEqual(metahumanFieldErrors({ ...ADA, comment: 'c'.repeat(1001) }), { comment: 'Use at most 1000 characters (now 1001)' });
  });

  test('anything that is not a string counts as empty', () => {
    assert.deepEqual(metahumanFieldErrors({ name: 42, mail: { at: 'example.com' }, comment: ['x'] }), {
      name: 'Enter your name',
      mail: 'Enter your e-mail address',
    });
  });

  test('invalid fields throw one TakoError (invalid, -32602) naming every wrong field', () => {
    const error = catchTakoError(() => validateMetahumanFields({ name: '', mail: 'nope', comment: 'c'.repeat(1001) }));
    assert.equal(error.kind, 'invalid');
    assert.equal(error.code, TakoSessionErrorCode.InvalidParams);
    assert.equal(
      error.message,
      'Name: Enter your name. E-mail: Enter an e-mail address such as ada@example.com. Comment: Use at most 1000 characters (now 1001)',
    );
  });
});

describe('request body and URL', () => {
  test('the documented form fields, in order, form-urlencoded', () => {
    const body = metahumanTokenBody({ name: 'Ada Lovelace', mail: 'ada+mh@example.com', comment: 'a&b=c' });
    assert.deepEqual([...body.keys()], request.fields);
    assert.equal(body.toString(), 'name=Ada+Lovelace&mail=ada%2Bmh%40example.com&comment=a%26b%3Dc');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body.toString())), {
      name: 'Ada Lovelace',
      mail: 'ada+mh@example.com',
      comment: 'a&b=c',
    });
  });

  test('an empty comment is still sent, as the documentation does', () => {
    assert.equal(
      metahumanTokenBody({ name: 'Ada', mail: 'ada@example.com', comment: '' }).toString(),
      'name=Ada&mail=ada%40example.com&comment=',
    );
  });

  test('the token URL joins /auth/token to the base URL', () => {
    assert.equal(METAHUMAN_DEFAULT_BASE_URL, 'https://api.metahumansdk.io');
    assert.equal(metahumanTokenUrl(METAHUMAN_DEFAULT_BASE_URL), 'https://api.metahumansdk.io/auth/token');
    assert.equal(metahumanTokenUrl('http://127.0.0.1:8787/'), 'http://127.0.0.1:8787/auth/token');
    assert.equal(metahumanTokenUrl('https://proxy.example.com/mh/'), 'https://proxy.example.com/mh/auth/token');
    assert.equal(catchTakoError(() => metahumanTokenUrl('ftp://example.com')).kind, 'invalid');
  });
});

describe('parseMetahumanReply', () => {
  test('the documented success body gives the token', () => {
    assert.deepEqual(parseMetahumanReply(200, JSON.stringify(responseExample)), { token: DOCUMENTED_TOKEN });
  });

  test('the documented error shape on a 4xx: permanent, with the API message and code in the text', () => {
    const body = { error: { code: 1003, message: 'Field "name" must be at most 200 characters' } };
    assert.deepEqual(Object.keys(body.error), Object.keys(errorShape.error));
    const error = catchTakoError(() => parseMetahumanReply(400, JSON.stringify(body)));
    assertError(error, { kind: 'http', transient: false, httpStatus: 400, serverMessage: body.error.message });
    assert.equal(error.message, 'The MetaHuman SDK API answered 400: Field "name" must be at most 200 characters (error 1003)');
  });

  test('the error shape from the vectors file is read as it is', () => {
    const error = catchTakoError(() => parseMetahumanReply(403, JSON.stringify(errorShape)));
    assertError(error, { kind: 'http', transient: false, httpStatus: 403, serverMessage: errorShape.error.message });
    assert.ok(error.message.includes(`${errorShape.error.message} (error ${errorShape.error.code})`), error.message);
  });

  test('the error shape on a 2xx is a refusal, not a token', () => {
    const error = catchTakoError(() => parseMetahumanReply(200, JSON.stringify({ error: { code: 7, message: 'quota exceeded' } })));
    assertError(error, { kind: 'api', transient: false, httpStatus: 200, serverMessage: 'quota exceeded' });
    assert.equal(error.message, 'The MetaHuman SDK API refused: quota exceeded (error 7)');
  });

  test('5xx, 429 and 408 are transient and say to try again', () => {
    for (const status of [500, 502, 503, 429, 408]) {
      const error = catchTakoError(() => parseMetahumanReply(status, '<html>busy</html>'));
      assertError(error, { kind: 'http', transient: true, httpStatus: status });
      assert.match(error.message, /try again in a moment$/);
    }
    assert.equal(
      catchTakoError(() => parseMetahumanReply(429, '')).message,
      'The MetaHuman SDK API answered 429: too many requests; try again in a moment',
    );
    assert.equal(
      catchTakoError(() => parseMetahumanReply(502, '')).message,
      'The MetaHuman SDK API answered 502: HTTP 502; try again in a moment',
    );
  });

  test('a 5xx with the error shape keeps the API message', () => {
    const error = catchTakoError(() => parseMetahumanReply(503, JSON.stringify({ error: { code: 503, message: 'maintenance' } })));
    assertError(error, { kind: 'http', transient: true, httpStatus: 503, serverMessage: 'maintenance' });
    assert.equal(error.message, 'The MetaHuman SDK API answered 503: maintenance (error 503); try again in a moment');
  });

  test('other 4xx without a readable body are permanent and name the status', () => {
    const error = catchTakoError(() => parseMetahumanReply(404, 'Not Found'));
    assertError(error, { kind: 'http', transient: false, httpStatus: 404 });
    assert.equal(error.message, 'The MetaHuman SDK API answered 404: HTTP 404');
  });

  test('a 2xx that is not JSON is malformed and transient (a proxy or captive portal)', () => {
    for (const body of ['<html>Sign in to the Wi-Fi</html>', '', 'null', '"token"']) {
      assertError(
        catchTakoError(() => parseMetahumanReply(200, body)),
        { kind: 'malformed', transient: true, httpStatus: 200 },
      );
    }
  });

  test('a 2xx without result.token is malformed', () => {
    for (const body of [{}, { result: {} }, { result: null }, { token: DOCUMENTED_TOKEN }]) {
      const error = catchTakoError(() => parseMetahumanReply(200, JSON.stringify(body)));
      assertError(error, { kind: 'malformed', transient: true, httpStatus: 200 });
      assert.equal(error.message, 'The MetaHuman SDK API reply has no result.token');
    }
  });

  test('a token that is not a UUID is refused without repeating it', () => {
    for (const token of ['not-a-uuid-secret', `${DOCUMENTED_TOKEN}x`, 12345, '5775d7add1d34aea83cf1c14512f70cc']) {
      const error = catchTakoError(() => parseMetahumanReply(200, JSON.stringify({ result: { token } })));
      assertError(error, { kind: 'malformed', transient: false, httpStatus: 200 });
      assert.ok(!error.message.includes(String(token)), 'no token in the message');
    }
  });

  test('metahumanApiError reads the envelope, or a part of it, and nothing else', () => {
    assert.deepEqual(metahumanApiError(errorShape), { code: errorShape.error.code, message: errorShape.error.message });
    assert.deepEqual(metahumanApiError({ error: { message: '  spaced  ' } }), { code: undefined, message: 'spaced' });
    assert.deepEqual(metahumanApiError({ error: { code: 42 } }), { code: 42, message: undefined });
    assert.deepEqual(metahumanApiError({ error: 'plain words' }), { code: undefined, message: 'plain words' });
    assert.equal(metahumanApiError(responseExample), undefined);
    assert.equal(metahumanApiError({ error: {} }), undefined);
    assert.equal(metahumanApiError(null), undefined);
    assert.equal(metahumanApiError('error'), undefined);
  });
});

describe('maskMetahumanToken', () => {
  test('shows the first 8 and last 4 characters and keeps the dashes', () => {
    assert.equal(maskMetahumanToken(DOCUMENTED_TOKEN), '5775d7ad-••••-••••-••••-••••••••70cc');
    assert.equal(maskMetahumanToken(DOCUMENTED_TOKEN).length, DOCUMENTED_TOKEN.length);
  });

  test('a short value is hidden entirely', () => {
    assert.equal(maskMetahumanToken('abc'), '•••');
  });
});

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch that records each call and answers with `reply` (the network is what is faked). */
function fakeFetch(reply: (call: Call) => Promise<Response> | Response): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fn = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const call = { url: String(input), init };
    calls.push(call);
    return reply(call);
  };
  return { fetch: fn as typeof fetch, calls };
}

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);

describe('requestMetahumanToken', () => {
  test('posts the trimmed fields as a form and returns the token with when it arrived', async () => {
    const net = fakeFetch(() => new Response(JSON.stringify(responseExample), { status: 200 }));
    const deps: MetahumanClientDeps = { fetch: net.fetch, now: () => NOW };
    const result = await requestMetahumanToken(deps, 'https://api.metahumansdk.io/', { ...ADA, name: ' Ada Lovelace ' });
    assert.deepEqual(result, { token: DOCUMENTED_TOKEN, obtainedAt: NOW });

    assert.equal(net.calls.length, 1);
    const [call] = net.calls;
    assert.equal(call!.url, 'https://api.metahumansdk.io/auth/token');
    assert.equal(call!.init.method, 'POST');
    const headers = new Headers(call!.init.headers);
    assert.equal(headers.get('content-type')!.split(';')[0], request.content_type);
    assert.equal(headers.get('accept'), 'application/json');
    assert.equal(call!.init.body, 'name=Ada+Lovelace&mail=ada%40example.com&comment=demo');
    assert.equal(call!.init.credentials, 'omit');
    assert.ok(call!.init.signal instanceof AbortSignal);
  });

  test('invalid fields are refused before anything is sent', async () => {
    const net = fakeFetch(() => new Response(JSON.stringify(responseExample)));
    const error = await rejectsTakoError(
      requestMetahumanToken({ fetch: net.fetch, now: () => NOW }, METAHUMAN_DEFAULT_BASE_URL, { name: 'Ada', mail: 'ada-at-example' }),
    );
    assert.equal(error.kind, 'invalid');
    assert.match(error.message, /^E-mail: /);
    assert.equal(net.calls.length, 0);
  });

  test('an API error reply becomes a readable TakoError', async () => {
    const net = fakeFetch(
      () => new Response(JSON.stringify({ error: { code: 1002, message: 'Field "mail" is required' } }), { status: 400 }),
    );
    const error = await rejectsTakoError(requestMetahumanToken({ fetch: net.fetch, now: () => NOW }, METAHUMAN_DEFAULT_BASE_URL, ADA));
    assertError(error, { kind: 'http', transient: false, httpStatus: 400, serverMessage: 'Field "mail" is required' });
    assert.equal(error.message, 'The MetaHuman SDK API answered 400: Field "mail" is required (error 1002)');
  });

  test('a network failure is transient and names the host', async () => {
    const net = fakeFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    const error = await rejectsTakoError(requestMetahumanToken({ fetch: net.fetch, now: () => NOW }, METAHUMAN_DEFAULT_BASE_URL, ADA));
    assertError(error, { kind: 'network', transient: true });
    assert.match(error.message, /Could not reach the MetaHuman SDK API at api\.metahumansdk\.io/);
    assert.ok(error.cause instanceof TypeError);
  });

  test('no answer before the deadline is a transient timeout', async () => {
    // Answers only when the client gives up, as a server that never replies would.
    const net = fakeFetch(
      ({ init }) =>
        new Promise<Response>((_resolve, reject) => {
          init.signal!.addEventListener('abort', () => reject(init.signal!.reason));
        }),
    );
    const error = await rejectsTakoError(
      requestMetahumanToken({ fetch: net.fetch, now: () => NOW, timeoutMs: 5 }, METAHUMAN_DEFAULT_BASE_URL, ADA),
    );
    assertError(error, { kind: 'timeout', transient: true });
    assert.match(error.message, /did not answer within/);
  });

  test('the default deadline is 15 s', () => {
    assert.equal(METAHUMAN_TIMEOUT_MS, 15_000);
  });
});

describe('what sending the form needs granted', () => {
  // Guards Firefox's data-collection rule: the name and e-mail are personally identifying, so the
  // person consents as they are sent, wherever the manifest declares that consent optional.
  test('consent to send personal data where the manifest declares it optional, and nothing else by default', () => {
    assert.deepEqual(permissionsToSend(METAHUMAN_DEFAULT_BASE_URL, [PERSONAL_DATA_COLLECTION]), {
      origins: [],
      dataCollection: [PERSONAL_DATA_COLLECTION],
    });
    assert.deepEqual(permissionsToSend(METAHUMAN_DEFAULT_BASE_URL, []), { origins: [], dataCollection: [] });
  });

  test('the host of another API as well', () => {
    assert.deepEqual(permissionsToSend('https://mh.example/api', [PERSONAL_DATA_COLLECTION]), {
      origins: ['https://mh.example/*'],
      dataCollection: [PERSONAL_DATA_COLLECTION],
    });
  });
});
