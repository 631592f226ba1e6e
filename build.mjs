// Builds the extension for both engines from the same bundles: bundles each entry point with
// esbuild and copies the manifest, pages, styles, icons and _locales.
//   node build.mjs           extension/chromium/ (Load unpacked), extension/firefox/ and the
//                            unsigned extension/tako-session-firefox.xpi
//   node build.mjs --watch   rebuild extension/chromium/ on every change (with inline source maps)
//   node build.mjs --bench   both engines' extension plus a bare echo route, into .bench/extension/
//                            (Chromium), .bench/firefox/ and .bench/tako-session-firefox.xpi, for
//                            `npm run bench` to measure our logic against the messaging floor
//   node build.mjs --production   the same into extension/production/, with the manifest the
//                            stores get (no host permission for this computer): npm run package
//
// A plain build also writes the local stack's test double of MetaMask's external port into
// .stack/wallet-extension/ (buildWalletExtension below): a separate extension that the tests and
// `npm start` load beside the product. Nothing of it reaches extension/.
//
// The two builds differ only in their manifest (firefoxManifest below): the scripts are the same.
//
// Entry points are listed once. manifest.json names every script the browser runs; each comes
// from the folder of its name (`background.js` from src/background/index.ts, `content.js` from
// src/content/, `page.js` from src/page/). Every folder of src/ui with a page of its own name is an
// extension page (`src/ui/popup/popup.{html,ts,css}` becomes `popup.{html,js,css}`). After a
// build, every file the manifest names must exist in the output.

