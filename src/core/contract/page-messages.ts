/**
 * Checks of the messages the page-world scripts receive, written by hand rather than with the
 * schema library: page.js runs in every page the person opens and the library is most of its
 * weight. Each function accepts exactly what its schema in protocol.ts accepts (a unit test runs
 * both on the same samples) and returns the same output: known keys only, in the schema's order.
 */
import { CONTENT_CHANNEL } from './channels.ts';
import type { ContentToBridge, ContentToPage, ErrorPayload, Reply, WalletAction } from './protocol.ts';
import type { TakoAccess, TakoSessionInfo } from './tako-session-api.ts';

type Data = Record<string, unknown>;

/** What the schema library calls an object: anything non-null of type object (arrays too). */
const isObject = (value: unknown): value is Data => !!value && typeof value === 'object';
const isString = (value: unknown, max: number, min = 0): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max;
const isNumber = (value: unknown): value is number => typeof value === 'number' && !Number.isNaN(value);
const isId = (value: unknown): value is string => isString(value, 64, 1);
/** Keys are read with `in`, as the schema library reads them (a present `undefined` counts). */
const has = (value: Data, key: string) => key in value;

function errorPayload(value: unknown): ErrorPayload | undefined {
  if (!isObject(value) || !isNumber(value.code) || !isString(value.message, 2048)) return undefined;
  const error: ErrorPayload = { code: value.code, message: value.message };
  if (has(value, 'data')) error.data = value.data;
  return error;
}

function reply(value: unknown): Reply | undefined {
  if (!isObject(value)) return undefined;
  if (value.ok === true) return has(value, 'result') ? { ok: true, result: value.result } : undefined;
  if (value.ok !== false || !has(value, 'error')) return undefined;
  const error = errorPayload(value.error);
  return error && { ok: false, error };
}

function sessionInfo(value: unknown): TakoSessionInfo | null | undefined {
  if (value === null) return null;
  if (!isObject(value)) return undefined;
  const { address, state, expiresAt, endpoint } = value;
  if (typeof address !== 'string' || !address.startsWith('0x') || address.length > 42) return undefined;
  if (state !== 'signed-in' && state !== 'refreshing' && state !== 'expired') return undefined;
  if (!isNumber(expiresAt) || !isString(endpoint, 2048)) return undefined;
  return { address: address as TakoSessionInfo['address'], state, expiresAt, endpoint };
}

function access(value: unknown): TakoAccess | undefined {
  return isObject(value) && typeof value.allowed === 'boolean' ? { allowed: value.allowed } : undefined;
}

/** A message from the content script to page.js (ContentToPageSchema), or undefined. */
export function parseContentToPage(value: unknown): ContentToPage | undefined {
  if (!isObject(value) || value.channel !== CONTENT_CHANNEL) return undefined;
  if (value.kind === 'reply') {
    const checked = reply(value.reply);
    return isId(value.id) && checked ? { channel: CONTENT_CHANNEL, kind: 'reply', id: value.id, reply: checked } : undefined;
  }
  if (value.kind !== 'event' || !has(value, 'data')) return undefined;
  if (value.event === 'sessionChanged') {
    const data = sessionInfo(value.data);
    return data === undefined ? undefined : { channel: CONTENT_CHANNEL, kind: 'event', event: 'sessionChanged', data };
  }
  if (value.event === 'accessChanged') {
    const data = access(value.data);
    return data && { channel: CONTENT_CHANNEL, kind: 'event', event: 'accessChanged', data };
  }
  return undefined;
}

function walletAction(value: unknown): WalletAction | undefined {
  if (!isObject(value)) return undefined;
  if (value.action === 'list-wallets') return { action: 'list-wallets' };
  // An optional key that is present must hold a valid value, `undefined` included.
  const walletId = value.walletId;
  if (walletId !== undefined && !isId(walletId)) return undefined;
  const withWallet = has(value, 'walletId') ? { walletId } : {};
  if (value.action === 'request-accounts') return { action: 'request-accounts', ...withWallet };
  if (value.action !== 'sign' || !isString(value.address, 42) || !isString(value.message, 2048)) return undefined;
  return { action: 'sign', ...withWallet, address: value.address, message: value.message };
}

/** A request from the content script to the wallet bridge (ContentToBridgeSchema), or undefined. */
export function parseContentToBridge(value: unknown): ContentToBridge | undefined {
  if (!isObject(value) || value.channel !== CONTENT_CHANNEL || value.kind !== 'wallet-request' || !isId(value.id)) return undefined;
  const request = walletAction(value.request);
  return request && { channel: CONTENT_CHANNEL, kind: 'wallet-request', id: value.id, request };
}
