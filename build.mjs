// Builds the unpacked extension into extension/: bundles each entry point with esbuild and copies
// the manifest, pages, styles and icons. `node build.mjs --watch` rebuilds on every change.
import * as esbuild from 'esbuild';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { watch as watchFiles } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eip6963OnlyPlugin, NODE_STUB_MARKER } from './src/eip6963-only-plugin.mjs';

const root = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(root, 'extension');
const watch = process.argv.includes('--watch');

/** Entry points, one per execution context. */
const entries = [
  { in: 'src/background/index.ts', out: 'background', format: 'esm' },
  { in: 'src/content/index.ts', out: 'content', format: 'iife' },
  { in: 'src/page/index.ts', out: 'page', format: 'iife' },
  { in: 'src/ui/popup/popup.ts', out: 'popup', format: 'iife' },
  { in: 'src/ui/options/options.ts', out: 'options', format: 'iife' },
  { in: 'src/ui/approval/approval.ts', out: 'approval', format: 'iife' },
];

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

function options(entry) {
  return {
    entryPoints: [{ in: path.join(root, entry.in), out: entry.out }],
    outdir,
    bundle: true,
    format: entry.format,
    platform: 'browser',
    target: ['chrome111'],
    minify: !watch,
    sourcemap: watch ? 'inline' : false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [eip6963OnlyPlugin],
  };
}

async function report() {
  const rows = [];
  let total = 0;
  for (const entry of entries) {
    const { size } = await stat(path.join(outdir, `${entry.out}.js`));
    total += size;
    rows.push(`  ${`${entry.out}.js`.padEnd(16)} ${(size / 1024).toFixed(1).padStart(7)} KB`);
  }
  console.log(`Built extension/ (load it with "Load unpacked"):\n${rows.join('\n')}\n  ${'total'.padEnd(16)} ${(total / 1024).toFixed(1).padStart(7)} KB`);
}

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await copyStatics();

if (watch) {
  const contexts = await Promise.all(entries.map((entry) => esbuild.context(options(entry))));
  await Promise.all(contexts.map((context) => context.watch()));
  for (const [from] of statics) {
    watchFiles(path.join(root, from), { recursive: true }, () => {
      copyStatics().catch((error) => console.error('copy failed:', error.message));
    });
  }
  console.log('Watching src/ and manifest.json; reload the extension in chrome://extensions after a change.');
} else {
  await Promise.all(entries.map((entry) => esbuild.build(options(entry))));
  for (const entry of entries) {
    const code = await readFile(path.join(outdir, `${entry.out}.js`), 'utf8');
    if (code.includes(NODE_STUB_MARKER)) throw new Error(`${entry.out}.js pulled in a Node built-in; see src/eip6963-only-plugin.mjs`);
  }
  const manifest = JSON.parse(await readFile(path.join(outdir, 'manifest.json'), 'utf8'));
  await writeFile(path.join(outdir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await report();
}
