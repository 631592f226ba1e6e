/** Reading Tako JWT claims: the documented tokens, the expected type, and every malformed token refused. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeTakoClaims } from '../../src/core/api/jwt.ts';
import { TakoError } from '../../src/core/contract/errors.ts';
import { vectors } from '../support/vectors.ts';

const { getToken, refreshToken } = vectors.tokens;
const HEADER = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9'; // {"alg":"HS256","typ":"JWT"}

/** An unsigned-looking JWT with the given payload (claims are read, never verified). */
function jwtWith(payload: unknown): string {
  return `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2lnbmF0dXJl`;
}

function assertMalformed(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TakoError, 'expected a TakoError');
    assert.equal(error.kind, 'malformed');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('decodeTakoClaims on the documented tokens', () => {
  const cases = [
    ['getToken.token', getToken.token, getToken.token_claims],
    ['getToken.refresh_token', getToken.refresh_token, getToken.refresh_token_claims],
    ['refreshToken.token', refreshToken.token, refreshToken.token_claims],
    ['refreshToken.refresh_token', refreshToken.refresh_token, refreshToken.refresh_token_claims],
  ] as const;

  for (const [name, token, claims] of cases) {
    test(`${name} has exactly the documented claims`, () => {
      const decoded = decodeTakoClaims(token);
      assert.deepEqual(decoded, claims);
      assert.deepEqual(Object.keys(decoded).sort(), ['address', 'exp', 'type']);
      assert.equal(decodeTakoClaims(token, claims.type).exp, claims.exp);
    });
  }

  test('the documented values: 3600 s access tokens, rotation slides the refresh token forward', () => {
    assert.equal(decodeTakoClaims(getToken.token).exp, 1690963447);
    assert.equal(decodeTakoClaims(getToken.refresh_token).exp, 1691046247);
    assert.equal(decodeTakoClaims(refreshToken.token).exp, 1690963742);
    assert.equal(decodeTakoClaims(refreshToken.refresh_token).exp, 1691046542);
    // The refresh request carries the refresh token that getToken issued.
    assert.equal(refreshToken.request.refresh_token, getToken.refresh_token);
    // Access token issued 3600 s before its exp, refresh token 86400 s; the same instant for a pair.
    for (const pair of [getToken, refreshToken]) {
      assert.equal(pair.expires_in, 3600);
      assert.equal(pair.token_claims.exp - pair.expires_in, pair.refresh_token_claims.exp - 86400);
    }
    assert.ok(refreshToken.refresh_token_claims.exp > getToken.refresh_token_claims.exp);
  });

  test('every documented token is for the seed address', () => {
    for (const token of [getToken.token, getToken.refresh_token, refreshToken.token, refreshToken.refresh_token]) {
      assert.equal(decodeTakoClaims(token).address, vectors.signIn.address);
    }
  });
});

describe('decodeTakoClaims: expectedType', () => {
  test('a refresh token where an access token is expected throws', () => {
    assertMalformed(() => decodeTakoClaims(getToken.refresh_token, 'token'), /Expected a token but got a refresh_token/);
  });

  test('an access token where a refresh token is expected throws', () => {
    assertMalformed(() => decodeTakoClaims(refreshToken.token, 'refresh_token'), /Expected a refresh_token but got a token/);
  });
});

describe('decodeTakoClaims: malformed tokens', () => {
  const claims = getToken.token_claims;

  test('not a string, or empty', () => {
    for (const value of [undefined, null, 42, { token: getToken.token }, '']) {
      assertMalformed(() => decodeTakoClaims(value), /missing or not a string/);
    }
  });

  test('two segments', () => {
    const [header, payload] = getToken.token.split('.');
    assertMalformed(() => decodeTakoClaims(`${header}.${payload}`), /not a readable JWT/);
  });

  test('payload that is not base64url', () => {
    assertMalformed(() => decodeTakoClaims(`${HEADER}.@@@.c2ln`), /not a readable JWT/);
  });

  test('payload that is not JSON', () => {
    const notJson = Buffer.from('{address:').toString('base64url');
    assertMalformed(() => decodeTakoClaims(`${HEADER}.${notJson}.c2ln`), /not a readable JWT/);
  });

  test('JSON without address', () => {
    assertMalformed(() => decodeTakoClaims(jwtWith({ type: 'token', exp: claims.exp })), /no valid address claim/);
  });

  test('an address claim that is not an address', () => {
    assertMalformed(() => decodeTakoClaims(jwtWith({ ...claims, address: claims.address.slice(0, 20) })), /no valid address claim/);
  });

  test('JSON without type, or type "other"', () => {
    assertMalformed(() => decodeTakoClaims(jwtWith({ address: claims.address, exp: claims.exp })), /no valid type claim/);
    assertMalformed(() => decodeTakoClaims(jwtWith({ ...claims, type: 'other' })), /no valid type claim/);
  });

  test('JSON without exp, or exp negative, zero or not a number', () => {
    assertMalformed(() => decodeTakoClaims(jwtWith({ address: claims.address, type: 'token' })), /no valid exp claim/);
    for (const exp of [-1, 0, '1690963447', null]) {
      assertMalformed(() => decodeTakoClaims(jwtWith({ ...claims, exp })), /no valid exp claim/);
    }
  });

  test('a well-formed hand-made token is read, with the address checksummed', () => {
    const decoded = decodeTakoClaims(jwtWith({ ...claims, address: claims.address.toLowerCase(), extra: 1 }));
    assert.deepEqual(decoded, claims);
  });
});
