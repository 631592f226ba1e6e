/**
 * The extension-page protocol: what the popup, options and approval pages may ask the background,
 * and what each request is answered with. Requests are checked at runtime where the background
 * receives them; replies are typed by their request (`UiReplies`), so a page's `ask(request)` needs
 * no cast and a background handler that answers the wrong shape, or is missing, fails tsc.
 */
import * as v from 'valibot';
import type { ConsentScope } from '../consent/consent.ts';
import { GRANT_DURATIONS, MAX_FORGET_UNUSED_DAYS } from '../consent/grants.ts';
import type { TokenAccess } from '../consent/header-rules.ts';
import type { AllowedOrigin, MetahumanTokenRecord, Settings } from '../consent/records.ts';
import type { PolicyLocks } from '../policy/policy.ts';
import { API_VERSIONS, ENDPOINT_PRESETS, type Endpoint } from '../session/endpoints.ts';
import type { SessionInfo } from '../session/session.ts';
import { type LifetimeEnding, SessionLifetimeSchema } from '../session/session-lifetime.ts';
import { Id, type WalletInfo } from './protocol.ts';

export const EndpointSettingSchema = v.object({
  preset: v.picklist(ENDPOINT_PRESETS),
  baseUrl: v.optional(v.pipe(v.string(), v.maxLength(2048))),
  version: v.optional(v.picklist(API_VERSIONS)),
});
export type EndpointSetting = v.InferOutput<typeof EndpointSettingSchema>;

/** An open tab, as the popup names it; the origin is the one the person was shown. */
const PageSourceSchema = v.object({
  kind: v.literal('page'),
  tabId: v.pipe(v.number(), v.integer(), v.minValue(0)),
  origin: v.pipe(v.string(), v.maxLength(2048)),
});

/**
 * Where a sign-in's signature comes from: a wallet extension spoken to directly, or the wallet of
 * one open page, named to the person before anything is sent (SPEC "Where the signature comes from").
 */
export const SignInSourceSchema = v.variant('kind', [
  v.object({ kind: v.literal('extension'), extensionId: v.pipe(v.string(), v.minLength(1), v.maxLength(128)) }),
  PageSourceSchema,
]);
export type SignInSource = v.InferOutput<typeof SignInSourceSchema>;

/** A page source as listed for the person: by its origin alone, never the page's title. */
export type PageSource = v.InferOutput<typeof PageSourceSchema>;
/** A wallet extension as listed for the person: with its name. */
/** `name`: a known wallet extension's product name; absent for one known only by the id set in the settings. */
export type ExtensionSource = Extract<SignInSource, { kind: 'extension' }> & { name?: string };
export type SignInSourceView = ExtensionSource | PageSource;

export const UiRequestSchema = v.variant('type', [
  v.object({ type: v.literal('get-state') }),
  /** The sources the popup can name, the one to name first at the head. Sends nothing to any page. */
  v.object({ type: v.literal('list-sign-in-sources') }),
  /** The wallets in the named page (pins its document and adds the wallet bridge to it). */
  v.object({ type: v.literal('list-wallets'), source: PageSourceSchema }),
  v.object({ type: v.literal('sign-in'), source: SignInSourceSchema, walletId: v.optional(Id) }),
  v.object({ type: v.literal('cancel-sign-in') }),
  v.object({ type: v.literal('refresh-now') }),
  v.object({ type: v.literal('sign-out'), scope: v.picklist(['active', 'all']) }),
  v.object({ type: v.literal('sign-out-account'), address: v.pipe(v.string(), v.maxLength(42)) }),
  v.object({ type: v.literal('activate-account'), address: v.pipe(v.string(), v.maxLength(42)) }),
  v.object({ type: v.literal('get-settings') }),
  /**
   * `walletExtensionId`: '' goes back to MetaMask; absent keeps the stored one. `sessionLifetime`:
   * how long sessions on this endpoint last (absent keeps the endpoint's own).
   */
  v.object({
    type: v.literal('save-settings'),
    endpoint: EndpointSettingSchema,
    walletExtensionId: v.optional(v.pipe(v.string(), v.maxLength(200))),
    sessionLifetime: v.optional(SessionLifetimeSchema),
    /** Remove sites not used for this many days; null: never; absent keeps the stored choice. */
    forgetUnusedDays: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_FORGET_UNUSED_DAYS)))),
  }),
  v.object({ type: v.literal('revoke-site'), origin: v.pipe(v.string(), v.maxLength(2048)) }),
  /** Forgets every site's activity (last used, tokens received); the grants stay. */
  v.object({ type: v.literal('clear-activity') }),
  v.object({ type: v.literal('get-approval'), requestId: Id }),
  /** `duration`: how long an allowed site keeps its access (the window's choice; until revoked when absent). */
  /** `account`: the signed-in account the site is bound to (the active one when absent). */
  v.object({
    type: v.literal('answer-approval'),
    requestId: Id,
    approved: v.boolean(),
    duration: v.optional(v.picklist(GRANT_DURATIONS)),
    account: v.optional(v.pipe(v.string(), v.maxLength(42))),
  }),
  /** Binds an allowed site to another signed-in account. */
  v.object({ type: v.literal('move-site'), origin: v.pipe(v.string(), v.maxLength(2048)), address: v.pipe(v.string(), v.maxLength(42)) }),
  /** The person lets a refused origin ask again before its cool-down ends. */
  v.object({ type: v.literal('lift-cooldown'), site: v.pipe(v.string(), v.maxLength(2048)) }),
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
export type UiRequest = v.InferOutput<typeof UiRequestSchema>;
export type UiRequestType = UiRequest['type'];

