/**
 * The local stack's wallet extension (a MetaMask double) has the fixed id the tests import: Chromium
 * derives an unpacked extension's id from the `key` in its manifest, so a key changed without the
 * constant (or the other way round) would load the double under an id nothing connects to.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { DEV_WALLET_EXTENSION_ID } from '../../tools/stack/wallet-extension/id.ts';

test("the double's manifest key gives DEV_WALLET_EXTENSION_ID", async () => {
  const manifest = JSON.parse(await readFile(new URL('../../tools/stack/wallet-extension/manifest.json', import.meta.url), 'utf8')) as {
    key: string;
  };
  const hash = createHash('sha256').update(Buffer.from(manifest.key, 'base64')).digest('hex').slice(0, 32);
  const id = [...hash].map((digit) => String.fromCharCode('a'.charCodeAt(0) + parseInt(digit, 16))).join('');
  assert.equal(id, DEV_WALLET_EXTENSION_ID);
});
