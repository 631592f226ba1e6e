/**
 * Everything the background keeps, in IndexedDB through idb-keyval. Records carry a version so
 * later releases can migrate them. Each session is one record, so replacing a token pair is a
 * single atomic put: the new pair is written before the old one is gone.
 */
import { createStore, delMany, entries, get, set, type UseStore } from 'idb-keyval';
import { DEFAULT_ENDPOINT } from '../core/endpoints.ts';
import { METAHUMAN_DEFAULT_BASE_URL } from '../core/metahuman.ts';
import type { AllowedOrigin, ConsentRecord, MetahumanSettings, MetahumanTokenRecord, Settings } from '../core/records.ts';
import { keyOf, type Session } from '../core/session.ts';
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
}

export const EMPTY_CONSENT: ConsentRecord = { v: 1, pending: [], cooldowns: [] };

/** Sites allowed before the MetaHuman grant existed have no such grant. */
export function readAllowedOrigins(stored: unknown): AllowedOrigin[] {
  if (!Array.isArray(stored)) return [];
  return stored
    .filter((site): site is AllowedOrigin => typeof site?.origin === 'string')
    .map((site) => ({ origin: site.origin, allowedAt: Number(site.allowedAt) || 0, metahuman: site.metahuman === true }));
}

export function createIdbStore(dbName = DB_NAME): Store {
  const db: UseStore = createStore(dbName, OBJECT_STORE_NAME);
  const vault = createSecretVault({
    get: () => get<CryptoKey>(StorageKeys.vaultKey, db),
    set: (key) => set(StorageKeys.vaultKey, key, db),
  });

  async function open(storeKey: string, value: unknown): Promise<Session | undefined> {
    const opened = await openSessionRecord(value, vault);
    if (opened.kind === 'foreign') return undefined;
    // An older record is sealed and written back the first time it is read.
    if (opened.kind === 'session' && opened.migrated) await set(storeKey, await sealSession(opened.session, vault), db);
    return opened.session;
  }

  return {
    async getSettings() {
      const stored = await get<Settings>(StorageKeys.settings, db);
      return stored?.v === 1 ? stored : { v: 1, endpoint: DEFAULT_ENDPOINT };
    },
    saveSettings: (settings) => set(StorageKeys.settings, settings, db),
    async listSessions() {
      const all = await entries<string, unknown>(db);
      const opened = await Promise.all(
        all
          .filter(([key]) => typeof key === 'string' && key.startsWith(SESSION_PREFIX))
          .map(([key, value]) => open(key, value)),
      );
      return opened.filter((session): session is Session => session !== undefined);
    },
    async getSession(key) {
      return open(SESSION_PREFIX + key, await get<unknown>(SESSION_PREFIX + key, db));
    },
    async putSession(session) {
      // Sealed before the write, so the one put replaces the old pair with the new one.
      await set(SESSION_PREFIX + keyOf(session), await sealSession(session, vault), db);
    },
    deleteSessions: (keys) => delMany(keys.map((key) => SESSION_PREFIX + key), db),
    async getActive() {
      return (await get<Record<string, string>>(StorageKeys.active, db)) ?? {};
    },
    setActive: (active) => set(StorageKeys.active, active, db),
    async getAllowedOrigins() {
      return readAllowedOrigins(await get<unknown>(StorageKeys.allowedOrigins, db));
    },
    setAllowedOrigins: (origins) => set(StorageKeys.allowedOrigins, origins, db),
    async getMetahumanToken() {
      const opened = await openMetahumanRecord(await get<unknown>(StorageKeys.metahumanToken, db), vault);
      if (opened.kind === 'none') return undefined;
      // A token stored in clear by an older build is sealed and written back the first time it is read.
      if (opened.migrated) await set(StorageKeys.metahumanToken, await sealMetahumanRecord(opened.record, vault), db);
      return opened.record;
    },
    async putMetahumanToken(record) {
      await set(StorageKeys.metahumanToken, await sealMetahumanRecord(record, vault), db);
    },
    async getMetahumanSettings() {
      const stored = await get<Partial<MetahumanSettings>>(StorageKeys.metahumanSettings, db);
      return stored?.v === 1 && typeof stored.baseUrl === 'string'
        ? { v: 1, baseUrl: stored.baseUrl }
        : { v: 1, baseUrl: METAHUMAN_DEFAULT_BASE_URL };
    },
    saveMetahumanSettings: (settings) => set(StorageKeys.metahumanSettings, settings, db),
    async getConsent() {
      const stored = await get<ConsentRecord>(StorageKeys.consent, db);
      return stored?.v === 1 && Array.isArray(stored.pending) && Array.isArray(stored.cooldowns) ? stored : EMPTY_CONSENT;
    },
    setConsent: (record) => set(StorageKeys.consent, record, db),
  };
}
