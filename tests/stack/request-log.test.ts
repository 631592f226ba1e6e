/**
 * The local stack's request log and its `/__stack/` controls (log, faults, configuration) over
 * HTTP, which the end-to-end tests read to see what reached the API.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PendingFault } from '../../tools/stack/faults.ts';
import type { LoggedRequest } from '../../tools/stack/request-log.ts';
import type { StackConfig } from '../../tools/stack/stack-config.ts';
import { devKey, post, signIn, signInBody, useStack } from '../support/local-stack.ts';

/**
 * The fields of the `/__stack/` replies the tests read. Each reply has some of them (the log, the
 * pending faults, the configuration and the server clock, `ok`, or an error's `message`); all are
 * typed as present so that a test reads the ones it expects.
 */
interface ControlReply extends StackConfig {
  requests: LoggedRequest[];
  pending: PendingFault[];
  now: number;
  ok: boolean;
  message: string;
}

describe('request log and the /__stack/ controls', () => {
  const stack = useStack();

  const control = async (path: string, body?: unknown) => {
    const response = await fetch(stack().url + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as ControlReply };
  };

  it('records each call with its method, path, parsed body, status and whether it was authorized', async () => {
    const body = signInBody(devKey.privateKey, stack().now());
    const signedIn = await post(stack(), '/v2/token', body);
    await post(stack(), '/v2/farcaster/ignore_bid', { bid: 1 }, { Authorization: `Bearer ${signedIn.json.data.token}` });
    await fetch(`${stack().url}/auth/token`, { method: 'POST', body: new URLSearchParams({ name: 'Ada', mail: 'ada@example.com' }) });
    await fetch(`${stack().url}/v2/token`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    await fetch(`${stack().url}/v2/token`, { method: 'OPTIONS' });

    const log = stack().requests();
    assert.deepEqual(
      log.map(({ method, path, body: logged, status, authorization }) => ({ method, path, body: logged, status, authorization })),
      [
        { method: 'POST', path: '/v2/token', body, status: 200, authorization: false },
        { method: 'POST', path: '/v2/farcaster/ignore_bid', body: { bid: 1 }, status: 200, authorization: true },
        { method: 'POST', path: '/auth/token', body: { name: 'Ada', mail: 'ada@example.com' }, status: 200, authorization: false },
        { method: 'POST', path: '/v2/token', body: 'hello', status: 400, authorization: false },
      ],
    );
    assert.ok(!JSON.stringify(log).includes(signedIn.json.data.token), 'the Authorization value is not kept');
  });

  it('filters by exact path or RegExp, stamps entries with the server clock, and clears', async () => {
    stack().configure({ clockOffsetMs: -86_400_000 });
    await signIn(stack());
    await post(stack(), '/v1/refresh_token', { refresh_token: 'x' });

    assert.deepEqual(
      stack()
        .requests('/v2/token')
        .map((entry) => entry.path),
      ['/v2/token'],
    );
    assert.deepEqual(
      stack()
        .requests(/refresh/)
        .map((entry) => entry.status),
      [401],
    );
    const [entry] = stack().requests('/v2/token');
    assert.ok(Math.abs(entry!.at - (Date.now() - 86_400_000)) < 5000, 'at uses the server clock');

    stack().clearRequests();
    assert.deepEqual(stack().requests(), []);
  });

  it('serves the log over HTTP without logging the control calls themselves', async () => {
    await signIn(stack());
    const all = await control('/__stack/requests');
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.json.requests.map((entry) => entry.path),
      ['/v2/token'],
    );

    const filtered = await control('/__stack/requests?path=/v1/token');
    assert.deepEqual(filtered.json.requests, []);

    assert.deepEqual(await control('/__stack/requests/clear', {}), { status: 200, json: { ok: true } });
    assert.deepEqual(stack().requests(), []);
  });

  it('injects and clears faults over HTTP, refusing bad descriptions with the reason', async () => {
    const added = await control('/__stack/faults', { path: '/v2/token', count: 1, kind: 'status', status: 429, retryAfterSec: 3 });
    assert.equal(added.status, 200);
    assert.deepEqual(added.json.pending, [{ path: '/v2/token', count: 1, kind: 'status', status: 429, retryAfterSec: 3 }]);
    const faulted = await post(stack(), '/v2/token', signInBody(devKey.privateKey, stack().now()));
    assert.equal(faulted.status, 429);
    assert.equal(faulted.headers.get('retry-after'), '3');

    const bad = await control('/__stack/faults', { path: '/v2/token', count: 1, kind: 'explode' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^Invalid fault: kind: /);
    const typo = await control('/__stack/faults', { path: '/v2/token', count: 1, kind: 'drop', delay: 5 });
    assert.match(typo.json.message, /delay: Invalid key/);

    await control('/__stack/faults', { path: '/v2/token', count: 3, kind: 'drop' });
    assert.deepEqual(await control('/__stack/faults/clear', {}), { status: 200, json: { ok: true } });
    assert.deepEqual(stack().faults.pending(), []);
  });

  it('reads and changes the configuration over HTTP', async () => {
    const changed = await control('/__stack/config', { accessTtlSec: 42, clockOffsetMs: 3_600_000 });
    assert.equal(changed.status, 200);
    assert.equal(changed.json.accessTtlSec, 42);
    assert.equal(changed.json.refreshTtlSec, 86_400);
    assert.ok(Math.abs(changed.json.now - (Date.now() + 3_600_000)) < 5000);

    const pair = await signIn(stack());
    assert.equal(pair.expires_in, 42);

    const current = await control('/__stack/config');
    assert.equal(current.json.clockOffsetMs, 3_600_000);

    const bad = await control('/__stack/config', { accessTtlSec: -1 });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /accessTtlSec/);
    assert.throws(() => stack().configure({ refreshTtlSec: 1.5 }), /refreshTtlSec/);
  });

  it('answers unknown paths with 404 and wrong methods with 405, in the API envelope', async () => {
    const missing = await post(stack(), '/v3/token', {});
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { status: 'error', message: 'Not found: POST /v3/token' });

    const wrongMethod = await fetch(`${stack().url}/v2/token`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST, OPTIONS');
    assert.deepEqual(await wrongMethod.json(), { status: 'error', message: '/v2/token only answers POST' });
  });
});
