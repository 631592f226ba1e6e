/**
 * Everything the background keeps, in IndexedDB through idb-keyval. Records carry a version so
 * later releases can migrate them. Each session is one record, so replacing a token pair is a
 * single atomic put: the new pair is written before the old one is gone.
 */
import { createStore, delMany, entries, get, set, type UseStore } from 'idb-keyval';
import { DEFAULT_ENDPOINT, type Endpoint } from '../core/endpoints.ts';
import { SESSION_RECORD_VERSION, keyOf, type Session } from '../core/session.ts';

const SESSION_PREFIX = 'session/';
const SETTINGS_KEY = 'settings';
const ACTIVE_KEY = 'active';
const ORIGINS_KEY = 'allowed-origins';
const METAHUMAN_KEY = 'metahuman-token';

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
  getMetahumanToken(): Promise<string | undefined>;
}

function isSessionRecord(value: unknown): value is Session {
  const record = value as Partial<Session> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    record.v === SESSION_RECORD_VERSION &&
    typeof record.accessToken === 'string' &&
    typeof record.refreshToken === 'string' &&
    typeof record.address === 'string'
  );
}

export function createIdbStore(dbName = 'tako-session'): Store {
  const db: UseStore = createStore(dbName, 'state');
  return {
    async getSettings() {
      const stored = await get<Settings>(SETTINGS_KEY, db);
      return stored?.v === 1 ? stored : { v: 1, endpoint: DEFAULT_ENDPOINT };
    },
    saveSettings: (settings) => set(SETTINGS_KEY, settings, db),
    async listSessions() {
      const all = await entries<string, unknown>(db);
      return all
        .filter(([key, value]) => typeof key === 'string' && key.startsWith(SESSION_PREFIX) && isSessionRecord(value))
        .map(([, value]) => value as Session);
    },
    async getSession(key) {
      const value = await get<unknown>(SESSION_PREFIX + key, db);
      return isSessionRecord(value) ? value : undefined;
    },
    putSession: (session) => set(SESSION_PREFIX + keyOf(session), session, db),
    deleteSessions: (keys) => delMany(keys.map((key) => SESSION_PREFIX + key), db),
    async getActive() {
      return (await get<Record<string, string>>(ACTIVE_KEY, db)) ?? {};
    },
    setActive: (active) => set(ACTIVE_KEY, active, db),
    async getAllowedOrigins() {
      return (await get<AllowedOrigin[]>(ORIGINS_KEY, db)) ?? [];
    },
    setAllowedOrigins: (origins) => set(ORIGINS_KEY, origins, db),
    async getMetahumanToken() {
      const record = await get<{ v: 1; token: string }>(METAHUMAN_KEY, db);
      return record?.v === 1 && typeof record.token === 'string' ? record.token : undefined;
    },
  };
}
