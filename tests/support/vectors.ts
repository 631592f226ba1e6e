/**
 * The real-world values from the public Tako and MetaHuman API documents, shared by every unit and
 * stack test. The repository keeps its own copy in `tests/fixtures/tako-vectors.json` (its `about`
 * field says where each value comes from), so a clone passes `npm test` on its own.
 */
import type { Address } from '../../src/core/eth/address.ts';
import raw from '../fixtures/tako-vectors.json' with { type: 'json' };

export interface TakoClaimsVector {
  address: Address;
  type: 'token' | 'refresh_token';
  exp: number;
}

export interface TokenPairVector {
  token: string;
  token_claims: TakoClaimsVector;
  refresh_token: string;
  refresh_token_claims: TakoClaimsVector;
  expires_in: number;
}

export interface TakoVectors {
  about: string;
  signIn: {
    address: Address;
    issuedAt: string;
    message: string;
    signature: `0x${string}`;
    note: string;
  };
  tokens: {
    getToken: TokenPairVector;
    refreshToken: TokenPairVector & { request: { refresh_token: string }; note: string };
  };
  metahuman: {
    request: { content_type: string; fields: string[] };
    response_example: { result: { token: string } };
    error_shape: { error: { code: number; message: string } };
  };
}

export const vectors = raw as TakoVectors;
export default vectors;
