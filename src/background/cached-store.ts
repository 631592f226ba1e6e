/**
 * A write-through memory cache in front of the store. The background is the only writer of
 * everything it caches, so what it last wrote is what IndexedDB holds; reads that answer every
 * page request (settings, allowed origins, the active session) then cost no IndexedDB round trip
 * and no decryption. The cache lives as long as the worker; a new worker starts from storage.
 */
import { keyOf, type Session } from '../core/session.ts';
import type { AllowedOrigin, MetahumanSettings, MetahumanTokenRecord, Settings } from '../core/records.ts';
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

export function withMemoryCache(inner: Store): Store {
  const settings = lazy<Settings>(() => inner.getSettings());
  const active = lazy<Record<string, string>>(() => inner.getActive());
  const origins = lazy<AllowedOrigin[]>(() => inner.getAllowedOrigins());
  const sessions = lazy<Map<string, Session>>(async () => new Map((await inner.listSessions()).map((s) => [keyOf(s), s])));
  const metahumanToken = lazy<MetahumanTokenRecord | undefined>(() => inner.getMetahumanToken());
  const metahumanSettings = lazy<MetahumanSettings>(() => inner.getMetahumanSettings());

  return {
    getSettings: () => settings.get(),
    async saveSettings(next) {
      await inner.saveSettings(next);
      settings.set(next);
    },
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
    getActive: () => active.get(),
    async setActive(next) {
      await inner.setActive(next);
      active.set(next);
    },
    getAllowedOrigins: () => origins.get(),
    async setAllowedOrigins(next) {
      await inner.setAllowedOrigins(next);
      origins.set(next);
    },
    getMetahumanToken: () => metahumanToken.get(),
    async putMetahumanToken(record) {
      await inner.putMetahumanToken(record);
      metahumanToken.set(record);
    },
    getMetahumanSettings: () => metahumanSettings.get(),
    async saveMetahumanSettings(next) {
      await inner.saveMetahumanSettings(next);
      metahumanSettings.set(next);
    },
  };
}
