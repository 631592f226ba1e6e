/**
 * A write-through memory cache in front of the store. The background is the only writer of
 * everything it caches, so what it last wrote is what IndexedDB holds; reads that answer every
 * page request (settings, allowed origins, the active session) then cost no IndexedDB round trip
 * and no decryption. The cache lives as long as the worker; a new worker starts from storage.
 */

import type { MetahumanTokenRecord } from '../../core/consent/records.ts';
import { keyOf, type Session } from '../../core/session/session.ts';
import type { Store } from './store.ts';

/** Caches one value loaded on first use; a failed load is forgotten so the next use retries. */
function lazy<T>(load: () => Promise<T>) {
  let value: Promise<T> | undefined;
  return {
    get(): Promise<T> {
      value ??= load().catch((error: unknown) => {
        value = undefined;
        throw error;
      });
      return value;
    },
    set(next: T): void {
      value = Promise.resolve(next);
    },
  };
}

/** A value read through the cache and written through to the store (`W`: what may be written). */
function cachedRecord<T, W extends T = T>(load: () => Promise<T>, save: (value: W) => Promise<void>) {
  const cached = lazy(load);
  return {
    get: () => cached.get(),
    async set(next: W): Promise<void> {
      await save(next);
      cached.set(next);
    },
  };
}

export function withMemoryCache(inner: Store): Store {
  const settings = cachedRecord(
    () => inner.getSettings(),
    (next) => inner.saveSettings(next),
  );
  const active = cachedRecord(
    () => inner.getActive(),
    (next) => inner.setActive(next),
  );
  const origins = cachedRecord(
    () => inner.getAllowedOrigins(),
    (next) => inner.setAllowedOrigins(next),
  );
  const metahumanToken = cachedRecord(
    () => inner.getMetahumanToken(),
    (next: MetahumanTokenRecord) => inner.putMetahumanToken(next),
  );
  const metahumanSettings = cachedRecord(
    () => inner.getMetahumanSettings(),
    (next) => inner.saveMetahumanSettings(next),
  );
  const consent = cachedRecord(
    () => inner.getConsent(),
    (next) => inner.setConsent(next),
  );
  const endings = cachedRecord(
    () => inner.getLifetimeEndings(),
    (next) => inner.setLifetimeEndings(next),
  );
  const activity = cachedRecord(
    () => inner.getSiteActivity(),
    (next) => inner.setSiteActivity(next),
  );
  const sessions = lazy<Map<string, Session>>(async () => new Map((await inner.listSessions()).map((s) => [keyOf(s), s])));

  return {
    getSettings: settings.get,
    saveSettings: settings.set,
    async listSessions() {
      return [...(await sessions.get()).values()];
    },
    async getSession(key) {
      return (await sessions.get()).get(key);
    },
    async putSession(session) {
      await inner.putSession(session);
      (await sessions.get()).set(keyOf(session), session);
    },
    async deleteSessions(keys) {
      await inner.deleteSessions(keys);
      const map = await sessions.get();
      for (const key of keys) map.delete(key);
    },
    getActive: active.get,
    setActive: active.set,
    getAllowedOrigins: origins.get,
    setAllowedOrigins: origins.set,
    getMetahumanToken: metahumanToken.get,
    putMetahumanToken: metahumanToken.set,
    getMetahumanSettings: metahumanSettings.get,
    saveMetahumanSettings: metahumanSettings.set,
    // Copied both ways: the approvals change the record they read in place before writing it, and
    // what the cache holds must be what was written.
    getConsent: async () => structuredClone(await consent.get()),
    setConsent: (record) => consent.set(structuredClone(record)),
    getLifetimeEndings: endings.get,
    setLifetimeEndings: endings.set,
    getSiteActivity: activity.get,
    setSiteActivity: activity.set,
  };
}
