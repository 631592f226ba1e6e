/**
 * What the background stores besides sessions, by format version (`v`). Extension pages are shown
 * some of these records as they are, so the types live below both.
 */

import type { Endpoint } from '../session/endpoints.ts';
import type { SessionLifetime } from '../session/session-lifetime.ts';
import type { ApprovalCaller, ConsentScope, Cooldown } from './consent.ts';
import type { TokenAccess } from './header-rules.ts';

export interface Settings {
  v: 1;
  endpoint: Endpoint;
  /**
   * The MetaMask-compatible extension to sign in with directly (`wallet-extension.ts` checks it).
   * Absent, as in records stored before it existed: MetaMask stable, then Flask.
   */
  walletExtensionId?: string;
  /**
   * How long a session lasts, per endpoint key (session-lifetime.ts). An endpoint with none stays
   * signed in, as records stored before lifetimes existed do.
   */
  lifetimes?: Record<string, SessionLifetime>;
  /** Sites not used for this many days are removed (undefined: never, the default). */
  forgetUnusedDays?: number;
  /** The lifetime of every endpoint when the organisation's policy sets it: laid over, never stored. */
  lockedLifetime?: SessionLifetime;
}

/** An origin the person allowed, in the approval window, to use `window.takoSession`. */
export interface AllowedOrigin {
  origin: string;
  allowedAt: number;
  /**
   * The separate grant of the MetaHuman SDK token (which never expires). Records stored before
   * this grant existed read as false.
   */
  metahuman: boolean;
  /** Allowed by the organisation's policy (laid over the stored list, never stored): not revocable. */
  byPolicy?: true;
  /**
   * The account the site is bound to: the one active when the person allowed it (or chose in the
   * window, or moved it to in the popup). Absent (nobody was signed in, or records from before):
   * the active account.
   */
  account?: string;
  /** When the grant ends (the person chose 1 or 30 days); absent: until revoked. */
  expiresAt?: number;
  /**
   * Present when the grant lasts while a tab of the site is open: the tabs that hold it (the one
   * allowed, and tabs of the site that used it while another of them was open).
   */
  tabIds?: number[];
  /**
   * `header`: header-only access, the site never reads a token and the browser adds it to the
   * site's requests to the API (header-rules.ts). Absent: tokens from `tako_getToken`.
   */
  tokenAccess?: Extract<TokenAccess, 'header'>;
  /** Its activity (SiteActivity), laid over the list as it is shown; kept in a record of its own. */
  lastUsedAt?: number;
  tokens?: number;
}

/** What a site did with its access: when it last received a token, and how many it received. */
export interface SiteActivity {
  lastUsedAt: number;
  tokens: number;
}

/**
 * An approval waiting for the person, kept so that a new worker can finish it. It belongs to the
 * documents that asked: when the last of them goes away, the request ends.
 */
export interface PendingApproval {
  requestId: string;
  origin: string;
  scope: ConsentScope;
  /** The documents that asked; the window is shown once the tab of one of them is in front. */
  callers: ApprovalCaller[];
  createdAt: number;
  /** The approval window showing it. */
  windowId?: number;
  /**
   * Since when the window has been in front (shown, brought to the front, or focused), without a
   * break: *Allow* counts its delay from here. Absent until shown, and while another window has
   * the focus.
   */
  shownAt?: number;
  /** When the window was last brought to the front for it (at most once every RAISE_INTERVAL_MS). */
  raisedAt?: number;
  /** A session request for header-only access (the window says so; Allow grants it that way). */
  tokenAccess?: Extract<TokenAccess, 'header'>;
}

/** Approvals waiting for the person and sites refused for a while. */
export interface ConsentRecord {
  v: 1;
  pending: PendingApproval[];
  /** One per site and scope. */
  cooldowns: Array<Cooldown & { scope: ConsentScope }>;
}

/** The MetaHuman SDK token: it never expires and the API will not show it again. */
export interface MetahumanTokenRecord {
  v: 1;
  token: string;
  obtainedAt: number;
  /** The API that issued it. */
  baseUrl: string;
  name: string;
  mail: string;
}

export interface MetahumanSettings {
  v: 1;
  baseUrl: string;
}
