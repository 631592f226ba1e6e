/**
 * Everything the background keeps, in IndexedDB through idb-keyval. Records carry a version so
 * later releases can migrate them. Each session is one record, so replacing a token pair is a
 * single atomic put: the new pair is written before the old one is gone.
 */
import { createStore, delMany, entries, get, set, type UseStore } from 'idb-keyval';
import { METAHUMAN_DEFAULT_BASE_URL } from '../../core/api/metahuman.ts';
import type {
  AllowedOrigin,
  ConsentRecord,
  MetahumanSettings,
  MetahumanTokenRecord,
  Settings,
  SiteActivity,
} from '../../core/consent/records.ts';
import { DEFAULT_ENDPOINT } from '../../core/session/endpoints.ts';
import { keyOf, type Session } from '../../core/session/session.ts';
import type { LifetimeEnding } from '../../core/session/session-lifetime.ts';
import { openMetahumanRecord, sealMetahumanRecord } from './metahuman-records.ts';
import { createSecretVault } from './secret-vault.ts';
import { openSessionRecord, sealSession } from './session-records.ts';
import { DB_NAME, OBJECT_STORE_NAME, StorageKeys } from './storage-keys.ts';

const { sessionPrefix: SESSION_PREFIX } = StorageKeys;

export interface Store {
  getSettings(): Promise<Settings>;
  saveSettings(settings: Settings): Promise<void>;
  listSessions(): Promise<Session[]>;
  getSession(key: string): Promise<Session | undefined>;
  putSession(session: Session): Promise<void>;
  deleteSessions(keys: string[]): Promise<void>;
  /** The active session key per endpoint key. */
  getActive(): Promise<Record<string, string>>;
  setActive(active: Record<string, string>): Promise<void>;
  getAllowedOrigins(): Promise<AllowedOrigin[]>;
  setAllowedOrigins(origins: AllowedOrigin[]): Promise<void>;
  getMetahumanToken(): Promise<MetahumanTokenRecord | undefined>;
  /** One put: until it lands, the previous token stays. */
  putMetahumanToken(record: MetahumanTokenRecord): Promise<void>;
  getMetahumanSettings(): Promise<MetahumanSettings>;
  saveMetahumanSettings(settings: MetahumanSettings): Promise<void>;
  getConsent(): Promise<ConsentRecord>;
  setConsent(record: ConsentRecord): Promise<void>;
  /** Per endpoint key: the last session its lifetime ended, until someone signs in there again. */
  getLifetimeEndings(): Promise<Record<string, LifetimeEnding>>;
  /** Per allowed origin: when it last received a token and how many (sites.ts keeps it small). */
  getSiteActivity(): Promise<Record<string, SiteActivity>>;
  setSiteActivity(activity: Record<string, SiteActivity>): Promise<void>;
  setLifetimeEndings(endings: Record<string, LifetimeEnding>): Promise<void>;
}

export const EMPTY_CONSENT: ConsentRecord = { v: 1, pending: [], cooldowns: [] };

/** Sites allowed before the MetaHuman grant existed have no such grant. */
export function readAllowedOrigins(stored: unknown): AllowedOrigin[] {
  if (!Array.isArray(stored)) return [];
  return stored
    .filter((site): site is AllowedOrigin => typeof site?.origin === 'string')
    .map((site) => ({
      origin: site.origin,
      allowedAt: Number(site.allowedAt) || 0,
      metahuman: site.metahuman === true,
      // A grant's duration: a time it ends, or the tabs that hold it (records from before either: until revoked).
      ...(Number.isFinite(site.expiresAt) ? { expiresAt: Number(site.expiresAt) } : {}),
      ...(Array.isArray(site.tabIds) ? { tabIds: site.tabIds.filter((id) => Number.isInteger(id)) } : {}),
      ...(typeof site.account === 'string' ? { account: site.account } : {}),
      // Header-only access; anything else (records from before it) receives tokens.
      ...(site.tokenAccess === 'header' ? { tokenAccess: 'header' as const } : {}),
    }));
}

/**
 * The key-value storage under the Store: IndexedDB through idb-keyval in the extension. Values are
 * kept as structured clones (CryptoKey objects included).
 */
export interface KeyValueStorage {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delMany(keys: string[]): Promise<void>;
  entries(): Promise<Array<[IDBValidKey, unknown]>>;
}

