/**
 * The store packages (`npm run package`), as a store and a reviewer receive them: each unpacked,
 * its files listed and checked, loaded in the browser it is for; and the scripts rebuilt from the
 * source archive, byte for byte, as addons.mozilla.org's reviewers rebuild them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { PRODUCTION_BUILD } from '../../build.mjs';
import { byTestId, launchFirefoxWithExtension } from '../../tools/dev/firefox.ts';
import { extensionIdOf, launchWithExtension, projectRoot, serviceWorkerOf } from '../../tools/dev/launch.ts';
import { type Packages, writePackages } from '../../tools/package/package.ts';
import { SCREENSHOT_SIZE, writeScreenshots } from '../../tools/screenshots/screenshots.ts';

const unzip = async (file: string) => unzipSync(new Uint8Array(await readFile(file)));

/** Writes the entries of a zip under `dir`. */
async function unpack(entries: Record<string, Uint8Array>, dir: string): Promise<void> {
  for (const [name, bytes] of Object.entries(entries)) {
    if (name.endsWith('/')) continue;
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), bytes);
  }
}

/**
 * What a store package may hold: the built scripts, pages, styles, icons and messages, and the
 * policy schema; nothing of the sources, tests or tools.
 */
const BUILT_FILE =
  /^(manifest\.json|managed-schema\.json|[a-z-]+\.(js|html|css)|chunks\/chunk-[A-Z0-9]+\.js|icons\/icon-\d+\.png|_locales\/[a-zA-Z_]+\/messages\.json)$/;

