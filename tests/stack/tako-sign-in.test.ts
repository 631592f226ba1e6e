/**
 * The local stack's Tako sign-in (POST /v1/token, /v2/token) held to the documented example: the
 * seed signature is accepted at its ISSUED AT, any tampering is refused, ISSUED AT has a five-minute
 * window, and every reply carries the server's Date.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSignInMessage } from '../../src/core/eth/sign-in-message.ts';
import { signPersonalMessage } from '../../src/core/eth/signature.ts';
import { claimsOf, devKey, headerOf, post, seed, signInBody, useStack } from '../support/local-stack.ts';

describe('Tako sign-in (POST /v1/token, /v2/token)', () => {
  const stack = useStack();

  const atSeedTime = () => stack().configure({ clockOffsetMs: Date.parse(seed.issuedAt) - Date.now() });

  it('accepts the documented seed signature when the server clock is at its ISSUED AT', async () => {
    atSeedTime();
    const reply = await post(stack(), '/v2/token', { message: seed.message, signature: seed.signature });

    assert.equal(reply.status, 200);
    assert.equal(reply.json.status, 'success');
    assert.equal(reply.json.data.token_type, 'Bearer');
    assert.equal(reply.json.data.expires_in, 3600);
    const issuedAtSec = Date.parse(seed.issuedAt) / 1000;
    for (const [token, type, ttl] of [
      [reply.json.data.token, 'token', 3600],
      [reply.json.data.refresh_token, 'refresh_token', 86_400],
    ] as const) {
      assert.deepEqual(headerOf(token), { alg: 'HS256', typ: 'JWT' });
      const claims = claimsOf(token);
      assert.deepEqual(Object.keys(claims).sort(), ['address', 'exp', 'jti', 'type']);
      assert.equal(claims.address, seed.address);
      assert.equal(claims.type, type);
      const exp = claims.exp as number;
      assert.ok(exp >= issuedAtSec + ttl && exp <= issuedAtSec + ttl + 2, `exp ${exp} is ttl after the server time`);
    }
    // Every claim the real API documents is there with the same type (ours add only jti).
    for (const [documented, token] of [
      [seed.documentedTokenClaims, reply.json.data.token],
      [seed.documentedRefreshClaims, reply.json.data.refresh_token],
    ] as const) {
      const claims = claimsOf(token);
      for (const [name, value] of Object.entries(documented)) assert.equal(typeof claims[name], typeof value, name);
      assert.equal(claims.type, documented.type);
    }
  });

  it('stamps every reply with the server clock in the Date header', async () => {
    atSeedTime();
    const reply = await post(stack(), '/v2/token', { message: seed.message, signature: seed.signature });
    const served = Date.parse(reply.headers.get('date')!);
    assert.ok(Math.abs(served - Date.parse(seed.issuedAt)) < 3000, `Date ${reply.headers.get('date')}`);
    assert.equal(reply.headers.get('access-control-allow-origin'), '*');
    assert.match(reply.headers.get('access-control-expose-headers')!, /\bDate\b/);
  });

  it('rejects the seed message with one character of the statement changed', async () => {
    atSeedTime();
    const message = seed.message.replace('Tako wants', 'Taco wants');
    const reply = await post(stack(), '/v2/token', { message, signature: seed.signature });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.status, 'error');
    assert.match(reply.json.message, /signature does not match ACCOUNT 0x4DD3DB5d0B9aAf0B0a2fBD37a489d2f0e3F234A9/);
  });

  it('rejects the seed signature over a message naming another ACCOUNT', async () => {
    atSeedTime();
    const message = buildSignInMessage(devKey.address, seed.issuedAt);
    const reply = await post(stack(), '/v2/token', { message, signature: seed.signature });
    assert.equal(reply.status, 400);
    assert.match(reply.json.message, new RegExp(`signature does not match ACCOUNT ${devKey.address}`));
  });

  it('rejects a tampered signature', async () => {
    atSeedTime();
    const flipped = seed.signature.slice(0, 10) + (seed.signature[10] === 'a' ? 'b' : 'a') + seed.signature.slice(11);
    const reply = await post(stack(), '/v2/token', { message: seed.message, signature: flipped });
    assert.equal(reply.status, 400);
    assert.match(reply.json.message, /signature/i);

    const badV = `${seed.signature.slice(0, -2)}1d`;
    const badVReply = await post(stack(), '/v2/token', { message: seed.message, signature: badV });
    assert.equal(badVReply.status, 400);
    assert.match(badVReply.json.message, /recovery byte is invalid \(v = 29\)/);

    const short = await post(stack(), '/v2/token', { message: seed.message, signature: '0x1234' });
    assert.equal(short.status, 400);
    assert.match(short.json.message, /65 bytes/);
  });

  it('rejects an ISSUED AT six minutes old or six minutes ahead, and accepts four minutes', async () => {
    const now = stack().now();
    const stale = await post(stack(), '/v2/token', signInBody(devKey.privateKey, now - 6 * 60_000));
    assert.equal(stale.status, 400);
    assert.match(stale.json.message, /is 360 s behind the server time .* within 5 minutes/);

    const ahead = await post(stack(), '/v2/token', signInBody(devKey.privateKey, now + 6 * 60_000));
    assert.equal(ahead.status, 400);
    assert.match(ahead.json.message, /is 360 s ahead of the server time/);

    const recent = await post(stack(), '/v2/token', signInBody(devKey.privateKey, now - 4 * 60_000));
    assert.equal(recent.status, 200);
  });

  for (const version of ['v1', 'v2']) {
    it(`signs in a fresh message signed with the dev key on /${version}/token`, async () => {
      const reply = await post(stack(), `/${version}/token`, signInBody(devKey.privateKey, stack().now()));
      assert.equal(reply.status, 200);
      const claims = claimsOf(reply.json.data.token);
      assert.equal(claims.address, devKey.address);
      assert.equal(claims.type, 'token');
      assert.equal(claimsOf(reply.json.data.refresh_token).type, 'refresh_token');
    });
  }

  it('gives two sign-ins in the same second different tokens', async () => {
    const body = signInBody(devKey.privateKey, stack().now());
    const [a, b] = await Promise.all([post(stack(), '/v2/token', body), post(stack(), '/v2/token', body)]);
    assert.notEqual(a.json.data.token, b.json.data.token);
    assert.notEqual(a.json.data.refresh_token, b.json.data.refresh_token);
  });

  it('explains what is wrong with a bad body or message structure', async () => {
    const notJson = await post(stack(), '/v2/token', '{"message":');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.message, 'The body must be a JSON object');

    const missing = await post(stack(), '/v2/token', { message: seed.message });
    assert.equal(missing.status, 400);
    assert.match(missing.json.message, /"message" and "signature"/);

    const noStructure = await post(stack(), '/v2/token', { message: 'hello', signature: seed.signature });
    assert.equal(noStructure.status, 400);
    assert.match(noStructure.json.message, /ACCOUNT \/ ISSUED AT structure/);

    const message = 'x\nACCOUNT:\n0x123\n\nISSUED AT:\n2023-08-01T10:29:31.000Z\n\n';
    const badAddress = await post(stack(), '/v2/token', { message, signature: signPersonalMessage(message, devKey.privateKey) });
    assert.equal(badAddress.status, 400);
    assert.match(badAddress.json.message, /Not an Ethereum address/);

    const form = await fetch(`${stack().url}/v2/token`, { method: 'POST', body: new URLSearchParams({ message: 'x' }) });
    assert.equal(form.status, 400);
    assert.deepEqual(await form.json(), {
      status: 'error',
      message: 'Content-Type must be application/json (got application/x-www-form-urlencoded)',
    });
  });

  it('refuses a body over 64 KB with 413', async () => {
    const reply = await post(stack(), '/v2/token', { message: 'x'.repeat(70_000), signature: '0x' });
    assert.equal(reply.status, 413);
    assert.deepEqual(reply.json, { status: 'error', message: 'The request body is over 65536 bytes' });
  });

  it('answers CORS preflights', async () => {
    const response = await fetch(`${stack().url}/v2/token`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://dapp.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.equal(response.headers.get('access-control-allow-headers'), 'Content-Type, Authorization');
    assert.match(response.headers.get('access-control-allow-methods')!, /POST/);
  });
});
