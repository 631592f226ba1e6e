/**
 * The one message protocol shared by every context. Each message is declared once here, as a
 * valibot schema (checked at runtime at each boundary) from which its TypeScript type is derived.
 *
 * Boundaries:
 *   page world  --window.postMessage-->  content script   (PageToContent / ContentToPage)
 *   content script --runtime message-->  background       (ContentToBackground)
 *   background  --tabs.sendMessage-->    content script   (BackgroundToContent)
 *   extension pages --runtime message--> background       (UiToBackground)
 */
import * as v from 'valibot';
import { API_VERSIONS, ENDPOINT_PRESETS } from './endpoints.ts';

import { CONTENT_CHANNEL, PAGE_CHANNEL } from './channels.ts';
import type { TakoSessionInfo } from './tako-session-api.ts';

export { CONTENT_CHANNEL, PAGE_CHANNEL };

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const MethodName = v.pipe(v.string(), v.maxLength(128));
const ShortText = v.pipe(v.string(), v.maxLength(2048));
const Accounts = v.pipe(v.array(v.pipe(v.string(), v.maxLength(42))), v.maxLength(16));

export const ErrorPayloadSchema = v.object({
  code: v.number(),
  message: ShortText,
  data: v.optional(v.unknown()),
});
export type ErrorPayload = v.InferOutput<typeof ErrorPayloadSchema>;

/** The public view of a session (no tokens), as pages receive it: checked to be the contract's. */
export const SessionInfoSchema = v.object({
  address: v.custom<TakoSessionInfo['address']>((value) => typeof value === 'string' && value.startsWith('0x') && value.length <= 42),
  state: v.picklist(['signed-in', 'refreshing', 'expired'] satisfies TakoSessionInfo['state'][]),
  expiresAt: v.number(),
  endpoint: v.pipe(v.string(), v.maxLength(2048)),
}) satisfies v.GenericSchema<unknown, TakoSessionInfo>;

/** Every reply across a boundary: a result or an error with an EIP-1193 code. */
export type Reply<T = unknown> = { ok: true; result: T } | { ok: false; error: ErrorPayload };

export const ReplySchema = v.variant('ok', [
  v.object({ ok: v.literal(true), result: v.unknown() }),
  v.object({ ok: v.literal(false), error: ErrorPayloadSchema }),
]);

// ---- page world <-> content script -------------------------------------------------------------

/** Wallets the page world found, as the popup shows them. */
export const WalletInfoSchema = v.object({
  id: Id,
  name: v.pipe(v.string(), v.maxLength(100)),
  icon: v.pipe(v.string(), v.maxLength(100_000)),
  rdns: v.pipe(v.string(), v.maxLength(200)),
});
export type WalletInfo = v.InferOutput<typeof WalletInfoSchema>;

/** What the background asks of the page's wallet. */
export const WalletActionSchema = v.variant('action', [
  v.object({ action: v.literal('list-wallets') }),
  v.object({ action: v.literal('request-accounts'), walletId: v.optional(Id) }),
  v.object({
    action: v.literal('sign'),
    walletId: v.optional(Id),
    address: v.pipe(v.string(), v.maxLength(42)),
    message: ShortText,
  }),
]);
export type WalletAction = v.InferOutput<typeof WalletActionSchema>;

/**
 * What the page world posts to the content script. A type only: the relay routes on a few
 * structural checks and the background validates what it forwards (ContentToBackgroundSchema).
 */
export type PageToContent =
  | { channel: typeof PAGE_CHANNEL; kind: 'request'; id: string; method: string; params?: unknown }
  | { channel: typeof PAGE_CHANNEL; kind: 'wallet-reply'; id: string; reply: Reply }
  | { channel: typeof PAGE_CHANNEL; kind: 'wallet-accounts'; accounts: string[] };

