/**
 * The local stack's Tako refresh and authenticated calls: rotation lets one of several concurrent
 * refreshes through, the session slides, revoking ends every access token, and expiry follows the
 * server's clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStack } from '../../tools/stack/server.ts';
import { claimsOf, devKey, post, signIn, useStack } from '../support/local-stack.ts';

describe('Tako refresh and authenticated calls', () => {
  const stack = useStack({ accessTtlSec: 60, refreshTtlSec: 120 });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  for (const version of ['v1', 'v2']) {
    it(`rotates on /${version}/refresh_token: a new pair, and the old refresh token works only once`, async () => {
      const first = await signIn(stack(), version);
      const reply = await post(stack(), `/${version}/refresh_token`, { refresh_token: first.refresh_token });
      assert.equal(reply.status, 200);
      assert.equal(reply.json.status, 'success');
      const second = reply.json.data;
      assert.equal(second.token_type, 'Bearer');
      assert.equal(second.expires_in, 60);
      assert.notEqual(second.token, first.token);
      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.equal(claimsOf(second.token).address, devKey.address);
      assert.equal(claimsOf(second.refresh_token).type, 'refresh_token');

      const reuse = await post(stack(), `/${version}/refresh_token`, { refresh_token: first.refresh_token });
      assert.equal(reuse.status, 401);
      assert.deepEqual(reuse.json, { status: 'error', message: 'This refresh token has already been used; sign in again' });

      const next = await post(stack(), `/${version}/refresh_token`, { refresh_token: second.refresh_token });
      assert.equal(next.status, 200);
    });
  }

  it('lets exactly one of several concurrent refreshes with the same token through', async () => {
    const { refresh_token } = await signIn(stack());
    const replies = await Promise.all([1, 2, 3].map(() => post(stack(), '/v2/refresh_token', { refresh_token })));
    assert.deepEqual(replies.map((reply) => reply.status).sort(), [200, 401, 401]);
  });

  it('slides the session: a refreshed refresh token lives a full lifetime from the refresh', async () => {
    const first = await signIn(stack());
    stack().configure({ clockOffsetMs: 100_000 });
    const reply = await post(stack(), '/v2/refresh_token', { refresh_token: first.refresh_token });
    assert.equal(reply.status, 200);
    const nowSec = Math.floor(stack().now() / 1000);
    const exp = claimsOf(reply.json.data.refresh_token).exp as number;
    assert.ok(exp >= nowSec + 119 && exp <= nowSec + 120, `refresh exp ${exp} vs now ${nowSec}`);
    const accessExp = claimsOf(reply.json.data.token).exp as number;
    assert.ok(accessExp >= nowSec + 59 && accessExp <= nowSec + 60);
  });

  it('revoking answers 401 to every access token issued so far, before its exp; refreshing recovers', async () => {
    stack().revokeAccessTokens(); // whatever earlier tests of this suite were issued
    const first = await signIn(stack());
    const second = await signIn(stack());
    const control = await fetch(`${stack().url}/__stack/revoke-access-tokens`, { method: 'POST' });
    assert.deepEqual(await control.json(), { revoked: 2 });
    for (const { token } of [first, second]) {
      const refused = await post(stack(), '/v2/farcaster/ignore_bid', {}, bearer(token));
      assert.equal(refused.status, 401);
      assert.equal(refused.json.message, 'This access token was revoked');
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
    }
    // The refresh token still works, and the token it brings is accepted.
    const refreshed = await post(stack(), '/v2/refresh_token', { refresh_token: first.refresh_token });
    assert.equal(refreshed.status, 200);
    const ok = await post(stack(), '/v2/farcaster/ignore_bid', {}, bearer(refreshed.json.data.token));
    assert.equal(ok.status, 200);
    assert.equal(stack().revokeAccessTokens(), 1);
  });

  it('accepts a live access token on ignore_bid and rejects it once expired by the server clock', async () => {
    const { token } = await signIn(stack());
    for (const version of ['v1', 'v2']) {
      const ok = await post(stack(), `/${version}/farcaster/ignore_bid`, {}, bearer(token));
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json, { status: 'success', data: { ignored: true, address: devKey.address } });
    }

    stack().configure({ clockOffsetMs: 61_000 });
    const expired = await post(stack(), '/v2/farcaster/ignore_bid', {}, bearer(token));
    assert.equal(expired.status, 401);
    assert.equal(expired.json.status, 'error');
    assert.match(expired.json.message, /^The access token expired at \d{4}-\d\d-\d\dT/);
    assert.equal(expired.headers.get('www-authenticate'), 'Bearer');
  });

  it('rejects an expired refresh token', async () => {
    const { refresh_token } = await signIn(stack());
    stack().configure({ clockOffsetMs: 121_000 });
    const reply = await post(stack(), '/v2/refresh_token', { refresh_token });
    assert.equal(reply.status, 401);
    assert.match(reply.json.message, /^The refresh token expired at /);
  });

  it('rejects the wrong kind of token, foreign tokens and missing credentials', async () => {
    const pair = await signIn(stack());

    const accessAsRefresh = await post(stack(), '/v2/refresh_token', { refresh_token: pair.token });
    assert.equal(accessAsRefresh.status, 401);
    assert.match(accessAsRefresh.json.message, /not a refresh token/);

    const refreshAsBearer = await post(stack(), '/v2/farcaster/ignore_bid', {}, bearer(pair.refresh_token));
    assert.equal(refreshAsBearer.status, 401);
    assert.match(refreshAsBearer.json.message, /not an access token/);

    const other = await startStack();
    try {
      const foreign = await signIn(other);
      const reply = await post(stack(), '/v2/refresh_token', { refresh_token: foreign.refresh_token });
      assert.equal(reply.status, 401);
      assert.equal(reply.json.message, 'The refresh token was not issued by this server (bad signature)');
    } finally {
      await other.close();
    }

    const garbage = await post(stack(), '/v2/refresh_token', { refresh_token: 'not-a-jwt' });
    assert.equal(garbage.status, 401);
    assert.equal(garbage.json.message, 'The refresh token is not a valid JWT');

    const noField = await post(stack(), '/v2/refresh_token', { token: pair.refresh_token });
    assert.equal(noField.status, 400);
    assert.match(noField.json.message, /"refresh_token"/);

    const noHeader = await post(stack(), '/v2/farcaster/ignore_bid', {});
    assert.equal(noHeader.status, 401);
    assert.match(noHeader.json.message, /Missing "Authorization: Bearer <token>"/);
  });

  it('uses the token lifetimes set live with configure()', async () => {
    stack().configure({ accessTtlSec: 5 });
    try {
      const pair = await signIn(stack());
      assert.equal(pair.expires_in, 5);
      const exp = claimsOf(pair.token).exp as number;
      assert.ok(exp - Math.floor(stack().now() / 1000) <= 5);
    } finally {
      stack().configure({ accessTtlSec: 60 });
    }
  });
});