export function createIdbStore(dbName = DB_NAME): Store {
  const db: UseStore = createStore(dbName, OBJECT_STORE_NAME);
  return createRecordStore({
    get: (key) => get(key, db),
    set: (key, value) => set(key, value, db),
    delMany: (keys) => delMany(keys, db),
    entries: () => entries(db),
  });
}

/**
 * The Store over any key-value storage: every secret is sealed before it reaches `storage`, and
 * opened (older records migrated) when read.
 */
export function createRecordStore(storage: KeyValueStorage): Store {
  const vault = createSecretVault({
    get: () => storage.get<CryptoKey>(StorageKeys.vaultKey),
    set: (key) => storage.set(StorageKeys.vaultKey, key),
  });

  async function open(storeKey: string, value: unknown): Promise<Session | undefined> {
    const opened = await openSessionRecord(value, vault);
    if (opened.kind === 'foreign') return undefined;
    // An older record is sealed and written back the first time it is read.
    if (opened.kind === 'session' && opened.migrated) await storage.set(storeKey, await sealSession(opened.session, vault));
    return opened.session;
  }

  return {
    async getSettings() {
      const stored = await storage.get<Settings>(StorageKeys.settings);
      return stored?.v === 1 ? stored : { v: 1, endpoint: DEFAULT_ENDPOINT };
    },
    saveSettings: (settings) => storage.set(StorageKeys.settings, settings),
    async listSessions() {
      const all = await storage.entries();
      const opened = await Promise.all(
        all
          .filter((entry): entry is [string, unknown] => typeof entry[0] === 'string' && entry[0].startsWith(SESSION_PREFIX))
          .map(([key, value]) => open(key, value)),
      );
      return opened.filter((session): session is Session => session !== undefined);
    },
    async getSession(key) {
      return open(SESSION_PREFIX + key, await storage.get<unknown>(SESSION_PREFIX + key));
    },
    async putSession(session) {
      // Sealed before the write, so the one put replaces the old pair with the new one.
      await storage.set(SESSION_PREFIX + keyOf(session), await sealSession(session, vault));
    },
    deleteSessions: (keys) => storage.delMany(keys.map((key) => SESSION_PREFIX + key)),
    async getActive() {
      return (await storage.get<Record<string, string>>(StorageKeys.active)) ?? {};
    },
    setActive: (active) => storage.set(StorageKeys.active, active),
    async getAllowedOrigins() {
      return readAllowedOrigins(await storage.get<unknown>(StorageKeys.allowedOrigins));
    },
    setAllowedOrigins: (origins) => storage.set(StorageKeys.allowedOrigins, origins),
    async getMetahumanToken() {
      const opened = await openMetahumanRecord(await storage.get<unknown>(StorageKeys.metahumanToken), vault);
      if (opened.kind === 'none') return undefined;
      // A token stored in clear by an older build is sealed and written back the first time it is read.
      if (opened.migrated) await storage.set(StorageKeys.metahumanToken, await sealMetahumanRecord(opened.record, vault));
      return opened.record;
    },
    async putMetahumanToken(record) {
      await storage.set(StorageKeys.metahumanToken, await sealMetahumanRecord(record, vault));
    },
    async getMetahumanSettings() {
      const stored = await storage.get<Partial<MetahumanSettings>>(StorageKeys.metahumanSettings);
      return stored?.v === 1 && typeof stored.baseUrl === 'string'
        ? { v: 1, baseUrl: stored.baseUrl }
        : { v: 1, baseUrl: METAHUMAN_DEFAULT_BASE_URL };
    },
    saveMetahumanSettings: (settings) => storage.set(StorageKeys.metahumanSettings, settings),
    async getConsent() {
      const stored = await storage.get<ConsentRecord>(StorageKeys.consent);
      return stored?.v === 1 && Array.isArray(stored.pending) && Array.isArray(stored.cooldowns) ? stored : EMPTY_CONSENT;
    },
    setConsent: (record) => storage.set(StorageKeys.consent, record),
    async getLifetimeEndings() {
      const stored = await storage.get<Record<string, LifetimeEnding>>(StorageKeys.lifetimeEndings);
      return stored !== null && typeof stored === 'object' ? stored : {};
    },
    setLifetimeEndings: (endings) => storage.set(StorageKeys.lifetimeEndings, endings),
    async getSiteActivity() {
      const stored = await storage.get<Record<string, SiteActivity>>(StorageKeys.siteActivity);
      return stored !== null && typeof stored === 'object' ? stored : {};
    },
    setSiteActivity: (activity) => storage.set(StorageKeys.siteActivity, activity),
  };
}
