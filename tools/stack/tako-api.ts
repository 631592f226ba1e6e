import { describeError } from '../../src/core/contract/errors.ts';
import { type Address, sameAddress } from '../../src/core/eth/address.ts';
import { parseSignInMessage, type SignInMessageFields } from '../../src/core/eth/sign-in-message.ts';
import { recoverPersonalSigner } from '../../src/core/eth/signature.ts';
import { type HttpReply, jsonReply, type RequestBody } from './http-io.ts';
import { type TokenIssuer, type TokenLifetimes, TokenRejected } from './tokens.ts';

/** How far ISSUED AT may be from the server clock, either way. */
export const ISSUED_AT_WINDOW_MS = 5 * 60 * 1000;

export interface TakoApiContext {
  tokens: TokenIssuer;
  /** The server clock (ms since the epoch). */
  now(): number;
  lifetimes(): TokenLifetimes;
}

/** The Tako error envelope. */
export function takoError(status: number, message: string, headers: Record<string, string> = {}): HttpReply {
  return jsonReply(status, { status: 'error', message }, headers);
}

function success(data: unknown): HttpReply {
  return jsonReply(200, { status: 'success', data });
}

/** The JSON object body, or a readable reason why there is none. */
function jsonObject(body: RequestBody): Record<string, unknown> | string {
  if (body.mediaType !== 'application/json') {
    return `Content-Type must be application/json (got ${body.mediaType || 'none'})`;
  }
  if (typeof body.json !== 'object' || body.json === null || Array.isArray(body.json)) {
    return 'The body must be a JSON object';
  }
  return body.json as Record<string, unknown>;
}

/** POST /{v1,v2}/token: `{message, signature}` signed with personal_sign by the ACCOUNT. */
export async function signIn(context: TakoApiContext, body: RequestBody): Promise<HttpReply> {
  const fields = jsonObject(body);
  if (typeof fields === 'string') return takoError(400, fields);
  const { message, signature } = fields;
  if (typeof message !== 'string' || typeof signature !== 'string') {
    return takoError(400, 'The body must have string fields "message" and "signature"');
  }

  let parsed: SignInMessageFields;
  let signer: Address;
  try {
    parsed = parseSignInMessage(message);
    signer = recoverPersonalSigner(message, signature);
  } catch (error) {
    return takoError(400, describeError(error));
  }
  if (!sameAddress(signer, parsed.address)) {
    return takoError(
      400,
      `The signature does not match ACCOUNT ${parsed.address}: it was made by another key, or the message changed after signing`,
    );
  }

  const now = context.now();
  const skew = parsed.issuedAtMs - now;
  if (Math.abs(skew) > ISSUED_AT_WINDOW_MS) {
    const seconds = Math.round(Math.abs(skew) / 1000);
    const side = skew < 0 ? 'behind' : 'ahead of';
    const serverTime = new Date(now).toISOString();
    return takoError(
      400,
      `ISSUED AT ${parsed.issuedAtText} is ${seconds} s ${side} the server time ${serverTime}; it must be within 5 minutes`,
    );
  }

  return success(await context.tokens.issuePair(parsed.address, now, context.lifetimes()));
}

/** POST /{v1,v2}/refresh_token: `{refresh_token}`; rotates, and each refresh token works once. */
export async function refresh(context: TakoApiContext, body: RequestBody): Promise<HttpReply> {
  const fields = jsonObject(body);
  if (typeof fields === 'string') return takoError(400, fields);
  const refreshToken = fields.refresh_token;
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    return takoError(400, 'The body must have a string field "refresh_token"');
  }
  try {
    const now = context.now();
    const address = await context.tokens.redeemRefreshToken(refreshToken, now);
    return success(await context.tokens.issuePair(address, now, context.lifetimes()));
  } catch (error) {
    if (error instanceof TokenRejected) return takoError(401, error.message);
    throw error;
  }
}

const unauthorized = (message: string) => takoError(401, message, { 'WWW-Authenticate': 'Bearer' });

/** POST /{v1,v2}/farcaster/ignore_bid: stands in for any endpoint that needs a live access token. */
export async function ignoreBid(context: TakoApiContext, authorization: string | undefined): Promise<HttpReply> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return unauthorized('Missing "Authorization: Bearer <token>" header');
  try {
    const { address } = await context.tokens.verify(match[1]!, 'token', context.now());
    return success({ ignored: true, address });
  } catch (error) {
    if (error instanceof TokenRejected) return unauthorized(error.message);
    throw error;
  }
}
