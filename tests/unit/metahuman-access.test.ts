/**
 * Which MetaHuman APIs the background talks to (session/metahuman.ts): the default one, in every
 * manifest, and any other only once its host was granted, this computer's included (the store
 * build has no permission for it; the options page asks when the person sets it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetahuman } from '../../src/background/session/metahuman.ts';
import { rejectsTakoError } from '../support/assert-tako-error.ts';
import { memoryStore } from '../support/memory-store.ts';

const LOCAL = 'http://127.0.0.1:8788';

function metahumanWith(granted: string[]) {
  const { store } = memoryStore();
  const metahuman = createMetahuman({
    store,
    fetch: () => Promise.reject(new Error('no request is sent in these tests')),
    now: () => 0,
    onChanged: () => undefined,
    hasHostPermission: async (baseUrl) => granted.includes(new URL(baseUrl).origin),
  });
  return { metahuman, store };
}

// Guards the store build: an API on this computer without its host permission is refused before
// anything is stored, as any other custom API is.
test('an API on this computer is refused without its host permission, and nothing is stored', async () => {
  const { metahuman, store } = metahumanWith([]);
  const before = await store.getMetahumanSettings();
  assert.equal((await rejectsTakoError(metahuman.saveSettings(LOCAL))).kind, 'rejected');
  assert.deepEqual(await store.getMetahumanSettings(), before);
});

test('an API on this computer is set once its host is granted', async () => {
  const { metahuman, store } = metahumanWith([LOCAL]);
  await metahuman.saveSettings(LOCAL);
  assert.equal((await store.getMetahumanSettings()).baseUrl, LOCAL);
});
