/**
 * What being installed costs a page that never calls `window.takoSession`: script time,
 * DOMContentLoaded and heap of a plain page, with Tako Session against a floor extension, a
 * required-work extension and no extension. The comparison is the same in both engines; how a load
 * is measured is each engine's (PageOverheadEngine, in tests/support/bench/).
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../tools/dev/launch.ts';
import type { PageLoader, PageOverheadEngine } from '../support/bench/engines.ts';
import { median, round } from '../support/bench/timing.ts';
import { PAGE_LOADS, PAGE_RUNS } from './flags.ts';

/**
 * The floor for the page overhead: an extension with the same two scripts at document_start on
 * every http(s) page, an empty one in the isolated world and a one-line one in the page's world.
 * Whatever an extension with page scripts costs a page at least, this costs too.
 */
async function buildFloorExtension(dir: string): Promise<void> {
  await writeReferenceExtension(dir, 'Floor', '', "Object.defineProperty(window, 'floor', { value: Object.freeze({}) });\n");
}

/**
 * The floor plus only what the page API requires of every page, with none of Tako Session's
 * logic: the page world defines a frozen `takoSession` and fires `takoSession#initialized`
 * (SPEC: Page API), and the isolated world listens on the window for the page's first message.
 * What Tako Session costs beyond this is what its own code costs.
 */
async function buildRequiredWorkExtension(dir: string): Promise<void> {
  const page =
    "Object.defineProperty(window, 'takoSession', " +
    '{ value: Object.freeze({ request() {}, on() {}, removeListener() {} }), enumerable: true });\n' +
    "window.dispatchEvent(new Event('takoSession#initialized'));\n";
  await writeReferenceExtension(dir, 'Required work', "window.addEventListener('message', function () {});\n", page);
}

async function writeReferenceExtension(dir: string, name: string, content: string, page: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const matches = ['http://*/*', 'https://*/*'];
  const manifest = {
    manifest_version: 3,
    name,
    version: '1.0',
    content_scripts: [
      { matches, js: ['content.js'], run_at: 'document_start' },
      { matches, js: ['page.js'], run_at: 'document_start', world: 'MAIN' },
    ],
  };
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(path.join(dir, 'content.js'), content);
  await writeFile(path.join(dir, 'page.js'), page);
}

/** A plain page with no script of its own, so that all script time in it is the extension's. */
async function startPlainPageServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plain page</title></head>' +
    '<body><h1>A plain page</h1><p>No scripts here.</p></body></html>';
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

type Config = 'tako' | 'floor' | 'required' | 'none';
/** The heap only from the loads that read it (PageOverheadEngine.heapEveryRounds). */
type Samples = Record<'scriptMs' | 'dclMs' | 'heapKb', number[]>;

/** One run's medians, for each extension. */
function runMedians(samples: Map<Config, Samples>) {
  const of = (name: Config, key: keyof Samples) => round(median(samples.get(name)![key]));
  return {
    scriptMs: of('tako', 'scriptMs'),
    floorScriptMs: of('floor', 'scriptMs'),
    requiredScriptMs: of('required', 'scriptMs'),
    noneScriptMs: of('none', 'scriptMs'),
    dclMs: of('tako', 'dclMs'),
    floorDclMs: of('floor', 'dclMs'),
    requiredDclMs: of('required', 'dclMs'),
    noneDclMs: of('none', 'dclMs'),
    heapKb: Math.round(of('tako', 'heapKb')),
    floorHeapKb: Math.round(of('floor', 'heapKb')),
    requiredHeapKb: Math.round(of('required', 'heapKb')),
    noneHeapKb: Math.round(of('none', 'heapKb')),
  };
}
type RunMedians = ReturnType<typeof runMedians>;

/**
 * What being installed costs a page that never calls `window.takoSession`, in `engine`: PAGE_RUNS
 * runs of PAGE_LOADS loads of a plain page with Tako Session (the shipped build), with the floor
 * extension, with the required-work extension and with no extension, one browser each,
 * interleaved (each round loads once in each, in a rotating order) so that drift on this shared
 * machine hits them alike. Each run gives medians; the verdict takes the median of the runs, and
 * each run is reported with the spread, so that noise shows as noise rather than as a verdict
 * that flips from one run to the next.
 */
export async function measurePageOverhead(engine: PageOverheadEngine) {
  const floorDir = path.join(projectRoot, '.bench', 'floor-extension');
  await buildFloorExtension(floorDir);
  const requiredDir = path.join(projectRoot, '.bench', 'required-work-extension');
  await buildRequiredWorkExtension(requiredDir);
  const server = await startPlainPageServer();
  const configs: Array<{ name: Config; browser: PageLoader }> = [];
  const runs: RunMedians[] = [];
  try {
    configs.push({ name: 'tako', browser: await engine.launchTako() });
    configs.push({ name: 'floor', browser: await engine.launchReference(floorDir) });
    configs.push({ name: 'required', browser: await engine.launchReference(requiredDir) });
    configs.push({ name: 'none', browser: await engine.launchBare() });
    // Warm-up loads (disk cache, first-process costs), not counted.
    for (let i = 0; i < 3; i++) for (const { browser } of configs) await browser.load(server.url, false);
    for (let run = 0; run < PAGE_RUNS; run++) {
      const samples = new Map(configs.map(({ name }): [Config, Samples] => [name, { scriptMs: [], dclMs: [], heapKb: [] }]));
      for (let round = 0; round < PAGE_LOADS; round++) {
        for (let k = 0; k < configs.length; k++) {
          const { name, browser } = configs[(round + k) % configs.length]!;
          const load = await browser.load(server.url, round % engine.heapEveryRounds === 0);
          const into = samples.get(name)!;
          into.scriptMs.push(load.scriptMs);
          into.dclMs.push(load.dclMs);
          if (load.heapKb !== undefined) into.heapKb.push(load.heapKb);
        }
      }
      runs.push(runMedians(samples));
    }
  } finally {
    await Promise.all(configs.map(({ browser }) => browser.close()));
    await server.close();
  }
  const acrossRuns = (key: keyof RunMedians) => round(median(runs.map((run) => run[key])));
  const spread = (key: keyof RunMedians) => round(Math.max(...runs.map((run) => run[key])) - Math.min(...runs.map((run) => run[key])));
  const verdict = Object.fromEntries((Object.keys(runs[0]!) as Array<keyof RunMedians>).map((key) => [key, acrossRuns(key)])) as RunMedians;
  return {
    extension: engine.takoBuild,
    scriptMeasure: engine.scriptMeasure,
    heapMeasure: engine.heapMeasure,
    loads: PAGE_LOADS,
    heapLoads: Math.ceil(PAGE_LOADS / engine.heapEveryRounds),
    runs,
    ...verdict,
    dclSpreadMs: spread('dclMs'),
    requiredDclSpreadMs: spread('requiredDclMs'),
  };
}