export const ContentToPageSchema = v.variant('kind', [
  v.object({ channel: v.literal(CONTENT_CHANNEL), kind: v.literal('reply'), id: Id, reply: ReplySchema }),
  v.object({ channel: v.literal(CONTENT_CHANNEL), kind: v.literal('event'), event: v.literal('sessionChanged'), data: v.nullable(SessionInfoSchema) }),
  v.object({ channel: v.literal(CONTENT_CHANNEL), kind: v.literal('wallet-request'), id: Id, request: WalletActionSchema }),
]);
export type ContentToPage = v.InferOutput<typeof ContentToPageSchema>;

// ---- content script <-> background -------------------------------------------------------------

export const ContentToBackgroundSchema = v.variant('type', [
  v.object({
    type: v.literal('page-request'),
    method: MethodName,
    params: v.optional(v.unknown()),
  }),
  /** The page's wallet reported `accountsChanged`. */
  v.object({ type: v.literal('wallet-accounts'), accounts: Accounts }),
]);
export type ContentToBackground = v.InferOutput<typeof ContentToBackgroundSchema>;

export const BackgroundToContentSchema = v.variant('type', [
  v.object({ type: v.literal('ping') }),
  /** `origin`: the site the tab showed when it was picked; the content script checks it still does. */
  v.object({ type: v.literal('session-changed'), origin: v.string(), session: v.nullable(SessionInfoSchema) }),
  v.object({ type: v.literal('wallet-request'), request: WalletActionSchema }),
]);
export type BackgroundToContent = v.InferOutput<typeof BackgroundToContentSchema>;

// ---- extension pages <-> background ------------------------------------------------------------

export const EndpointSettingSchema = v.object({
  preset: v.picklist(ENDPOINT_PRESETS),
  baseUrl: v.optional(v.pipe(v.string(), v.maxLength(2048))),
  version: v.optional(v.picklist(API_VERSIONS)),
});
export type EndpointSetting = v.InferOutput<typeof EndpointSettingSchema>;

export const UiToBackgroundSchema = v.variant('type', [
  v.object({ type: v.literal('get-state') }),
  v.object({ type: v.literal('list-wallets') }),
  v.object({ type: v.literal('sign-in'), walletId: v.optional(Id) }),
  v.object({ type: v.literal('refresh-now') }),
  v.object({ type: v.literal('sign-out'), scope: v.picklist(['active', 'all']) }),
  v.object({ type: v.literal('sign-out-account'), address: v.pipe(v.string(), v.maxLength(42)) }),
  v.object({ type: v.literal('activate-account'), address: v.pipe(v.string(), v.maxLength(42)) }),
  v.object({ type: v.literal('get-settings') }),
  v.object({ type: v.literal('save-settings'), endpoint: EndpointSettingSchema }),
  v.object({ type: v.literal('revoke-site'), origin: v.pipe(v.string(), v.maxLength(2048)) }),
  v.object({ type: v.literal('get-approval'), requestId: Id }),
  v.object({ type: v.literal('answer-approval'), requestId: Id, approved: v.boolean() }),
  // MetaHuman SDK token (options page).
  v.object({ type: v.literal('get-metahuman') }),
  v.object({
    type: v.literal('obtain-metahuman'),
    name: v.pipe(v.string(), v.maxLength(2048)),
    mail: v.pipe(v.string(), v.maxLength(2048)),
    comment: v.pipe(v.string(), v.maxLength(4096)),
    /** The stored token cannot be fetched again: replacing it needs the person's explicit yes. */
    replaceExisting: v.boolean(),
  }),
  v.object({ type: v.literal('save-metahuman-settings'), baseUrl: v.pipe(v.string(), v.maxLength(2048)) }),
]);
export type UiToBackground = v.InferOutput<typeof UiToBackgroundSchema>;

/** Broadcast from the background to open extension pages when anything they show changed. */
export const STATE_CHANGED = { type: 'state-changed' } as const;

export function parseMessage<S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, value);
  return result.success ? result.output : undefined;
}
