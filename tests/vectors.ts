/**
 * The real-world values from the public Tako API documentation, shared by every unit test.
 *
 * They live outside the repository, in `shared/vectors/tako.json` beside the clone. The folder is
 * `TAKO_SHARED_DIR` when set, else `<repo>/../shared`. A missing or unreadable file stops the
 * run with a clear error: these tests are never skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Address } from '../src/core/address.ts';

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

/** tests/vectors.ts → one level up is the repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const sharedDir = process.env.TAKO_SHARED_DIR
  ? path.resolve(process.env.TAKO_SHARED_DIR)
  : path.resolve(repoRoot, '../shared');

export const vectorsPath = path.join(sharedDir, 'vectors', 'tako.json');

function load(): TakoVectors {
  if (!existsSync(vectorsPath)) {
    throw new Error(
      `Tako test vectors not found at ${vectorsPath}. ` +
        'Put the shared folder beside the repository (<clone>/../shared) or set TAKO_SHARED_DIR to it.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(vectorsPath, 'utf8'));
  } catch (cause) {
    throw new Error(`Tako test vectors at ${vectorsPath} are not readable JSON`, { cause });
  }
  const v = parsed as Partial<TakoVectors> | null;
  const missing = [
    ['signIn.message', v?.signIn?.message],
    ['signIn.signature', v?.signIn?.signature],
    ['tokens.getToken.token', v?.tokens?.getToken?.token],
    ['tokens.refreshToken.token', v?.tokens?.refreshToken?.token],
    ['metahuman.response_example', v?.metahuman?.response_example],
  ].filter(([, value]) => value === undefined);
  if (missing.length > 0) {
    throw new Error(`Tako test vectors at ${vectorsPath} lack: ${missing.map(([name]) => name).join(', ')}`);
  }
  return parsed as TakoVectors;
}

export const vectors: TakoVectors = load();
export default vectors;
