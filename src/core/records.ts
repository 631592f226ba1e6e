/**
 * What the background stores besides sessions, by format version (`v`). Extension pages are shown
 * some of these records as they are, so the types live below both.
 */
import type { Endpoint } from './endpoints.ts';

export interface Settings {
  v: 1;
  endpoint: Endpoint;
}

/** An origin the person allowed, in the approval window, to use `window.takoSession`. */
export interface AllowedOrigin {
  origin: string;
  allowedAt: number;
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
