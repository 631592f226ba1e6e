// Reproduces docs/direct-metamask.md "Why a hand-written port client": builds background.js twice,
// as one unsplit minified bundle each, with the hand-written port client and with
// @metamask/providers' createExternalExtensionProvider instead, and prints both sizes.
//
//   npm install --no-save events buffer process    (shims the library needs; not dependencies)
//   node tests/bench/provider-variant.mjs           sizes only, into .bench/provider-variant/
//   node tests/bench/provider-variant.mjs --into-bench hand|provider
//                                                   also replaces .bench/extension/background.js
//                                                   (after `node build.mjs --bench`), then:
//   npx tsx tests/bench/bench.ts --only cold
//
// VARIANT_SHIMS=<dir> takes the three shim packages from another node_modules folder.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, '.bench', 'provider-variant');
const shims = process.env.VARIANT_SHIMS ?? path.join(root, 'node_modules');
const intoBench = process.argv.includes('--into-bench') ? process.argv[process.argv.indexOf('--into-bench') + 1] : undefined;
const src = (file) => JSON.stringify(path.join(root, 'src', file));

// createDirectWallets over the library, with the same exports the worker uses.
const providerClient = `
import { createExternalExtensionProvider } from ${JSON.stringify(path.join(root, 'node_modules/@metamask/providers/dist/extension-provider/createExternalExtensionProvider.mjs'))};
import { TakoError } from ${src('core/contract/errors.ts')};
import { walletExtensionName } from ${src('core/eth/wallet-extension.ts')};
export function createDirectWallets(deps) {
  const providers = new Map();
  const provider = (id) => {
    if (!providers.has(id)) {
      const created = createExternalExtensionProvider(id);
      created.on('accountsChanged', (accounts) => {
        if (deps.accounts?.isSignInSource('extension ' + id)) void deps.accounts.onWalletAccountsChanged(accounts);
      });
      providers.set(id, created);
    }
    return providers.get(id);
  };
  const call = (id, method, params) => provider(id).request({ method, params }).catch((error) => {
    throw error?.code === 4001 ? new TakoError('rejected', 'You declined the request in your wallet') : new TakoError('wallet', String(error?.message));
  });
  return {
    async detect(ids = deps.defaultIds) {
      for (const id of ids) {
        const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 3000));
        if (await Promise.race([call(id, 'metamask_getProviderState', []).then(() => true, () => false), timeout])) {
          return { extensionId: id, name: walletExtensionName(id) };
        }
      }
      return null;
    },
    wallet: (id) => ({
      source: 'extension ' + id,
      requestAccounts: () => call(id, 'eth_requestAccounts', []),
      sign: (address, message) => call(id, 'personal_sign', ['0x' + Array.from(new TextEncoder().encode(message), (b) => b.toString(16).padStart(2, '0')).join(''), address]),
    }),
  };
}
`;

async function build(variant, outdir, bench) {
  await mkdir(outdir, { recursive: true });
  const shimFile = path.join(out, 'shims.js');
  await writeFile(
    shimFile,
    `export { default as process } from ${JSON.stringify(path.join(shims, 'process/browser.js'))};\nexport { Buffer } from ${JSON.stringify(path.join(shims, 'buffer/index.js'))};\n`,
  );
  const plugin = {
    name: 'provider-variant',
    setup(b) {
      b.onResolve({ filter: /^\.\/direct-wallet\.ts$/ }, (args) =>
        variant === 'provider' && args.importer.endsWith(path.join('background', 'index.ts'))
          ? { path: 'client', namespace: 'variant' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'variant' }, () => ({ contents: providerClient, loader: 'js', resolveDir: root }));
      const map = {
        events: 'events/events.js',
        buffer: 'buffer/index.js',
        process: 'process/browser.js',
        'process/': 'process/browser.js',
      };
      b.onResolve({ filter: /^(events|buffer|process\/?)$/ }, (args) => ({ path: path.join(shims, map[args.path]) }));
    },
  };
  const result = await esbuild.build({
    entryPoints: [{ in: path.join(root, 'src/background/index.ts'), out: 'background' }],
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [plugin],
    define: { __TAKO_BENCH__: String(bench), global: 'globalThis' },
    inject: variant === 'provider' ? [shimFile] : [],
    write: false,
  });
  const [file] = result.outputFiles;
  await writeFile(path.join(outdir, 'background.js'), file.contents);
  console.log(
    `${variant.padEnd(9)} background.js ${(file.contents.length / 1024).toFixed(1)} KB minified, ${(gzipSync(file.contents).length / 1024).toFixed(1)} KB gzip`,
  );
}

await mkdir(out, { recursive: true });
for (const variant of ['hand', 'provider']) await build(variant, path.join(out, variant), false);
if (intoBench) {
  await build(intoBench, path.join(root, '.bench', 'extension'), true);
  console.log(`.bench/extension/background.js is now the ${intoBench} variant: npx tsx tests/bench/bench.ts --only cold`);
}
