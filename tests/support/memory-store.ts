/**
 * The background's real Store (store.ts `createRecordStore`) over a map instead of IndexedDB, for
 * Node tests. Everything the extension seals at rest is sealed here too, with Node's WebCrypto and
 * a non-extractable key kept in the same map, so `data` holds what IndexedDB would hold: a test
 * that reads it sees sealed records, and a store that wrote a secret in clear would show it there.
 */
import { createRecordStore, type KeyValueStorage, type Store } from '../../src/background/storage/store.ts';

export function memoryStore() {
  /** Key to value, as IndexedDB keeps them: structured clones, never the caller's own objects. */
  const data = new Map<string, unknown>();
  const storage: KeyValueStorage = {
    get: async <T>(key: string) => structuredClone(data.get(key)) as T | undefined,
    set: async (key, value) => void data.set(key, structuredClone(value)),
    delMany: async (keys) => {
      for (const key of keys) data.delete(key);
    },
    entries: async () => structuredClone([...data.entries()]),
  };
  const records = createRecordStore(storage);

  /** How often each cached read reached storage (cached-store.ts must read each once). */
  const reads = { settings: 0, sessions: 0, active: 0, origins: 0, consent: 0 };
  let failNextRead = false;
  const read = <T>(what: keyof typeof reads, value: () => Promise<T>): Promise<T> => {
    reads[what]++;
    if (failNextRead) {
      failNextRead = false;
      return Promise.reject(new Error('IndexedDB is busy'));
    }
    return value();
  };
  const store: Store = {
    ...records,
    getSettings: () => read('settings', records.getSettings),
    listSessions: () => read('sessions', records.listSessions),
    getActive: () => read('active', records.getActive),
    getAllowedOrigins: () => read('origins', records.getAllowedOrigins),
    getConsent: () => read('consent', records.getConsent),
  };
  return { store, data, reads, failOnce: () => (failNextRead = true) };
}