/** What the popup shows as the session's state (and the toolbar badge mirrors). */
export type PopupStateName = 'signed-out' | 'signing-in' | 'signed-in' | 'refreshing' | 'expired';

/** A sign-in in progress shows as such; otherwise the active session's state, or signed out. */
export function popupStateName(signingIn: boolean, session: SessionInfo | null): PopupStateName {
  return signingIn ? 'signing-in' : (session?.state ?? 'signed-out');
}

export interface AccountInfo extends SessionInfo {
  active: boolean;
}

export interface PopupState {
  state: PopupStateName;
  session: SessionInfo | null;
  /** Every account signed in on the current endpoint. */
  accounts: AccountInfo[];
  /** The wallet switched to this account, which has no session yet. */
  switchedAccount: string | null;
  refreshExpiresAt: number | null;
  /**
   * When the current token pair arrived. Every sign-in and refresh changes it, even when the new
   * token's expiry (whole seconds) equals the old one's.
   */
  tokenObtainedAt: number | null;
  error: string | null;
  endpoint: Endpoint;
  sites: AllowedOrigin[];
  /**
   * Sites (scheme and registrable domain, or the origin for an address or localhost) refused
   * without a window until `until`, after the person refused them.
   */
  cooldowns: Array<{ site: string; scope: ConsentScope; until: number }>;
  /** Nobody is signed in on this endpoint because the session lifetime chosen for it ended the last session. */
  lifetimeEnding: LifetimeEnding | null;
  /** When the active session's lifetime ends it (`max-age`); null when it has no deadline. */
  lifetimeEndsAt: number | null;
}

/** What the options page shows. The full token is there so the person can copy it. */
export interface MetahumanView {
  baseUrl: string;
  defaultBaseUrl: string;
  token: (Omit<MetahumanTokenRecord, 'v'> & { masked: string }) | null;
}

/** The reply to each request, by its type. */
export interface UiReplies {
  'get-state': PopupState;
  'list-sign-in-sources': SignInSourceView[];
  'list-wallets': { origin: string; wallets: WalletInfo[] };
  'sign-in': SessionInfo;
  'cancel-sign-in': null;
  'refresh-now': SessionInfo;
  'sign-out': null;
  'sign-out-account': null;
  'activate-account': SessionInfo;
  /** The settings in use (the policy laid over them), and what the policy locks. */
  'get-settings': Settings & { locks: PolicyLocks };
  'save-settings': Settings;
  'revoke-site': null;
  'clear-activity': null;
  'move-site': null;
  /** `insecure`: an http:// origin that is not this computer. */
  /** `accounts`: the accounts signed in on the current endpoint, the active one marked (a session grant binds one). */
  'get-approval': {
    origin: string;
    scope: ConsentScope;
    insecure: boolean;
    /** `header`: a session request for header-only access. */
    tokenAccess: TokenAccess;
    accounts: Array<{ address: string; active: boolean }>;
  };
  'answer-approval': null;
  'lift-cooldown': null;
  'get-metahuman': MetahumanView;
  'obtain-metahuman': MetahumanView;
  'save-metahuman-settings': MetahumanView;
}

/** Every request has a reply type and every reply type a request, or this line does not compile. */
true satisfies [UiRequestType, keyof UiReplies] extends [keyof UiReplies, UiRequestType] ? true : never;

export type UiReply<T extends UiRequestType> = UiReplies[T];

/** The background's table: one handler per request type, answering that type's reply. */
export type UiHandlers = { [T in UiRequestType]: (request: Extract<UiRequest, { type: T }>) => Promise<UiReplies[T]> };

/** Sent by the background to open extension pages when anything they show changed. */
export const STATE_CHANGED = { type: 'state-changed' } as const;
