/**
 * The page protocol: the messages between the page world, the content script and the background.
 * Each is declared once here, as a valibot schema (checked at runtime where it is consumed) from
 * which its TypeScript type is derived. The extension pages' protocol is in ui-protocol.ts.
 *
 * Boundaries:
 *   page world  --window.postMessage-->  content script   (PageToContent / ContentToPage)
 *   wallet bridge --window.postMessage-> content script   (BridgeToContent / ContentToBridge)
 *   content script --runtime message-->  background       (ContentToBackground)
 *   background  --tabs.sendMessage-->    content script   (BackgroundToContent)
 */
import * as v from 'valibot';
import { ICON_BUDGET_CHARS } from '../eth/eip6963.ts';
import { CONTENT_CHANNEL, type PAGE_CHANNEL } from './channels.ts';
import type { TakoAccess, TakoSessionInfo } from './tako-session-api.ts';

/** Request ids, wallet ids: short non-empty strings. */
export const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
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

/** Whether an origin may use the session, as its pages are told. */
export const AccessSchema = v.object({ allowed: v.boolean() }) satisfies v.GenericSchema<unknown, TakoAccess>;

/** Every reply across a boundary: a result or an error with an EIP-1193 code. */
export type Reply<T = unknown> = { ok: true; result: T } | { ok: false; error: ErrorPayload };

export const ReplySchema = v.variant('ok', [
  v.object({ ok: v.literal(true), result: v.unknown() }),
  v.object({ ok: v.literal(false), error: ErrorPayloadSchema }),
]);

// ---- page world <-> content script -------------------------------------------------------------

/**
 * A wallet the page world found: its EIP-6963 uuid (or the `window.ethereum` fallback's id), icon
 * and reverse-DNS name, '' when it has none. Its free-text name is not passed on: the extension
 * never shows a page's free text.
 */
export const WalletInfoSchema = v.object({
  id: Id,
  icon: v.pipe(v.string(), v.maxLength(ICON_BUDGET_CHARS)),
  rdns: v.pipe(v.string(), v.maxLength(253)),
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
 * `listen`: the page wants events, so the relay connects to the background (it waits for the
 * page's first message on the channel before it does).
 */
export type PageToContent =
  | { channel: typeof PAGE_CHANNEL; kind: 'request'; id: string; method: string; params?: unknown }
  | { channel: typeof PAGE_CHANNEL; kind: 'listen' };

/** What the wallet bridge posts to the content script; a type only, as for PageToContent. */
export type BridgeToContent =
  | { channel: typeof PAGE_CHANNEL; kind: 'wallet-reply'; id: string; reply: Reply }
  | { channel: typeof PAGE_CHANNEL; kind: 'wallet-accounts'; accounts: string[] };

export const ContentToPageSchema = v.variant('kind', [
  v.object({ channel: v.literal(CONTENT_CHANNEL), kind: v.literal('reply'), id: Id, reply: ReplySchema }),
  v.object({
    channel: v.literal(CONTENT_CHANNEL),
    kind: v.literal('event'),
    event: v.literal('sessionChanged'),
    data: v.nullable(SessionInfoSchema),
  }),
  v.object({ channel: v.literal(CONTENT_CHANNEL), kind: v.literal('event'), event: v.literal('accessChanged'), data: AccessSchema }),
]);
export type ContentToPage = v.InferOutput<typeof ContentToPageSchema>;

/**
 * What the content script asks of the wallet bridge, which is only in the page picked for
 * sign-in. It shares the page's window with `page.js`: each takes its own kinds and ignores the rest.
 */
export const ContentToBridgeSchema = v.object({
  channel: v.literal(CONTENT_CHANNEL),
  kind: v.literal('wallet-request'),
  id: Id,
  request: WalletActionSchema,
});
export type ContentToBridge = v.InferOutput<typeof ContentToBridgeSchema>;

// ---- content script <-> background -------------------------------------------------------------

export const ContentToBackgroundSchema = v.variant('type', [
  v.object({
    type: v.literal('page-request'),
    method: MethodName,
    params: v.optional(v.unknown()),
  }),
  /** The page's wallet reported `accountsChanged`; `pin`: the sign-in pin the document holds, if any. */
  v.object({ type: v.literal('wallet-accounts'), accounts: Accounts, pin: v.optional(Id) }),
]);
export type ContentToBackground = v.InferOutput<typeof ContentToBackgroundSchema>;

/**
 * A page event (the page API's `sessionChanged` or `accessChanged`) for the page world, which the
 * relay forwards as it is, after checking `origin`: the site the tab showed when the background
 * picked it. The session goes to allowed origins only; an access change to that origin's tabs only.
 */
const PageEventSchema = v.variant('event', [
  v.object({ type: v.literal('page-event'), origin: v.string(), event: v.literal('sessionChanged'), data: v.nullable(SessionInfoSchema) }),
  v.object({ type: v.literal('page-event'), origin: v.string(), event: v.literal('accessChanged'), data: AccessSchema }),
]);

export const BackgroundToContentSchema = v.variant('type', [
  PageEventSchema,
  /** For the document holding `pin` (SIGN_IN_PIN) only. */
  v.object({ type: v.literal('wallet-request'), pin: Id, request: WalletActionSchema }),
  /**
   * Is this document still there? The relay answers nothing: the browser settles a message the
   * document received and nobody answered, and fails one that no such document can receive.
   */
  v.object({ type: v.literal('ping') }),
]);
export type BackgroundToContent = v.InferOutput<typeof BackgroundToContentSchema>;

export function parseMessage<S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, value);
  return result.success ? result.output : undefined;
}
