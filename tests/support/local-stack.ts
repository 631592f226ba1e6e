/**
 * What the stack suite shares: one local stack per `describe` (`useStack`), the documented sign-in
 * example it must accept, and the Tako API calls the tests make against it (a sign-in body signed
 * with a dev key, a JSON POST, a token's claims and header).
 */

import { after, before, beforeEach } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { buildSignInMessage } from '../../src/core/eth/sign-in-message.ts';
import { addressOfPrivateKey, signPersonalMessage } from '../../src/core/eth/signature.ts';
import { DEV_KEYS } from '../../tools/stack/demo/dev-keys.ts';
import { type Stack, type StackOptions, startStack } from '../../tools/stack/server.ts';
import { DEFAULT_CONFIG } from '../../tools/stack/stack-config.ts';
import type { TokenPair } from '../../tools/stack/tokens.ts';
import { vectors } from './vectors.ts';

/** The sign-in example from the public Tako GetToken docs: a real EIP-191 signature and its tokens. */
export const seed = {
  ...vectors.signIn,
  documentedTokenClaims: vectors.tokens.getToken.token_claims,
  documentedRefreshClaims: vectors.tokens.getToken.refresh_token_claims,
} as const;

export const devKey = DEV_KEYS[0];

/**
 * One local stack (real HTTP on a free loopback port) for the enclosing `describe`: started before
 * its tests, closed after them, and reset before each test to the configuration it started with,
 * with an empty request log and no pending faults, so that no test sees what another one did.
 * Read it inside tests and hooks: `const stack = useStack(); ... stack().url`.
 */
export function useStack(options: StackOptions = {}): () => Stack {
  const { port: _port, secret: _secret, ...startConfig } = options;
  let stack: Stack | undefined;
  const current = (): Stack => {
    if (!stack) throw new Error('The local stack is read before it started: use it inside a test or a hook');
    return stack;
  };
  before(async () => {
    stack = await startStack({ ...options, port: 0 });
  });
  after(() => stack?.close());
  beforeEach(() => {
    current().clearRequests();
    current().faults.clear();
    current().configure({ ...DEFAULT_CONFIG, ...startConfig });
  });
  return current;
}

/**
 * The fields of a Tako API reply the tests read. The API sends `data` with `status: 'success'` and
 * `message` with `status: 'error'`; both are typed as present so that a test reads the one it expects.
 */
export interface TakoReply {
  status: 'success' | 'error';
  data: TokenPair;
  message: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: TakoReply;
}

/** POSTs JSON (or a string as is) and parses the reply as JSON. */
export async function post(stack: Stack, path: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const response = await fetch(stack.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as TakoReply };
}

export function signInBody(privateKey: string, issuedAt: number | string): { message: string; signature: string } {
  const message = buildSignInMessage(addressOfPrivateKey(privateKey), issuedAt);
  return { message, signature: signPersonalMessage(message, privateKey) };
}

/** Signs in with the dev key at the stack's current time and returns the token pair. */
export async function signIn(stack: Stack, version = 'v2'): Promise<{ token: string; refresh_token: string; expires_in: number }> {
  const reply = await post(stack, `/${version}/token`, signInBody(devKey.privateKey, stack.now()));
  if (reply.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(reply.json)}`);
  return reply.json.data;
}

export function claimsOf(token: string): Record<string, unknown> {
  return decodeJwt(token) as Record<string, unknown>;
}

export function headerOf(token: string): Record<string, unknown> {
  return decodeProtectedHeader(token) as Record<string, unknown>;
}
