/**
 * The dapp client module in Node: the real client over a stand-in for `window.takoSession` (the
 * extension's side is proved end to end in tests/e2e/dapp-client.spec.ts) and a recording fetch.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createTakoSessionClient,
  isHeaderOnlyError,
  noSessionReason,
  TakoSessionUnavailableError,
  waitForTakoSession,
} from '../../src/client/tako-session-client.ts';
import {
  type TakoSession,
  TakoSessionErrorCode,
  type TakoSessionEvent,
  type TakoSessionEvents,
} from '../../src/core/contract/tako-session-api.ts';

/** A stand-in for the extension's object: hands out `tokens` in turn, records what it was asked. */
function fakeTakoSession(tokens: string[]) {
  const asked: unknown[] = [];
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  let current = 0;
  const takoSession = {
    async request(args: { method: string; params?: { rejectedToken?: string } }) {
      asked.push(args.params === undefined ? args.method : [args.method, args.params]);
      if (args.method !== 'tako_getToken') return null;
      if (args.params?.rejectedToken === tokens[current]) current = Math.min(current + 1, tokens.length - 1);
      return { token: tokens[current], tokenType: 'Bearer', expiresAt: 0, address: '0x0' };
    },
    on(event: string, listener: (data: unknown) => void) {
      listeners.set(event, (listeners.get(event) ?? new Set()).add(listener));
    },
    removeListener(event: string, listener: (data: unknown) => void) {
      listeners.get(event)?.delete(listener);
    },
  } as unknown as TakoSession;
  const emit = <E extends TakoSessionEvent>(event: E, data: TakoSessionEvents[E]) => {
    for (const listener of listeners.get(event) ?? []) listener(data);
  };
  return { takoSession, asked, emit };
}

/**
 * A stand-in for the extension as a header-only site meets it: tako_getToken is 4100 header-only,
 * tako_reportRejected resolves null.
 */
function headerOnlyTakoSession() {
  const asked: unknown[] = [];
  /** Set to a token: the grant became one for tokens, and tako_getToken hands it out. */
  let grantedToken: string | undefined;
  const takoSession = {
    async request(args: { method: string; params?: unknown }) {
      asked.push(args.params === undefined ? args.method : [args.method, args.params]);
      if (args.method === 'tako_getToken') {
        if (grantedToken) return { token: grantedToken, tokenType: 'Bearer', expiresAt: 0, address: '0x0' };
        throw Object.assign(new Error('header-only'), { code: TakoSessionErrorCode.Unauthorized, data: { reason: 'header-only' } });
      }
      return null;
    },
    on() {},
    removeListener() {},
  } as unknown as TakoSession;
  return {
    takoSession,
    asked,
    grantTokens: (token: string) => {
      grantedToken = token;
    },
  };
}

/** A fetch that answers from `statuses` in turn and records each request's token and body. */
function recordingFetch(statuses: number[]) {
  const seen: Array<{ authorization: string | null; body: string; url: string }> = [];
  const fetch = async (request: Request) => {
    seen.push({ authorization: request.headers.get('authorization'), body: await request.text(), url: request.url });
    return new Response('{}', { status: statuses[seen.length - 1] ?? 200 });
  };
  return { fetch: fetch as unknown as typeof globalThis.fetch, seen };
}

/** A window-like event target with or without `takoSession`. */
function fakeWindow(takoSession?: TakoSession) {
  const target = new EventTarget() as EventTarget & { takoSession?: TakoSession };
  if (takoSession) target.takoSession = takoSession;
  return target;
}

describe('waitForTakoSession', () => {
  test('resolves at once when the extension is already there', async () => {
    const { takoSession } = fakeTakoSession(['a']);
    assert.equal(await waitForTakoSession({ target: fakeWindow(takoSession) as unknown as Window }), takoSession);
  });

  // Guards: a dapp whose bundle runs before the extension is injected still finds it.
  test('resolves on takoSession#initialized when the extension comes later', async () => {
    const { takoSession } = fakeTakoSession(['a']);
    const win = fakeWindow();
    const waiting = waitForTakoSession({ target: win as unknown as Window, timeoutMs: 60_000 });
    win.takoSession = takoSession;
    win.dispatchEvent(new Event('takoSession#initialized'));
    assert.equal(await waiting, takoSession);
  });

  test('rejects with TakoSessionUnavailableError when it never comes', async () => {
    await assert.rejects(waitForTakoSession({ target: fakeWindow() as unknown as Window, timeoutMs: 1 }), (error: unknown) => {
      assert.ok(error instanceof TakoSessionUnavailableError);
      assert.match((error as Error).message, /did not appear within 1 ms/);
      return true;
    });
  });
});

