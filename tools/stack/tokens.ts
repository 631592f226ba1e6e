import { randomUUID } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { type Address, hasAddressShape, toChecksumAddress } from '../../src/core/eth/address.ts';

export type TokenType = 'token' | 'refresh_token';

export interface TokenPair {
  token_type: 'Bearer';
  token: string;
  refresh_token: string;
  expires_in: number;
}

export interface TokenLifetimes {
  accessTtlSec: number;
  refreshTtlSec: number;
}

/** A token the server will not accept; the message is sent to the client as is. */
export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';
}

const label: Record<TokenType, string> = { token: 'access token', refresh_token: 'refresh token' };

/**
 * Mints and checks the Tako-style HS256 tokens: claims `{address, type, exp}` as the API documents,
 * plus a random `jti` so that two tokens minted in the same second differ (rotation and the
 * single-use rule for refresh tokens depend on it).
 */
export class TokenIssuer {
  readonly #key: Uint8Array;
  readonly #usedRefreshTokens = new Set<string>();
  /** Every access token minted so far, by `jti`, and those revoked since. */
  readonly #issuedAccessTokens = new Set<string>();
  readonly #revokedAccessTokens = new Set<string>();

  constructor(secret: string) {
    this.#key = new TextEncoder().encode(secret);
  }

  async issuePair(address: Address, nowMs: number, lifetimes: TokenLifetimes): Promise<TokenPair> {
    const nowSec = Math.floor(nowMs / 1000);
    const [token, refreshToken] = await Promise.all([
      this.#mint(address, 'token', nowSec + lifetimes.accessTtlSec),
      this.#mint(address, 'refresh_token', nowSec + lifetimes.refreshTtlSec),
    ]);
    return { token_type: 'Bearer', token, refresh_token: refreshToken, expires_in: lifetimes.accessTtlSec };
  }

  /** The address a live token of the given type was issued to; throws TokenRejected otherwise. */
  async verify(token: string, type: TokenType, nowMs: number): Promise<{ address: Address; jti: string }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'jti'],
        // Expiry is judged by the server clock, which tests move with the clock offset.
        currentDate: new Date(nowMs),
      }));
    } catch (error) {
      throw new TokenRejected(describeJoseError(error, type));
    }
    if (payload.type !== type) {
      const article = type === 'token' ? 'an' : 'a';
      throw new TokenRejected(`This is not ${article} ${label[type]} (type is ${JSON.stringify(payload.type)})`);
    }
    const address = payload.address;
    if (!hasAddressShape(address) || typeof payload.jti !== 'string') {
      throw new TokenRejected(`The ${label[type]} is missing its address`);
    }
    if (type === 'token' && this.#revokedAccessTokens.has(payload.jti)) {
      throw new TokenRejected('This access token was revoked');
    }
    return { address: toChecksumAddress(address), jti: payload.jti };
  }

  /** Checks a refresh token and marks it used: each one works exactly once. */
  async redeemRefreshToken(token: string, nowMs: number): Promise<Address> {
    const { address, jti } = await this.verify(token, 'refresh_token', nowMs);
    // No await between the check and the add, so of two concurrent refreshes exactly one wins.
    if (this.#usedRefreshTokens.has(jti)) {
      throw new TokenRejected('This refresh token has already been used; sign in again');
    }
    this.#usedRefreshTokens.add(jti);
    return address;
  }

  /**
   * Revokes every access token issued so far, as a server does when it is restarted with a new
   * session store or an operator ends sessions: authenticated calls with them answer 401 before
   * their `exp`. Refresh tokens stay valid, so a client recovers by refreshing. Returns how many.
   */
  revokeAccessTokens(): number {
    let revoked = 0;
    for (const jti of this.#issuedAccessTokens) {
      if (!this.#revokedAccessTokens.has(jti)) revoked += 1;
      this.#revokedAccessTokens.add(jti);
    }
    return revoked;
  }

  #mint(address: Address, type: TokenType, exp: number): Promise<string> {
    const jti = randomUUID();
    if (type === 'token') this.#issuedAccessTokens.add(jti);
    return new SignJWT({ address, type })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(this.#key);
  }
}

function describeJoseError(error: unknown, type: TokenType): string {
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    const when = typeof exp === 'number' ? ` at ${new Date(exp * 1000).toISOString()}` : '';
    return `The ${label[type]} expired${when}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return `The ${label[type]} was not issued by this server (bad signature)`;
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `The ${label[type]} is missing a required claim (${error.claim})`;
  }
  return `The ${label[type]} is not a valid JWT`;
}
