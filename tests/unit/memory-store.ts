/** The background's Store over plain maps, standing in for IndexedDB in Node tests. */
import { StorageKeys } from '../../src/background/storage-keys.ts';
import type { Store } from '../../src/background/store.ts';
import { DEFAULT_ENDPOINT } from '../../src/core/endpoints.ts';
import { METAHUMAN_DEFAULT_BASE_URL } from '../../src/core/metahuman.ts';
import type { AllowedOrigin, ConsentRecord, MetahumanSettings, MetahumanTokenRecord, Settings } from '../../src/core/records.ts';
import { keyOf, type Session } from '../../src/core/session.ts';

const { sessionPrefix } = StorageKeys;

export function memoryStore() {
  const data = new Map<string, unknown>();
  const reads = { settings: 0, sessions: 0, active: 0, origins: 0 };
  let failNextRead = false;
  const read = <T,>(what: keyof typeof reads, value: () => T): Promise<T> => {
    reads[what]++;
    if (failNextRead) {
      failNextRead = false;
      return Promise.reject(new Error('IndexedDB is busy'));
    }
    return Promise.resolve(value());
  };
  const store: Store = {
    getSettings: () => read('settings', () => (data.get(StorageKeys.settings) as Settings) ?? { v: 1, endpoint: DEFAULT_ENDPOINT }),
    saveSettings: async (s) => void data.set(StorageKeys.settings, s),
    listSessions: () => read('sessions', () => [...data.entries()].filter(([k]) => k.startsWith(sessionPrefix)).map(([, v]) => v as Session)),
    getSession: async (key) => data.get(sessionPrefix + key) as Session | undefined,
    putSession: async (s) => void data.set(sessionPrefix + keyOf(s), s),
    deleteSessions: async (keys) => keys.forEach((k) => data.delete(sessionPrefix + k)),
    getActive: () => read('active', () => (data.get(StorageKeys.active) as Record<string, string>) ?? {}),
    setActive: async (a) => void data.set(StorageKeys.active, a),
    getAllowedOrigins: () => read('origins', () => (data.get(StorageKeys.allowedOrigins) as AllowedOrigin[]) ?? []),
    setAllowedOrigins: async (o) => void data.set(StorageKeys.allowedOrigins, o),
    getMetahumanToken: async () => data.get(StorageKeys.metahumanToken) as MetahumanTokenRecord | undefined,
    putMetahumanToken: async (record) => void data.set(StorageKeys.metahumanToken, record),
    getMetahumanSettings: async () =>
      (data.get(StorageKeys.metahumanSettings) as MetahumanSettings | undefined) ?? { v: 1, baseUrl: METAHUMAN_DEFAULT_BASE_URL },
    saveMetahumanSettings: async (settings) => void data.set(StorageKeys.metahumanSettings, settings),
    getConsent: async () => (data.get(StorageKeys.consent) as ConsentRecord | undefined) ?? { v: 1, pending: [], cooldowns: [] },
    setConsent: async (record) => void data.set(StorageKeys.consent, structuredClone(record)),
  };
  return { store, data, reads, failOnce: () => (failNextRead = true) };
}
