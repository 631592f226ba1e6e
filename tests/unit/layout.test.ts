/**
 * The layout's rules, enforced: code is foldered by where it runs, and the contexts meet only in
 * core/. The background, the content script, the page world and the extension pages each import
 * from core/ (and their own folder), never from one another; core/ uses no browser API; nothing
 * in src/ reaches into the tooling (tools/, build.mjs); and no module imports another that
 * imports it back, however indirectly (a part that needs a type of its facade takes it from the
 * ports instead).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WALLET_BRIDGE_SCRIPT, WALLET_RELAY_SCRIPT } from '../../src/core/contract/channels.ts';

const src = fileURLToPath(new URL('../../src/', import.meta.url));
const CONTEXTS = ['background', 'content', 'page', 'wallet-bridge', 'ui', 'client'] as const;

async function sourceFiles(folder: string): Promise<string[]> {
  const names = await readdir(path.join(src, folder), { recursive: true });
  return names.filter((name) => name.endsWith('.ts')).map((name) => path.join(src, folder, name));
}

/** Every module specifier a file imports (statically, for its effects, or dynamically) or re-exports. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const pattern = /^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm;
  return [...text.matchAll(pattern)].map((match) => (match[1] ?? match[2] ?? match[3])!);
}

/** The top folder of src/ that a relative import from `file` lands in. */
function folderOf(file: string, specifier: string): string {
  return path.relative(src, path.resolve(path.dirname(file), specifier)).split(path.sep)[0]!;
}

for (const context of CONTEXTS) {
  test(`src/${context}/ imports only from core/ and itself`, async () => {
    const crossings: string[] = [];
    for (const file of await sourceFiles(context)) {
      for (const specifier of await importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const folder = folderOf(file, specifier);
        if (folder !== 'core' && folder !== context) crossings.push(`${path.relative(src, file)} imports ${specifier}`);
      }
    }
    assert.deepEqual(crossings, []);
  });
}

test('src/core/ imports nothing outside core/ and uses no browser API', async () => {
  const problems: string[] = [];
  for (const file of await sourceFiles('core')) {
    for (const specifier of await importsOf(file)) {
      if (specifier.startsWith('.') ? folderOf(file, specifier) !== 'core' : specifier === 'webextension-polyfill') {
        problems.push(`${path.relative(src, file)} imports ${specifier}`);
      }
    }
    if (
      /\b(browser|chrome)\.(runtime|tabs|storage|alarms|windows|scripting|action|notifications|permissions)\b/.test(
        await readFile(file, 'utf8'),
      )
    ) {
      problems.push(`${path.relative(src, file)} calls a browser API`);
    }
  }
  assert.deepEqual(problems, []);
});

test('nothing in src/ imports tools/ or build.mjs', async () => {
  const reaching: string[] = [];
  for (const file of await sourceFiles('.')) {
    for (const specifier of await importsOf(file)) {
      if (specifier.startsWith('.') && folderOf(file, specifier).startsWith('..'))
        reaching.push(`${path.relative(src, file)} imports ${specifier}`);
    }
  }
  assert.deepEqual(reaching, []);
});

test('no module of src/ imports itself back through others', async () => {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles('.')) {
    const targets = (await importsOf(file))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => path.resolve(path.dirname(file), specifier));
    graph.set(file, targets);
  }
  // Depth-first search; a module met again while still on the path closes a circle.
  const circles: string[] = [];
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (file: string) => {
    if (done.has(file)) return;
    const at = onPath.indexOf(file);
    if (at >= 0) {
      circles.push([...onPath.slice(at), file].map((name) => path.relative(src, name)).join(' -> '));
      return;
    }
    onPath.push(file);
    for (const target of graph.get(file) ?? []) visit(target);
    onPath.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  assert.deepEqual(circles, []);
});

test('the build bundles the wallet relay and bridge under the names the background injects', async () => {
  const { INJECTED_SCRIPTS } = (await import('../../build.mjs')) as { INJECTED_SCRIPTS: string[] };
  for (const script of [WALLET_RELAY_SCRIPT, WALLET_BRIDGE_SCRIPT]) {
    assert.ok(INJECTED_SCRIPTS.includes(script), `${script} is not in build.mjs INJECTED_SCRIPTS`);
  }
});
