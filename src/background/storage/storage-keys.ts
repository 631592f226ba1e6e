/**
 * Where the background keeps its state: one IndexedDB database with one object store, and the
 * key of every record in it. Everything persisted is read and written through `Store`
 * (store.ts); tests import these names rather than spelling them again.
 */
export const DB_NAME = 'tako-session';
export const OBJECT_STORE_NAME = 'state';

export const StorageKeys = {
  /** Followed by the session key (`<endpoint key> <address>`): one record per session. */
  sessionPrefix: 'session/',
  settings: 'settings',
  /** The active session key per endpoint key. */
  active: 'active',
  allowedOrigins: 'allowed-origins',
  /** Approvals waiting for the person, and cool-downs after a refusal. */
  consent: 'consent',
  /** The non-extractable AES-GCM key that seals every stored secret. */
  vaultKey: 'vault-key',
  metahumanToken: 'metahuman-token',
  metahumanSettings: 'metahuman-settings',
  /** Per endpoint key, the last session its lifetime ended (session-lifetime.ts). */
  lifetimeEndings: 'lifetime-endings',
  /** Per allowed origin, when it last received a token and how many. */
  siteActivity: 'site-activity',
} as const;

/** Keys in `storage.local` (kept across browser runs, beside IndexedDB). */
export const LocalStorageKeys = {
  /** What managed storage last said (policy.ts): applied after a browser start until it answers again. */
  lastPolicy: 'last-policy',
} as const;

/**
 * Keys in `storage.session` (memory only, emptied when the browser closes or the extension reloads
 * or updates), never in IndexedDB.
 */
export const SessionStorageKeys = {
  /** When this browser run started: a worker finding it knows the browser did not just start. */
  browserRun: 'browser-run-started',
  /** The copy of what token requests read (session-mirror.ts). */
  sessionMirror: 'session-mirror',
  /** What the badge shows and what pages were last told of the session (publisher.ts). */
  lastPublished: 'last-published',
} as const;
