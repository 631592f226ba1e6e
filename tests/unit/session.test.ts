/**
 * A session from a token grant (core/session/session.ts): times from the JWT, the account checked,
 * one key per endpoint and address, and the public view pages are given.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTokenReply, type TokenGrant } from '../../src/core/api/tako-client.ts';
import { TakoError } from '../../src/core/contract/errors.ts';
import { customEndpoint, PRESET_ENDPOINTS } from '../../src/core/session/endpoints.ts';
import { unmeasuredClock } from '../../src/core/session/server-clock.ts';
import { keyOf, SESSION_RECORD_VERSION, sessionFromGrant, sessionKey, toSessionInfo } from '../../src/core/session/session.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { vectors } from '../support/vectors.ts';

const { getToken, refreshToken } = vectors.tokens;
const ADDRESS = vectors.signIn.address;
const OTHER = DEV_ADDRESS;
const ENDPOINT = PRESET_ENDPOINTS['tako-v2'];

/** Fixed clock: the instant getToken's pair was issued (2023-08-02T07:04:07Z). */
const NOW = 1_690_959_847_000;

function grantOf(pair: typeof getToken): TokenGrant {
  const body = JSON.stringify({
    status: 'success',
    data: { token_type: 'Bearer', token: pair.token, refresh_token: pair.refresh_token, expires_in: pair.expires_in },
  });
  return parseTokenReply(200, body, {}, NOW);
}

describe('sessionFromGrant', () => {
  test('times come from the JWT exp claims x 1000, not from the local clock', () => {
    const session = sessionFromGrant(grantOf(getToken), ENDPOINT, ADDRESS, NOW + 12_345);
    assert.deepEqual(session, {
      v: SESSION_RECORD_VERSION,
      endpoint: ENDPOINT,
      address: ADDRESS,
      accessToken: getToken.token,
      accessExpMs: getToken.token_claims.exp * 1000,
      refreshToken: getToken.refresh_token,
      refreshExpMs: getToken.refresh_token_claims.exp * 1000,
      lifetimeMs: 3_600_000,
      obtainedAtMs: NOW + 12_345,
      signedInAtMs: NOW + 12_345,
      state: 'signed-in',
      failures: 0,
      retryAtMs: null,
      lastError: null,
      // No Date header in this reply: nothing measured, the clocks are taken to agree.
      clock: unmeasuredClock(NOW + 12_345),
    });
    assert.equal(session.accessExpMs, 1_690_963_447_000);
    assert.equal(session.refreshExpMs, 1_691_046_247_000);
    assert.equal(SESSION_RECORD_VERSION, 1);
  });

  test('the refreshed pair gives the rotated expiries', () => {
    const session = sessionFromGrant(grantOf(refreshToken), ENDPOINT, ADDRESS, NOW + 295_000);
    assert.equal(session.accessExpMs, refreshToken.token_claims.exp * 1000);
    assert.equal(session.refreshExpMs, refreshToken.refresh_token_claims.exp * 1000);
    assert.equal(session.refreshToken, refreshToken.refresh_token);
  });

  test('accepts the account in another letter case', () => {
    const session = sessionFromGrant(grantOf(getToken), ENDPOINT, ADDRESS.toLowerCase() as typeof ADDRESS, NOW);
    assert.equal(session.accessExpMs, getToken.token_claims.exp * 1000);
  });

  test('refuses a grant for another address', () => {
    assert.throws(
      () => sessionFromGrant(grantOf(getToken), ENDPOINT, OTHER, NOW),
      (error: unknown) => {
        assert.ok(error instanceof TakoError);
        assert.equal(error.kind, 'malformed');
        assert.equal(error.message, `The Tako API issued a token for ${ADDRESS}, not for ${OTHER}`);
        return true;
      },
    );
  });
});

describe('sessionKey / keyOf', () => {
  test('one key per (endpoint, address)', () => {
    const session = sessionFromGrant(grantOf(getToken), ENDPOINT, ADDRESS, NOW);
    assert.equal(keyOf(session), `v2 https://api.tako.so ${ADDRESS}`);
    assert.equal(keyOf(session), sessionKey(ENDPOINT, ADDRESS));
    assert.notEqual(sessionKey(ENDPOINT, ADDRESS), sessionKey(ENDPOINT, OTHER));
    assert.notEqual(sessionKey(ENDPOINT, ADDRESS), sessionKey(PRESET_ENDPOINTS['tako-v1'], ADDRESS));
    assert.notEqual(
      sessionKey(customEndpoint('https://api.tako.so', 'v1'), ADDRESS),
      sessionKey(customEndpoint('https://api.tako.so', 'v2'), ADDRESS),
    );
  });
});

describe('toSessionInfo', () => {
  const session = sessionFromGrant(grantOf(getToken), ENDPOINT, ADDRESS, NOW);

  test('signed in: the public view with expiresAt = JWT exp x 1000 and no tokens', () => {
    const info = toSessionInfo(session, false);
    assert.deepEqual(info, {
      address: ADDRESS,
      state: 'signed-in',
      expiresAt: 1_690_963_447_000,
      endpoint: 'https://api.tako.so',
    });
    const text = JSON.stringify(info);
    assert.ok(!text.includes(getToken.token) && !text.includes(getToken.refresh_token));
  });

  test('refreshing while a refresh runs; expired wins over refreshing', () => {
    assert.equal(toSessionInfo(session, true).state, 'refreshing');
    assert.equal(toSessionInfo({ ...session, state: 'expired' }, true).state, 'expired');
    assert.equal(toSessionInfo({ ...session, state: 'expired' }, false).state, 'expired');
  });
});