import { watch as watchFiles } from 'node:fs';
import { access, cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { zipSync } from 'fflate';
import { marked } from 'marked';

const root = path.dirname(fileURLToPath(import.meta.url));

export const NODE_STUB_MARKER = 'tako-session: node builtin reached a browser bundle';

/**
 * esbuild plugin for the local stack's demo bundle, whose dev wallet announces itself with
 * @metamask/providers' EIP-6963 helper (the product's discovery is its own, src/core/eth/eip6963.ts).
 * The library's root entry also exports its stream-based providers, and even its EIP-6963 module
 * imports a helper file that reaches Node's `events`, so the bare specifier is pointed at that one
 * module and `events` at a stub. Tree-shaking removes the stub; the build checks that it never
 * reaches a bundle. The product's builds keep the plugin, so that an import of the library there
 * could not pull in its streams either.
 */
export const eip6963OnlyPlugin = {
  name: 'metamask-eip6963-only',
  setup(build) {
    build.onResolve({ filter: /^@metamask\/providers$/ }, () => ({ path: 'eip6963', namespace: 'metamask-eip6963' }));
    build.onLoad({ filter: /.*/, namespace: 'metamask-eip6963' }, () => ({
      contents: `export { requestProvider as eip6963RequestProvider, announceProvider as eip6963AnnounceProvider } from ${JSON.stringify(
        path.join(root, 'node_modules/@metamask/providers/dist/EIP6963.mjs'),
      )};`,
      resolveDir: root,
    }));
    build.onResolve({ filter: /^events$/ }, () => ({ path: 'events', namespace: 'node-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({
      contents: `export class EventEmitter { constructor() { throw new Error(${JSON.stringify(NODE_STUB_MARKER)}); } }`,
    }));
  },
};

/** Where a build goes: its folder for each engine and the XPI. */
function outputsUnder(dir) {
  return {
    root: dir,
    chromium: path.join(dir, 'chromium'),
    firefox: path.join(dir, 'firefox'),
    xpi: path.join(dir, 'tako-session-firefox.xpi'),
  };
}
/** The development build: `npm start`, the tests and "Load unpacked". */
const DEV_BUILD = outputsUnder(path.join(root, 'extension'));
/** The production build (`node build.mjs --production`), which `npm run package` packs. */
export const PRODUCTION_BUILD = outputsUnder(path.join(root, 'extension', 'production'));
/**
 * The bench build (`node build.mjs --bench`): the product plus the bare `bench_echo` route, never
 * shipped. Its Chromium folder keeps the name the bench has always loaded; the rest of .bench/ (the
 * reference extensions the bench writes) is left alone by a build.
 */
export const BENCH_BUILD = {
  root: path.join(root, '.bench'),
  chromium: path.join(root, '.bench', 'extension'),
  firefox: path.join(root, '.bench', 'firefox'),
  xpi: path.join(root, '.bench', 'tako-session-firefox.xpi'),
};
export const CHROMIUM_DIR = DEV_BUILD.chromium;
export const FIREFOX_DIR = DEV_BUILD.firefox;
export const FIREFOX_XPI = DEV_BUILD.xpi;

/**
 * Host permissions only the development build asks for: a Tako-compatible API on this computer
 * (the local stack). The production build leaves them out; a person who points it at a local API
 * is asked for that host when saving it, as for any custom API.
 */
const DEV_ONLY_HOST_PERMISSIONS = ['http://127.0.0.1/*', 'http://localhost/*'];

/**
 * Firefox's manifest, from the one in the repository. Everything that differs between the engines
 * at build time is here: Firefox runs the background as an event page (`background.scripts`; it
 * refuses `service_worker`), identifies an add-on by its gecko id, and wants its minimum version
 * and data-collection statement; `minimum_chrome_version` means nothing to it.
 */
function firefoxManifest(manifest) {
  // Firefox reads an organisation's settings from its own policies.json, with no schema in the manifest.
  const { minimum_chrome_version: _chromeOnly, storage: _managedSchema, background, permissions, ...rest } = manifest;
  return {
    ...rest,
    // Chromium's `favicon` (its `_favicon/` service) does not exist in Firefox: the popup shows a
    // site's first letter there instead. `declarativeNetRequest` (header-only access) stays: the
    // same session rules work from Firefox's event page, for hosts the add-on holds.
    permissions: permissions.filter((permission) => !CHROMIUM_ONLY_PERMISSIONS.includes(permission)),
    background: { scripts: [background.service_worker], type: background.type },
    browser_specific_settings: {
      gecko: {
        id: '{3f6b1c2d-8e4a-4f7b-9c1d-2e5a7b9c0d4f}',
        // 142: the first release that reads data_collection_permissions, on desktop and Android.
        strict_min_version: '142.0',
        // Nothing leaves the browser but the requests to the APIs the person chose.
        data_collection_permissions: { required: ['authenticationInfo'], optional: ['personallyIdentifyingInfo'] },
      },
    },
  };
}

/**
 * The repository's manifest with the version of package.json, the one place a release is
 * numbered: both engines' manifests and the packages take it from there.
 */
export async function productManifest({ production = false } = {}) {
  const manifest = JSON.parse(await readFile(path.join(root, 'manifest.json'), 'utf8'));
  const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  if (manifest.version !== undefined) throw new Error('manifest.json has a version: it comes from package.json');
  const { manifest_version, name, short_name, host_permissions, ...rest } = manifest;
  const hosts = production ? host_permissions.filter((host) => !DEV_ONLY_HOST_PERMISSIONS.includes(host)) : host_permissions;
  return { manifest_version, name, short_name, version, host_permissions: hosts, ...rest };
}

/** The privacy statement as an extension page, linked from the options page. */
const PRIVACY_PAGE = 'privacy.html';

/**
 * PRIVACY.md as a page of the extension, so that the options page can link to the statement the
 * listings link to, word for word, with no network. Markdown is rendered at build time; the page
 * runs no script.
 */
async function privacyPage() {
  const body = await marked.parse(await readFile(path.join(root, 'PRIVACY.md'), 'utf8'), { async: true });
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width" />
    <title>Tako Session: privacy</title>
    <link rel="stylesheet" href="base.css" />
  </head>
  <body>
    <main data-testid="privacy">
${body}    </main>
  </body>
</html>
`;
}

/** The one time every zip entry the build and the packages write carries. */
export const ZIP_ENTRY_TIME = new Date('2026-01-01T00:00:00Z');

/** Permissions only Chromium knows, left out of Firefox's manifest. */
const CHROMIUM_ONLY_PERMISSIONS = ['favicon'];

/** Every file under `dir`, by its path relative to `dir` with forward slashes, for the XPI. */
export async function filesUnder(dir, prefix = '') {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = {};
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(files, await filesUnder(full, name));
    else files[name] = new Uint8Array(await readFile(full));
  }
  return files;
}

/** The Firefox build: the Chromium build's files with Firefox's manifest, and the same as an XPI. */
async function buildFirefox(manifest, { chromium, firefox, xpi } = DEV_BUILD) {
  await rm(firefox, { recursive: true, force: true });
  await cp(chromium, firefox, { recursive: true });
  await writeFile(path.join(firefox, 'manifest.json'), `${JSON.stringify(firefoxManifest(manifest), null, 2)}\n`);
  // Entries dated once and for all, so that the same files make the same XPI, byte for byte.
  await writeFile(xpi, zipSync(await filesUnder(firefox), { mtime: ZIP_ENTRY_TIME }));
  console.log(`Built ${path.relative(root, firefox)}/ and ${path.relative(root, xpi)} (the same scripts, Firefox's manifest)`);
}

/**
 * Scripts the manifest does not name because the background injects them on demand: the wallet
 * relay and the wallet bridge go only into the page picked for sign-in (the background names them
 * as WALLET_RELAY_SCRIPT and WALLET_BRIDGE_SCRIPT in src/core/contract/channels.ts).
 */
export const INJECTED_SCRIPTS = ['wallet-relay.js', 'wallet-bridge.js'];

export const WALLET_EXTENSION_DIR = path.join(root, '.stack', 'wallet-extension');

/**
 * The test double wallet extension (tools/stack/wallet-extension/): its own manifest (with the key
 * that fixes its id), worker and pages, bundled apart from the product.
 */
async function buildWalletExtension() {
  const source = path.join(root, 'tools/stack/wallet-extension');
  await rm(WALLET_EXTENSION_DIR, { recursive: true, force: true });
  await mkdir(WALLET_EXTENSION_DIR, { recursive: true });
  await esbuild.build({
    entryPoints: ['background', 'confirm', 'wallet'].map((name) => ({ in: path.join(source, `${name}.ts`), out: name })),
    outdir: WALLET_EXTENSION_DIR,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const file of ['manifest.json', 'confirm.html', 'wallet.html', 'wallet.css']) {
    await cp(path.join(source, file), path.join(WALLET_EXTENSION_DIR, file));
  }
  console.log(
    `Built ${path.relative(root, WALLET_EXTENSION_DIR)}/ (the local stack's wallet extension, loaded beside the product in tests)`,
  );
}

/** `background.js` → `src/background/index.ts`. */
function scriptSource(file) {
  return `src/${path.basename(file, '.js')}/index.ts`;
}

/** The extension pages: every folder of src/ui holding `<name>/<name>.html`. */
async function extensionPages() {
  const folders = await readdir(path.join(root, 'src/ui'), { withFileTypes: true });
  const pages = [];
  for (const folder of folders) {
    if (!folder.isDirectory()) continue;
    const exists = await access(path.join(root, 'src/ui', folder.name, `${folder.name}.html`)).then(
      () => true,
      () => false,
    );
    if (exists) pages.push(folder.name);
  }
  return pages;
}

/** Every file the manifest names, for the check after a build. */
function manifestFiles(manifest) {
  return [
    manifest.background.service_worker,
    ...manifest.content_scripts.flatMap((script) => script.js),
    manifest.action.default_popup,
    manifest.options_ui.page,
    ...Object.values(manifest.icons),
  ];
}

async function build({ watch, bench, production }) {
  const manifest = await productManifest({ production });
  const outputs = bench ? BENCH_BUILD : production ? PRODUCTION_BUILD : DEV_BUILD;
  const outdir = outputs.chromium;
  const pages = await extensionPages();

  /**
   * The worker and the extension pages are ES modules and share chunks (the polyfill and the
   * protocol schemas are loaded once, not once per page). Content scripts cannot be modules, so
   * each is one self-contained IIFE.
   */
  const moduleEntries = Object.fromEntries([
    [path.basename(manifest.background.service_worker, '.js'), scriptSource(manifest.background.service_worker)],
    ...pages.map((page) => [page, `src/ui/${page}/${page}.ts`]),
  ]);
  const scriptEntries = Object.fromEntries(
    [...manifest.content_scripts.flatMap((script) => script.js), ...INJECTED_SCRIPTS].map((file) => [
      path.basename(file, '.js'),
      scriptSource(file),
    ]),
  );

  /** Static files copied as they are: [from, to] relative to the root and to extension/. */
  const statics = [
    ...pages.flatMap((page) => [
      [`src/ui/${page}/${page}.html`, `${page}.html`],
      [`src/ui/${page}/${page}.css`, `${page}.css`],
    ]),
    ['src/ui/shared/base.css', 'base.css'],
    ['src/ui/icons', 'icons'],
    // The browser's own i18n: the manifest's __MSG_*__ names and every page's words.
    ['_locales', '_locales'],
    // What an organisation's policy may set (storage.managed); Chromium checks the policy against it.
    ['managed-schema.json', 'managed-schema.json'],
  ];

  async function copyStatics() {
    await Promise.all(statics.map(([from, to]) => cp(path.join(root, from), path.join(outdir, to), { recursive: true })));
    // Read again each time, so that a watched build picks up a change to the manifest.
    await writeFile(path.join(outdir, 'manifest.json'), `${JSON.stringify(await productManifest({ production }), null, 2)}\n`);
    await writeFile(path.join(outdir, PRIVACY_PAGE), await privacyPage());
  }

  const shared = {
    outdir,
    bundle: true,
    platform: 'browser',
    target: ['chrome111', 'firefox142'],
    minify: !watch,
    sourcemap: watch ? 'inline' : false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [eip6963OnlyPlugin],
    // Compiled out of the product; only the bench build answers its echo.
    define: { __TAKO_BENCH__: JSON.stringify(bench) },
  };

  const builds = [
    {
      ...shared,
      entryPoints: Object.entries(moduleEntries).map(([out, entry]) => ({ in: path.join(root, entry), out })),
      format: 'esm',
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
    },
    ...Object.entries(scriptEntries).map(([out, entry]) => ({
      ...shared,
      entryPoints: [{ in: path.join(root, entry), out }],
      format: 'iife',
    })),
  ];

  /** Every emitted script with its size, entry points first. */
  async function bundleSizes() {
    const chunks = await readdir(path.join(outdir, 'chunks')).catch(() => []);
    const files = [
      ...[...Object.keys(moduleEntries), ...Object.keys(scriptEntries)].map((name) => `${name}.js`),
      ...chunks.filter((file) => file.endsWith('.js')).map((file) => `chunks/${file}`),
    ];
    return Promise.all(files.map(async (file) => ({ file, bytes: (await stat(path.join(outdir, file))).size })));
  }

  async function report() {
    for (const file of manifestFiles(manifest)) {
      await access(path.join(outdir, file)).catch(() => {
        throw new Error(`manifest.json names ${file}, which the build did not produce`);
      });
    }
    const sizes = await bundleSizes();
    for (const { file } of sizes) {
      const code = await readFile(path.join(outdir, file), 'utf8');
      if (code.includes(NODE_STUB_MARKER)) throw new Error(`${file} pulled in a Node built-in; see eip6963OnlyPlugin in build.mjs`);
    }
    const total = sizes.reduce((sum, { bytes }) => sum + bytes, 0);
    const rows = sizes.map(({ file, bytes }) => `  ${file.padEnd(28)} ${(bytes / 1024).toFixed(1).padStart(7)} KB`);
    console.log(
      `Built ${path.relative(root, outdir)}/ (load it with "Load unpacked"):\n${rows.join('\n')}\n  ${'total'.padEnd(28)} ${(total / 1024).toFixed(1).padStart(7)} KB`,
    );
  }

  // A build from before the engines had folders of their own leaves files at the top: cleared.
  if (!bench) await rm(outputs.root, { recursive: true, force: true });
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await copyStatics();

  if (watch) {
    const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
    await Promise.all(contexts.map((context) => context.watch()));
    for (const from of [...statics.map(([file]) => file), 'manifest.json', 'package.json', 'PRIVACY.md']) {
      watchFiles(path.join(root, from), { recursive: true }, () => {
        copyStatics().catch((error) => console.error('copy failed:', error.message));
      });
    }
    console.log('Watching src/ and manifest.json; reload the extension in chrome://extensions after a change.');
  } else {
    await Promise.all(builds.map((options) => esbuild.build(options)));
    await report();
    await buildFirefox(manifest, outputs);
    if (!bench && !production) await buildWalletExtension();
  }
}

// Imported (by the local stack, for the plugin), it builds nothing.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await build({
    watch: process.argv.includes('--watch'),
    bench: process.argv.includes('--bench'),
    production: process.argv.includes('--production'),
  });
}
