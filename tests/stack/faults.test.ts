/**
 * The faults the local stack injects for the other suites (statuses with their envelope and
 * Retry-After, held requests and replies, dropped connections, malformed bodies), each on its path
 * only, and Date stamped when the request arrived.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStack } from '../../tools/stack/server.ts';
import { devKey, post, signIn, signInBody, useStack } from '../support/local-stack.ts';

describe('injected faults', () => {
  const stack = useStack();

  it('status: the next `count` requests get that status, the envelope and Retry-After', async () => {
    const { refresh_token } = await signIn(stack());
    stack().faults.inject('/v2/refresh_token', { count: 2, kind: 'status', status: 503, retryAfterSec: 7 });

    for (let i = 0; i < 2; i++) {
      const reply = await post(stack(), '/v2/refresh_token', { refresh_token });
      assert.equal(reply.status, 503);
      assert.equal(reply.headers.get('retry-after'), '7');
      assert.deepEqual(reply.json, { status: 'error', message: 'Service Unavailable (fault injected by the local stack)' });
    }
    assert.deepEqual(stack().faults.pending(), []);
    // The faulted requests never reached the handler, so the refresh token is still unused.
    const third = await post(stack(), '/v2/refresh_token', { refresh_token });
    assert.equal(third.status, 200);
  });

  it('status: defaults to 500 without Retry-After, and uses the MetaHuman envelope on /auth/token', async () => {
    stack().faults.inject('/v2/token', { count: 1, kind: 'status' });
    const tako = await post(stack(), '/v2/token', signInBody(devKey.privateKey, stack().now()));
    assert.equal(tako.status, 500);
    assert.equal(tako.headers.get('retry-after'), null);

    stack().faults.inject('/auth/token', { count: 1, kind: 'status', status: 429, retryAfterSec: 1 });
    const response = await fetch(`${stack().url}/auth/token`, { method: 'POST', body: new URLSearchParams({ name: 'a', mail: 'a@b.co' }) });
    assert.equal(response.status, 429);
    assert.deepEqual(await response.json(), { error: { code: 429, message: 'Too Many Requests (fault injected by the local stack)' } });
  });

  it('delay: holds one request back, then answers it normally', async () => {
    // Ordered by events, not by a stopwatch: a request sent after the delayed one overtakes it.
    stack().faults.inject('/v2/token', { count: 1, kind: 'delay', delayMs: 500 });
    const finished: string[] = [];
    const delayed = post(stack(), '/v2/token', signInBody(devKey.privateKey, stack().now())).then((reply) => {
      finished.push('delayed');
      return reply;
    });
    // The delayed request has reached the server once it has taken the fault.
    while (stack().faults.pending().length > 0) await new Promise((resolve) => setImmediate(resolve));
    const quick = await post(stack(), '/v2/token', signInBody(devKey.privateKey, stack().now()));
    finished.push('quick');
    assert.equal(quick.status, 200);
    assert.equal((await delayed).status, 200);
    assert.deepEqual(finished, ['quick', 'delayed']);
  });

  // Guards what the slow-reply tests rely on: a held reply carries the Date of the request's
  // arrival, as a busy backend sends it, not the time it finally left (whole seconds, truncated).
  it('delay: the held reply is stamped with the second the request arrived in', async () => {
    stack().faults.inject('/v2/token', { count: 1, kind: 'delay', delayMs: 1500 });
    const reply = await post(stack(), '/v2/token', signInBody(devKey.privateKey, stack().now()));
    const [entry] = stack().requests('/v2/token');
    assert.equal(reply.status, 200);
    assert.equal(Date.parse(reply.headers.get('date')!), Math.floor(entry!.at / 1000) * 1000);
    // The pair was issued after the hold: the reply's Date is more than a second older than it.
    const { exp } = JSON.parse(Buffer.from(reply.json.data.token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    assert.ok(exp * 1000 - 3_600_000 > Date.parse(reply.headers.get('date')!));
  });

  // Guards what the lost-reply tests rely on: the server has acted (rotated) and logged its
  // status while the client is still waiting for the reply.
  it('delay-reply: acts at once (the log shows the status), then holds the reply', async () => {
    const { refresh_token } = await signIn(stack());
    stack().faults.inject('/v2/refresh_token', { count: 1, kind: 'delay-reply', delayMs: 60_000 });
    const pending = post(stack(), '/v2/refresh_token', { refresh_token }).catch(() => 'closed');
    for (let i = 0; i < 500 && stack().requests('/v2/refresh_token')[0]?.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(stack().requests('/v2/refresh_token')[0]?.status, 200);
    // Rotated already: the same refresh token is refused while the first reply is still held.
    const again = await post(stack(), '/v2/refresh_token', { refresh_token });
    assert.equal(again.status, 401);
    void pending;
  });

  it('drop: the connection closes with no reply, and the log shows no status', async () => {
    stack().faults.inject('/v2/token', { count: 1, kind: 'drop' });
    await assert.rejects(post(stack(), '/v2/token', signInBody(devKey.privateKey, stack().now())), TypeError);
    const [entry] = stack().requests('/v2/token');
    assert.equal(entry?.status, null);

    const after = await post(stack(), '/v2/token', signInBody(devKey.privateKey, stack().now()));
    assert.equal(after.status, 200);
  });

  it('malformed: 200 with a body that is not JSON', async () => {
    stack().faults.inject('/v2/token', { count: 1, kind: 'malformed' });
    const response = await fetch(`${stack().url}/v2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(signInBody(devKey.privateKey, stack().now())),
    });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.throws(() => JSON.parse(text), SyntaxError);
  });

  it('faults on one path leave the others alone, and clear() drops them', async () => {
    stack().faults.inject('/v1/token', { count: 5, kind: 'status', status: 502 });
    const v2 = await post(stack(), '/v2/token', signInBody(devKey.privateKey, stack().now()));
    assert.equal(v2.status, 200);
    assert.deepEqual(stack().faults.pending(), [{ path: '/v1/token', count: 5, kind: 'status', status: 502 }]);
    stack().faults.clear();
    const v1 = await post(stack(), '/v1/token', signInBody(devKey.privateKey, stack().now()));
    assert.equal(v1.status, 200);
  });

  it('refuses an invalid fault description', () => {
    assert.throws(() => stack().faults.inject('/v2/token', { count: 0, kind: 'drop' }), /count: Invalid value/);
    assert.throws(
      () => stack().faults.inject('v2/token', { count: 1, kind: 'status', status: 200 }),
      (error: Error) => error instanceof TypeError && /path/.test(error.message) && /status/.test(error.message),
    );
  });

  it('close() ends a delayed request instead of waiting for it', async () => {
    const other = await startStack();
    other.faults.inject('/v2/token', { count: 1, kind: 'delay', delayMs: 60_000 });
    const pending = fetch(`${other.url}/v2/token`, { method: 'POST', body: '{}' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await other.close();
    assert.ok(performance.now() - started < 1000);
    await assert.rejects(pending, TypeError);
  });
});
