/**
 * An organisation's policy for the extension in real Chromium, as an administrator sets it: a
 * policy file in the machine-wide folder Chromium on Linux reads at start, with the extension's
 * settings under `3rdparty`. The folder is shared by every browser on the machine, so each test
 * writes a file of its own, for an extension id of its own (a copy of the build at a path of its
 * own: an unpacked extension's id follows its path), and removes it when done.
 */
import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extensionDir } from '../../../tools/dev/launch.ts';

export const CHROMIUM_POLICY_DIR = '/etc/chromium/policies/managed';

/** The id Chromium gives an unpacked extension loaded from `dir`: SHA-256 of the path, in a-p. */
export function unpackedExtensionId(dir: string): string {
  const hex = createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode(97 + Number.parseInt(digit, 16))).join('');
}

export interface PolicedExtension {
  /** The copy of the build the policy is for. */
  dir: string;
  id: string;
  /** Removes the policy file and the copy. */
  remove(): Promise<void>;
}

/** Copies the build and writes `policy` for the copy; start the browser after this. */
export async function extensionUnderPolicy(policy: Record<string, unknown>): Promise<PolicedExtension> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tako-session-policed-'));
  const dir = path.join(root, 'extension');
  await cp(extensionDir, dir, { recursive: true });
  const id = unpackedExtensionId(dir);
  await mkdir(CHROMIUM_POLICY_DIR, { recursive: true });
  const file = path.join(CHROMIUM_POLICY_DIR, `tako-session-test-${randomUUID()}.json`);
  await writeFile(file, JSON.stringify({ '3rdparty': { extensions: { [id]: policy } } }));
  return {
    dir,
    id,
    async remove() {
      await rm(file, { force: true });
      await rm(root, { recursive: true, force: true });
    },
  };
}
