import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { eip6963OnlyPlugin, NODE_STUB_MARKER } from '../../../build.mjs';

const ENTRY = fileURLToPath(new URL('./demo-page.ts', import.meta.url));

let bundled: Promise<string> | undefined;

/**
 * The demo page's script, bundled in memory (nothing is written to disk) once per process: every
 * stack a process starts (a test suite starts one per test) serves the same sources.
 */
export function bundleDemoScript(): Promise<string> {
  bundled ??= bundle();
  return bundled;
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [eip6963OnlyPlugin],
  });
  const script = result.outputFiles[0]!.text;
  if (script.includes(NODE_STUB_MARKER)) {
    throw new Error('The demo script bundle still needs a Node module; it would fail in the browser');
  }
  return script;
}