describe('the store packages', () => {
  let work: string;
  let packages: Packages;
  let version: string;
  before(async () => {
    // In the project, on the file system of its node_modules, which the rebuild links file by file.
    await mkdir(path.join(projectRoot, '.package-test'), { recursive: true });
    work = await mkdtemp(path.join(projectRoot, '.package-test', 'run-'));
    execFileSync(process.execPath, ['build.mjs', '--production'], { cwd: projectRoot, stdio: 'ignore' });
    packages = await writePackages(path.join(work, 'dist'));
    ({ version } = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string });
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('the Chrome package: the manifest at the root, built files only, the version of package.json', async () => {
    const entries = await unzip(packages.chromeZip);
    const names = Object.keys(entries);
    assert.deepEqual(
      names.filter((name) => !BUILT_FILE.test(name)),
      [],
    );
    const manifest = JSON.parse(new TextDecoder().decode(entries['manifest.json'])) as {
      version: string;
      background: { service_worker: string };
      host_permissions: string[];
    };
    assert.equal(manifest.version, version);
    // A store build asks for no host on this computer: only the development build does.
    assert.deepEqual(
      manifest.host_permissions.filter((host) => /127\.0\.0\.1|localhost/.test(host)),
      [],
    );
    assert.ok(names.includes(manifest.background.service_worker));
    assert.ok(names.every((name) => !name.endsWith('.map')));
  });

  test('the Chrome package loads in Chromium: the worker starts, the popup shows the session, the options link the privacy statement', {
    timeout: 60_000,
  }, async () => {
    const unpacked = path.join(work, 'chrome');
    await unpack(await unzip(packages.chromeZip), unpacked);
    const context = await launchWithExtension(path.join(work, 'chromium-profile'), { extensionPath: unpacked, walletExtension: false });
    try {
      const worker = await serviceWorkerOf(context);
      assert.equal(await worker.evaluate(() => chrome.runtime.getManifest().version), version);
      const popup = await context.newPage();
      await popup.goto(`chrome-extension://${await extensionIdOf(context)}/popup.html`);
      await popup.locator('[data-testid="session"][data-state="signed-out"]').waitFor();
      // The statement the listings link to, shipped with the extension and opened from its options.
      const options = await context.newPage();
      await options.goto(`chrome-extension://${await extensionIdOf(context)}/options.html`);
      const [privacy] = await Promise.all([context.waitForEvent('page'), options.getByTestId('privacy-link').click()]);
      await privacy.waitForLoadState();
      const statement = await readFile(path.join(projectRoot, 'PRIVACY.md'), 'utf8');
      const heading = /^# (.+)$/m.exec(statement)![1]!;
      assert.equal(await privacy.getByTestId('privacy').locator('h1').textContent(), heading);
      assert.equal(await privacy.locator('h2').count(), [...statement.matchAll(/^## /gm)].length);
    } finally {
      await context.close();
    }
  });

  test('the Firefox package installs in Firefox ESR at the version of package.json, and its popup shows the session', {
    timeout: 90_000,
  }, async () => {
    const entries = await unzip(packages.firefoxXpi);
    assert.deepEqual(
      Object.keys(entries).filter((name) => !BUILT_FILE.test(name)),
      [],
    );
    const firefox = await launchFirefoxWithExtension(path.join(work, 'firefox-profile'), { xpiPath: packages.firefoxXpi });
    try {
      assert.equal(await firefox.addonVersion(), version);
      const popup = await firefox.openExtensionPage('popup.html');
      await byTestId(popup, 'session', '[data-state="signed-out"]');
    } finally {
      await firefox.close();
    }
  });

  test('a build from the source archive makes the same scripts and the same XPI, byte for byte', { timeout: 120_000 }, async () => {
    const sources = path.join(work, 'source');
    await unpack(await unzip(packages.sourceZip), sources);
    // The reviewer's `npm ci` installs what package-lock.json pins: the same packages as here,
    // linked file by file (a symlinked folder would put other paths into esbuild's chunk names).
    execFileSync('cp', ['-al', path.join(projectRoot, 'node_modules'), path.join(sources, 'node_modules')]);
    execFileSync(process.execPath, ['build.mjs', '--production'], { cwd: sources, stdio: 'ignore' });
    const built = path.join(sources, path.relative(projectRoot, PRODUCTION_BUILD.root));
    const rebuilt = await unzip(path.join(built, 'tako-session-firefox.xpi'));
    const shipped = await unzip(packages.firefoxXpi);
    assert.deepEqual(Object.keys(rebuilt).sort(), Object.keys(shipped).sort());
    for (const name of Object.keys(shipped)) assert.ok(Buffer.from(rebuilt[name]!).equals(Buffer.from(shipped[name]!)), `${name} differs`);
    const xpi = await readFile(path.join(built, 'tako-session-firefox.xpi'));
    assert.ok(xpi.equals(await readFile(packages.firefoxXpi)), 'the XPI differs');
    const chrome = await unzip(packages.chromeZip);
    for (const name of Object.keys(chrome).filter((file) => file.endsWith('.js'))) {
      const script = await readFile(path.join(built, 'chromium', name));
      assert.ok(script.equals(Buffer.from(chrome[name]!)), `${name} differs`);
    }
  });

  test('npm run screenshots: the popup, the approval window and the options page at 1280x800, light and dark', {
    timeout: 90_000,
  }, async () => {
    const files = await writeScreenshots(path.join(work, 'screenshots'));
    assert.deepEqual(files.map((file) => path.basename(file)).sort(), [
      'approval-dark.png',
      'approval-light.png',
      'options-dark.png',
      'options-light.png',
      'popup-dark.png',
      'popup-light.png',
    ]);
    for (const file of files) {
      const png = await readFile(file);
      // A PNG's first chunk (IHDR) holds its width and height at bytes 16 and 20.
      assert.deepEqual({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }, SCREENSHOT_SIZE, path.basename(file));
    }
    for (const name of ['popup', 'approval', 'options']) {
      const [light, dark] = await Promise.all(
        ['light', 'dark'].map((scheme) => readFile(path.join(work, 'screenshots', `${name}-${scheme}.png`))),
      );
      assert.ok(!light!.equals(dark!), `${name}: light and dark are the same image`);
    }
  });
});
