/** The background's Store over plain maps, standing in for IndexedDB in Node tests. */
import type { AllowedOrigin, Settings, Store } from '../../src/background/store.ts';
import { DEFAULT_ENDPOINT } from '../../src/core/endpoints.ts';
import { keyOf, type Session } from '../../src/core/session.ts';

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
    getSettings: () => read('settings', () => (data.get('settings') as Settings) ?? { v: 1, endpoint: DEFAULT_ENDPOINT }),
    saveSettings: async (s) => void data.set('settings', s),
    listSessions: () => read('sessions', () => [...data.entries()].filter(([k]) => k.startsWith('session/')).map(([, v]) => v as Session)),
    getSession: async (key) => data.get(`session/${key}`) as Session | undefined,
    putSession: async (s) => void data.set(`session/${keyOf(s)}`, s),
    deleteSessions: async (keys) => keys.forEach((k) => data.delete(`session/${k}`)),
    getActive: () => read('active', () => (data.get('active') as Record<string, string>) ?? {}),
    setActive: async (a) => void data.set('active', a),
    getAllowedOrigins: () => read('origins', () => (data.get('origins') as AllowedOrigin[]) ?? []),
    setAllowedOrigins: async (o) => void data.set('origins', o),
  };
  return { store, data, reads, failOnce: () => (failNextRead = true) };
}
