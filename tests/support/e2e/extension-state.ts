/**
 * What the background keeps, read from an extension page as the extension itself would read it:
 * its IndexedDB records (by key, or as one text to search for secrets in clear), its alarms, the
 * toolbar badge and its open notifications. Tests check state there rather than trust what the
 * popup shows.
 */
import type { Page } from '@playwright/test';
import { DB_NAME, OBJECT_STORE_NAME, SessionStorageKeys } from '../../../src/background/storage/storage-keys.ts';
import type { Extension } from './extension.ts';

/**
 * Everything the background keeps in IndexedDB, read from an extension page (`via`, an open one
 * such as the popup, or an options page opened for it): by key, or (`asText`) as one text with
 * bytes (ciphertexts, IVs) spelled one character per byte, to search for secrets in clear.
 */
async function dumpStore<T extends Record<string, unknown> | string>(extension: Extension, asText: boolean, via?: Page): Promise<T> {
  const page = via ?? (await extension.openPage('options.html'));
  const dump = await page.evaluate(
    ({ dbName, storeName, asText }) =>
      new Promise<Record<string, unknown> | string>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const store = db.transaction(storeName, 'readonly').objectStore(storeName);
          const keys = store.getAllKeys();
          const values = store.getAll();
          values.onsuccess = () => {
            const bytes = (value: ArrayBuffer | ArrayBufferView) =>
              Array.from(
                value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
              )
                .map((b) => String.fromCharCode(b))
                .join('');
            resolve(
              asText
                ? JSON.stringify([keys.result, values.result], (_, value) =>
                    value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? bytes(value) : value,
                  )
                : Object.fromEntries(keys.result.map((key, i) => [String(key), values.result[i]])),
            );
            db.close();
          };
          values.onerror = () => reject(values.error);
        };
      }),
    { dbName: DB_NAME, storeName: OBJECT_STORE_NAME, asText },
  );
  if (!via) await page.close();
  return dump as T;
}

/** Everything the background keeps in IndexedDB, by key; read through `via` when given. */
export const readStore = (extension: Extension, via?: Page) => dumpStore<Record<string, unknown>>(extension, false, via);

/** Everything the background keeps in IndexedDB as one searchable text. */
export const storedText = (extension: Extension) => dumpStore<string>(extension, true);

/** The extension's alarms by name, read from an extension page: `via` when given. */
export async function alarmNames(extension: Extension, via?: Page): Promise<string[]> {
  const page = via ?? (await extension.openPage('options.html'));
  const names = await page.evaluate(async () => (await chrome.alarms.getAll()).map((alarm) => alarm.name));
  if (!via) await page.close();
  return names;
}

/** The toolbar badge text and the extension's open notifications, read from an extension page. */
export async function badgeAndNotifications(extension: Extension): Promise<{ badge: string; notifications: string[] }> {
  const page = await extension.openPage('options.html');
  const result = await page.evaluate(async () => ({
    badge: await chrome.action.getBadgeText({}),
    notifications: Object.keys(await chrome.notifications.getAll()),
  }));
  await page.close();
  return result;
}

/**
 * The copy of what token requests read, as the worker keeps it in `storage.session`
 * (session-mirror.ts), read from an extension page: undefined when there is none.
 */
export async function sessionCopy(extension: Extension, via?: Page): Promise<unknown> {
  const page = via ?? (await extension.openPage('options.html'));
  const copy = await page.evaluate(async (key) => (await chrome.storage.session.get(key))[key], SessionStorageKeys.sessionMirror);
  if (!via) await page.close();
  return copy;
}
