/**
 * Every permission the store packages' manifest asks for is justified in STORE.md, and STORE.md
 * justifies nothing it no longer asks for: a store reviewer reads the one to judge the other.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { productManifest } from '../../build.mjs';
import { projectRoot } from '../../tools/dev/launch.ts';

interface Manifest {
  permissions?: string[];
  host_permissions?: string[];
  optional_permissions?: string[];
  optional_host_permissions?: string[];
}

/** The manifest of the store packages (the development build's adds this computer's hosts). */
const manifest = (await productManifest({ production: true })) as Manifest;
const store = await readFile(`${projectRoot}/STORE.md`, 'utf8');

/** The permissions a table of STORE.md justifies: the backticked first cell of each row with a reason. */
function justified(): string[] {
  return [...store.matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)].filter(([, , reason]) => reason!.trim().length > 0).map(([, name]) => name!);
}

const asked = [
  ...(manifest.permissions ?? []),
  ...(manifest.host_permissions ?? []),
  ...(manifest.optional_permissions ?? []),
  ...(manifest.optional_host_permissions ?? []),
];

test('every permission the manifest asks for has its reason in STORE.md', () => {
  const reasons = new Set(justified());
  assert.deepEqual(
    asked.filter((permission) => !reasons.has(permission)),
    [],
  );
});

test('STORE.md justifies no permission the manifest does not ask for', () => {
  const wanted = new Set(asked);
  assert.deepEqual(
    justified().filter((permission) => !wanted.has(permission)),
    [],
  );
});
