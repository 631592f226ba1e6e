/**
 * `npm run package` (after `node build.mjs --production`): what the stores take, in dist/:
 *   tako-session-<version>-chrome.zip    the Chrome Web Store package: extension/production/chromium/
 *                                        with its manifest at the root (no source maps)
 *   tako-session-<version>-firefox.xpi   the Firefox package, for addons.mozilla.org to sign
 *   tako-session-<version>-source.zip    the sources addons.mozilla.org reviewers rebuild the
 *                                        scripts from: every file git tracks (or would), as they
 *                                        are now, with docs/publishing.md saying how
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync } from 'fflate';
import { filesUnder, PRODUCTION_BUILD, ZIP_ENTRY_TIME } from '../../build.mjs';
import { projectRoot } from '../dev/launch.ts';

export interface Packages {
  version: string;
  chromeZip: string;
  firefoxXpi: string;
  sourceZip: string;
}

/** The files of the sources: tracked, or new and not ignored (never node_modules, builds or profiles). */
async function sourceFiles(): Promise<Record<string, Uint8Array>> {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  const names = listed.split('\0').filter((name) => name !== '');
  const files: Record<string, Uint8Array> = {};
  for (const name of names) {
    // A file deleted but still in the index is not part of the sources now.
    const bytes = await readFile(path.join(projectRoot, name)).catch(() => undefined);
    if (bytes) files[name] = new Uint8Array(bytes);
  }
  return files;
}

export async function writePackages(outDir = path.join(projectRoot, 'dist')): Promise<Packages> {
  const manifest = JSON.parse(await readFile(path.join(PRODUCTION_BUILD.chromium, 'manifest.json'), 'utf8')) as { version: string };
  const { version } = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  if (manifest.version !== version)
    throw new Error(`extension/ is version ${manifest.version}, package.json ${version}: run node build.mjs --production`);
  await mkdir(outDir, { recursive: true });
  const named = (suffix: string) => path.join(outDir, `tako-session-${version}-${suffix}`);
  const packages: Packages = {
    version,
    chromeZip: named('chrome.zip'),
    firefoxXpi: named('firefox.xpi'),
    sourceZip: named('source.zip'),
  };
  await writeFile(
    packages.chromeZip,
    zipSync((await filesUnder(PRODUCTION_BUILD.chromium)) as Record<string, Uint8Array>, { mtime: ZIP_ENTRY_TIME }),
  );
  await copyFile(PRODUCTION_BUILD.xpi, packages.firefoxXpi);
  await writeFile(packages.sourceZip, zipSync(await sourceFiles(), { mtime: ZIP_ENTRY_TIME }));
  return packages;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const packages = await writePackages();
  for (const file of [packages.chromeZip, packages.firefoxXpi, packages.sourceZip])
    console.log(`Wrote ${path.relative(projectRoot, file)}`);
}
