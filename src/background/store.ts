/**
 * Everything the background keeps, in IndexedDB through idb-keyval. Records carry a version so
 * later releases can migrate them. Each session is one record, so replacing a token pair is a
 * single atomic put: the new pair is written before the old one is gone.
 */
import { createStore, delMany, entries, get, set, type UseStore } from 'idb-keyval';
import { DEFAULT_ENDPOINT, type Endpoint } from '../core/endpoints.ts';
import { keyOf, type Session } from '../core/session.ts';
import { createSecretVault } from './secret-vault.ts';
import { openSessionRecord, sealSession } from './session-records.ts';

const SESSION_PREFIX = 'session/';
const SETTINGS_KEY = 'settings';
const ACTIVE_KEY = 'active';
const ORIGINS_KEY = 'allowed-origins';
const VAULT_KEY = 'vault-key';

export interface Settings {
  v: 1;
  endpoint: Endpoint;
}

export interface AllowedOrigin {
  origin: string;
  allowedAt: number;
}

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
}

export function createIdbStore(dbName = 'tako-session'): Store {
  const db: UseStore = createStore(dbName, 'state');
  const vault = createSecretVault({ get: () => get<CryptoKey>(VAULT_KEY, db), set: (key) => set(VAULT_KEY, key, db) });

  async function open(storeKey: string, value: unknown): Promise<Session | undefined> {
    const opened = await openSessionRecord(value, vault);
    if (opened.kind === 'foreign') return undefined;
    // An older record is sealed and written back the first time it is read.
    if (opened.kind === 'session' && opened.migrated) await set(storeKey, await sealSession(opened.session, vault), db);
    return opened.session;
  }

  return {
    async getSettings() {
      const stored = await get<Settings>(SETTINGS_KEY, db);
      return stored?.v === 1 ? stored : { v: 1, endpoint: DEFAULT_ENDPOINT };
    },
    saveSettings: (settings) => set(SETTINGS_KEY, settings, db),
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
      return (await get<Record<string, string>>(ACTIVE_KEY, db)) ?? {};
    },
    setActive: (active) => set(ACTIVE_KEY, active, db),
    async getAllowedOrigins() {
      return (await get<AllowedOrigin[]>(ORIGINS_KEY, db)) ?? [];
    },
    setAllowedOrigins: (origins) => set(ORIGINS_KEY, origins, db),
  };
}
