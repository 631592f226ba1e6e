import { decodeJwt } from 'jose';
import { TakoError } from '../contract/errors.ts';
import { type Address, hasAddressShape, toChecksumAddress } from '../eth/address.ts';

export type TakoTokenType = 'token' | 'refresh_token';

/** The claims the Tako API puts in its tokens. */
export interface TakoClaims {
  address: Address;
  type: TakoTokenType;
  /** Seconds since the epoch, as in the JWT. */
  exp: number;
}

/**
 * Reads a Tako JWT's claims without verifying it: the signing secret is the server's, and the
 * extension only needs the claims to schedule refreshes and to check the server's reply.
 */
export function decodeTakoClaims(token: unknown, expectedType?: TakoTokenType): TakoClaims {
  if (typeof token !== 'string' || token.length === 0) {
    throw new TakoError('malformed', 'The token is missing or not a string');
  }
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(token);
  } catch (cause) {
    throw new TakoError('malformed', 'The token is not a readable JWT', { cause });
  }
  const { address, type, exp } = payload;
  if (!hasAddressShape(address)) throw new TakoError('malformed', 'The token has no valid address claim');
  if (type !== 'token' && type !== 'refresh_token') {
    throw new TakoError('malformed', 'The token has no valid type claim');
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0) {
    throw new TakoError('malformed', 'The token has no valid exp claim');
  }
  if (expectedType !== undefined && type !== expectedType) {
    throw new TakoError('malformed', `Expected a ${expectedType} but got a ${type}`);
  }
  return { address: toChecksumAddress(address), type, exp };
}
