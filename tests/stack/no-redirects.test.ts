/**
 * Requests that carry a signature, a token or personal details are never sent on to another URL:
 * each client against a stack that answers 307, and the stack's log shows nothing reached the target.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestMetahumanToken } from '../../src/core/api/metahuman.ts';
import { requestRefresh, requestSignIn } from '../../src/core/api/tako-client.ts';
import { customEndpoint } from '../../src/core/session/endpoints.ts';
import { assertError, rejectsTakoError } from '../support/assert-tako-error.ts';
import { devKey, signIn, signInBody, useStack } from '../support/local-stack.ts';

const REDIRECTED = /answered with a redirect; requests that carry a token or a signature are never sent on/;

describe('no redirect is followed', () => {
  const stack = useStack();
  const client = { fetch, now: Date.now };

  it('the stack answers a redirect fault with 307 and a Location on the same server', async () => {
    stack().faults.inject('/v2/token', { count: 1, kind: 'redirect', location: '/elsewhere' });
    const response = await fetch(`${stack().url}/v2/token`, { method: 'POST', body: '{}', redirect: 'manual' });
    assert.equal(response.status, 307);
    assert.equal(response.headers.get('location'), '/elsewhere');
  });

  it('sign-in: the signed message is not posted to the redirect target', async () => {
    stack().faults.inject('/v2/token', { count: 1, kind: 'redirect', location: '/v2/token/moved' });
    const error = await rejectsTakoError(
      requestSignIn(client, customEndpoint(stack().url, 'v2'), signInBody(devKey.privateKey, stack().now())),
    );
    assertError(error, { kind: 'http', transient: true, httpStatus: 307 });
    assert.match(error.message, REDIRECTED);
    assert.deepEqual(stack().requests(/moved/), []);
  });

  it('refresh: the refresh token is not posted to the redirect target, and stays unused', async () => {
    const { refresh_token } = await signIn(stack());
    stack().faults.inject('/v2/refresh_token', { count: 1, kind: 'redirect' });
    const error = await rejectsTakoError(requestRefresh(client, customEndpoint(stack().url, 'v2'), refresh_token));
    assertError(error, { kind: 'http', transient: true, httpStatus: 307 });
    assert.match(error.message, REDIRECTED);
    assert.deepEqual(stack().requests('/v2/refresh_token/moved'), []);
    // Transient: the same refresh token still works once the server answers properly.
    const grant = await requestRefresh(client, customEndpoint(stack().url, 'v2'), refresh_token);
    assert.ok(grant.token);
  });

  it('MetaHuman: the form with name and e-mail is not posted to the redirect target', async () => {
    stack().faults.inject('/auth/token', { count: 1, kind: 'redirect' });
    const fields = { name: 'Ada Lovelace', mail: 'ada@example.com', comment: '' };
    const error = await rejectsTakoError(requestMetahumanToken(client, stack().url, fields));
    assert.match(error.message, REDIRECTED);
    assert.deepEqual(stack().requests('/auth/token/moved'), []);
  });
});
