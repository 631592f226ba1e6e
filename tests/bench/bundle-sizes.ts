/**
 * The size of every script the shipped Chromium build loads, and their total.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { extensionDir } from '../../tools/dev/launch.ts';

export async function bundleSizes(): Promise<Record<string, number>> {
  const files: Record<string, number> = {};
  async function walk(dir: string) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.js')) files[path.relative(extensionDir, full)] = (await stat(full)).size;
    }
  }
  await walk(extensionDir);
  return { ...files, total: Object.values(files).reduce((a, b) => a + b, 0) };
}
