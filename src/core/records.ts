/**
 * What the background stores besides sessions, by format version (`v`). Extension pages are shown
 * some of these records as they are, so the types live below both.
 */
import type { ConsentScope, Cooldown } from './consent.ts';
import type { Endpoint } from './endpoints.ts';

export interface Settings {
  v: 1;
  endpoint: Endpoint;
  /**
   * The MetaMask-compatible extension to sign in with directly (`wallet-extension.ts` checks it).
   * Absent, as in records stored before it existed: MetaMask stable, then Flask.
   */
  walletExtensionId?: string;
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
}

/** An approval waiting for the person, kept so that a new worker can finish it. */
export interface PendingApproval {
  requestId: string;
  origin: string;
  scope: ConsentScope;
  /** The tabs that asked; the window is shown once one of them is in front. */
  tabIds: number[];
  createdAt: number;
  /** The approval window showing it, and when it was shown. */
  windowId?: number;
  shownAt?: number;
}

/** Approvals waiting for the person and origins refused for a while. */
export interface ConsentRecord {
  v: 1;
  pending: PendingApproval[];
  /** One per origin and scope (`Cooldown.origin` is the origin). */
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
