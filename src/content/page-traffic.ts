/**
 * What both relays in the extension's isolated world do with the page's traffic: the relay every
 * page carries (src/content/) and the wallet relay injected only into the page picked for sign-in
 * (src/wallet-relay/). Plain functions, so that each script's bundle holds only what it uses.
 */
import { CONTENT_CHANNEL, MAX_PAGE_MESSAGE_BYTES } from '../core/contract/channels.ts';
import type { Reply } from '../core/contract/protocol.ts';
import type { TakoSessionErrorCode } from '../core/contract/tako-session-api.ts';

/**
 * The contract's error codes, written as numbers so that its object does not ship in every page;
 * `satisfies` ties each one to the contract.
 */
export type Code = typeof TakoSessionErrorCode;

export const errorReply = (code: Code[keyof Code], message: string): Reply => ({ ok: false, error: { code, message } });

/** A message id as the page world makes them (newMessageId), within the protocol's bounds. */
export const isId = (id: unknown): id is string => typeof id === 'string' && id.length > 0 && id.length <= 64;

/** To the page world, on our channel, at this document's own origin. */
export const toPage = (kind: string, fields: object) => window.postMessage({ channel: CONTENT_CHANNEL, kind, ...fields }, location.origin);

/**
 * The refusal of a page message over MAX_PAGE_MESSAGE_BYTES as the JSON (UTF-8) the runtime sends,
 * or not serialisable at all; undefined for one that may go on. A flood of large messages costs
 * the page that sends it, never the background.
 */
export function refusalOf(data: unknown): Reply | undefined {
  try {
    if (new Blob([JSON.stringify(data)]).size > MAX_PAGE_MESSAGE_BYTES)
      return errorReply(-32602 satisfies Code['InvalidParams'], 'Over 64 KB');
  } catch {
    return errorReply(-32602 satisfies Code['InvalidParams'], 'Malformed request');
  }
  return undefined;
}
