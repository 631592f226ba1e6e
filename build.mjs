// Builds the unpacked extension into extension/: bundles each entry point with esbuild and copies
// the manifest, pages, styles and icons.
//   node build.mjs           production build into extension/
//   node build.mjs --watch   rebuild on every change (with inline source maps)
//   node build.mjs --bench   the same extension plus a bare echo route, into .bench/extension/,
//                            for `npm run bench` to measure our logic against the messaging floor
import * as esbuild from 'esbuild';
import { cp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { watch as watchFiles } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eip6963OnlyPlugin, NODE_STUB_MARKER } from './src/eip6963-only-plugin.mjs';

const root = path.dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes('--watch');
const bench = process.argv.includes('--bench');
const outdir = bench ? path.join(root, '.bench', 'extension') : path.join(root, 'extension');

/**
 * The worker and the extension pages are ES modules and share chunks (the polyfill and the
 * protocol schemas are loaded once, not once per page). Content scripts cannot be modules, so
 * each is one self-contained IIFE.
 */
const moduleEntries = {
  background: 'src/background/index.ts',
  popup: 'src/ui/popup/popup.ts',
  options: 'src/ui/options/options.ts',
  approval: 'src/ui/approval/approval.ts',
};
const scriptEntries = { content: 'src/content/index.ts', page: 'src/page/index.ts' };

/** Static files copied as they are: [from, to] relative to the root and to extension/. */
const statics = [
  ['manifest.json', 'manifest.json'],
  ['src/ui/popup/popup.html', 'popup.html'],
  ['src/ui/popup/popup.css', 'popup.css'],
  ['src/ui/options/options.html', 'options.html'],
  ['src/ui/options/options.css', 'options.css'],
  ['src/ui/approval/approval.html', 'approval.html'],
  ['src/ui/approval/approval.css', 'approval.css'],
  ['src/ui/shared/base.css', 'base.css'],
  ['src/ui/icons', 'icons'],
];

async function copyStatics() {
  await Promise.all(statics.map(([from, to]) => cp(path.join(root, from), path.join(outdir, to), { recursive: true })));
}

const shared = {
  outdir,
  bundle: true,
  platform: 'browser',
  target: ['chrome111'],
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
  const sizes = await bundleSizes();
  for (const { file } of sizes) {
    const code = await readFile(path.join(outdir, file), 'utf8');
    if (code.includes(NODE_STUB_MARKER)) throw new Error(`${file} pulled in a Node built-in; see src/eip6963-only-plugin.mjs`);
  }
  const total = sizes.reduce((sum, { bytes }) => sum + bytes, 0);
  const rows = sizes.map(({ file, bytes }) => `  ${file.padEnd(28)} ${(bytes / 1024).toFixed(1).padStart(7)} KB`);
  console.log(`Built ${path.relative(root, outdir)}/ (load it with "Load unpacked"):\n${rows.join('\n')}\n  ${'total'.padEnd(28)} ${(total / 1024).toFixed(1).padStart(7)} KB`);
}

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await copyStatics();

if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
  for (const [from] of statics) {
    watchFiles(path.join(root, from), { recursive: true }, () => {
      copyStatics().catch((error) => console.error('copy failed:', error.message));
    });
  }
  console.log('Watching src/ and manifest.json; reload the extension in chrome://extensions after a change.');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  await report();
}