describe('the client fetch', () => {
  test('adds Authorization: Bearer with a fresh token and keeps the request as given', async () => {
    const { takoSession, asked } = fakeTakoSession(['first']);
    const net = recordingFetch([200]);
    const client = createTakoSessionClient(takoSession, { fetch: net.fetch });
    const response = await client.fetch('https://api.example/v2/farcaster/ignore_bid', {
      method: 'POST',
      body: '{"x":1}',
      headers: { 'X-Trace': '7' },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(net.seen, [{ authorization: 'Bearer first', body: '{"x":1}', url: 'https://api.example/v2/farcaster/ignore_bid' }]);
    assert.deepEqual(asked, ['tako_getToken']);
  });

  // Guards: a 401 is answered by reporting that token once and retrying once with the new one.
  test('on a 401 it reports the token as rejected, and retries once with the fresh one and the same body', async () => {
    const { takoSession, asked } = fakeTakoSession(['first', 'second']);
    const net = recordingFetch([401, 200]);
    const client = createTakoSessionClient(takoSession, { fetch: net.fetch });
    const response = await client.fetch('https://api.example/call', { method: 'POST', body: 'payload' });
    assert.equal(response.status, 200);
    assert.deepEqual(
      net.seen.map(({ authorization, body }) => [authorization, body]),
      [
        ['Bearer first', 'payload'],
        ['Bearer second', 'payload'],
      ],
    );
    assert.deepEqual(asked, ['tako_getToken', ['tako_getToken', { rejectedToken: 'first' }]]);
  });

  test('a second 401 is returned as it is: no loop', async () => {
    const { takoSession, asked } = fakeTakoSession(['first', 'second']);
    const net = recordingFetch([401, 401, 200]);
    const response = await createTakoSessionClient(takoSession, { fetch: net.fetch }).fetch('https://api.example/call');
    assert.equal(response.status, 401);
    assert.equal(net.seen.length, 2);
    assert.equal(asked.length, 2);
  });

  test('when the same token comes back, the 401 is returned without a second call', async () => {
    const { takoSession } = fakeTakoSession(['only']);
    const net = recordingFetch([401]);
    const response = await createTakoSessionClient(takoSession, { fetch: net.fetch }).fetch('https://api.example/call');
    assert.equal(response.status, 401);
    assert.equal(net.seen.length, 1);
  });
});

describe('the client fetch with header-only access', () => {
  // Guards "the dapp writes no header and handles no token": the client learns the grant is
  // header-only from tako_getToken's 4100 and sends the request without any Authorization.
  test('a header-only grant: the request goes without Authorization, learnt from the 4100 once', async () => {
    const { takoSession, asked } = headerOnlyTakoSession();
    const net = recordingFetch([200, 200]);
    const client = createTakoSessionClient(takoSession, { fetch: net.fetch });
    assert.equal((await client.fetch('https://api.example/call', { method: 'POST', body: 'a' })).status, 200);
    assert.equal((await client.fetch('https://api.example/call', { method: 'POST', body: 'b' })).status, 200);
    assert.deepEqual(
      net.seen.map(({ authorization, body }) => [authorization, body]),
      [
        [null, 'a'],
        [null, 'b'],
      ],
    );
    assert.deepEqual(asked, ['tako_getToken'], 'no token asked for once it is known to be header-only');
  });

  // Guards the 401 path without a token: reported with when the request left, then one retry.
  test('requestAccess({ tokenAccess: "header" }), then a 401: reported with sentAt, one retry with the same body, no token asked', async () => {
    const { takoSession, asked } = headerOnlyTakoSession();
    const net = recordingFetch([401, 200]);
    const client = createTakoSessionClient(takoSession, { fetch: net.fetch });
    await client.requestAccess({ tokenAccess: 'header' });
    const before = Date.now();
    const response = await client.fetch('https://api.example/call', { method: 'POST', body: 'payload' });
    assert.equal(response.status, 200);
    assert.deepEqual(
      net.seen.map(({ authorization, body }) => [authorization, body]),
      [
        [null, 'payload'],
        [null, 'payload'],
      ],
    );
    assert.equal(asked.length, 3);
    assert.deepEqual(asked.slice(0, 2), [['tako_requestAccess', { tokenAccess: 'header' }], 'tako_getToken']);
    const [method, params] = asked[2] as [string, { sentAt: number }];
    assert.equal(method, 'tako_reportRejected');
    assert.ok(params.sentAt >= before && params.sentAt <= Date.now());
  });

  // Guards a grant changed back to tokens in another tab: this tab's client, still writing no
  // header, gets its 401, then retries with a token instead of forcing a refresh it cannot use.
  test('a grant become one for tokens meanwhile: the 401 is retried with a token, nothing reported', async () => {
    const { takoSession, asked, grantTokens } = headerOnlyTakoSession();
    const net = recordingFetch([401, 200, 200]);
    const client = createTakoSessionClient(takoSession, { fetch: net.fetch });
    await client.requestAccess({ tokenAccess: 'header' });
    grantTokens('a-token');
    assert.equal((await client.fetch('https://api.example/call', { method: 'POST', body: 'p' })).status, 200);
    assert.equal((await client.fetch('https://api.example/call')).status, 200);
    assert.deepEqual(
      net.seen.map(({ authorization }) => authorization),
      [null, 'Bearer a-token', 'Bearer a-token'],
    );
    assert.ok(!asked.some((call) => Array.isArray(call) && call[0] === 'tako_reportRejected'));
  });

  test('isHeaderOnlyError tells the header-only 4100 from any other', () => {
    const error = (code: number, data?: unknown) => Object.assign(new Error('x'), { code, data });
    assert.equal(isHeaderOnlyError(error(TakoSessionErrorCode.Unauthorized, { reason: 'header-only' })), true);
    assert.equal(isHeaderOnlyError(error(TakoSessionErrorCode.Unauthorized)), false);
    assert.equal(isHeaderOnlyError(error(TakoSessionErrorCode.NoSession, { reason: 'header-only' })), false);
  });
});

describe('events and errors', () => {
  test('subscriptions return the function that ends them', async () => {
    const { takoSession, emit } = fakeTakoSession(['a']);
    const client = createTakoSessionClient(takoSession, { fetch: recordingFetch([]).fetch });
    const heard: unknown[] = [];
    const stopSession = client.onSessionChanged((session) => heard.push(['session', session]));
    const stopAccess = client.onAccessChanged((access) => heard.push(['access', access.allowed]));
    emit('sessionChanged', null);
    emit('accessChanged', { allowed: false });
    stopSession();
    stopAccess();
    emit('sessionChanged', null);
    emit('accessChanged', { allowed: true });
    assert.deepEqual(heard, [
      ['session', null],
      ['access', false],
    ]);
  });

  test('noSessionReason reads data.reason of a 4900, and nothing else', () => {
    const error = (code: number, data?: unknown) => Object.assign(new Error('x'), { code, data });
    assert.equal(noSessionReason(error(TakoSessionErrorCode.NoSession, { reason: 'expired' })), 'expired');
    assert.equal(noSessionReason(error(TakoSessionErrorCode.NoSession, { reason: 'refresh-failing' })), 'refresh-failing');
    assert.equal(noSessionReason(error(TakoSessionErrorCode.NoSession, { reason: 'other' })), undefined);
    assert.equal(noSessionReason(error(TakoSessionErrorCode.Unauthorized, { reason: 'expired' })), undefined);
    assert.equal(noSessionReason({ code: 4900, data: { reason: 'expired' } }), undefined, 'not an Error');
  });
});
