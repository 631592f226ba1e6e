/**
 * What being installed costs a page that never calls `window.takoSession`: script time,
 * DOMContentLoaded and heap of a plain page, with Tako Session against a floor extension, a
 * required-work extension and no extension.
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, type CDPSession, chromium } from '@playwright/test';
import {
  chromiumPath,
  extensionDir,
  launchWithExtension,
  projectRoot,
  QUIET_CHROMIUM_ARGS,
  serviceWorkerOf,
} from '../../tools/dev/launch.ts';
import { median, round } from '../support/bench/timing.ts';
import { flags, PAGE_LOADS, PAGE_RUNS } from './flags.ts';

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

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map(({ name, value }) => [name, value]));
}

/**
 * One load of the plain page in a new tab, measured over CDP:
 * - script: `Performance.getMetrics` ScriptDuration, the main thread's time in JavaScript (every
 *   world: the page's, the isolated world of content scripts, the MAIN-world script) from
 *   `Performance.enable`, which runs before the navigation, to the load event. The page has no
 *   script and the bench evaluates nothing in it before reading, so that time is the extension's
 *   (and the browser's own, which the no-extension run shows).
 * - DOMContentLoaded: the navigation entry's domContentLoadedEventEnd (ms from navigation start).
 * - heap: JSHeapUsedSize after a full GC (`HeapProfiler.collectGarbage`): what stays.
 * The tab is closed afterwards, so each load starts a fresh document and heap.
 */
async function measureLoad(context: BrowserContext, url: string): Promise<{ scriptMs: number; dclMs: number; heapKb: number }> {
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(url, { waitUntil: 'load' });
    const scriptMs = (await metrics(cdp)).ScriptDuration! * 1000;
    await cdp.send('HeapProfiler.collectGarbage');
    const heapKb = (await metrics(cdp)).JSHeapUsedSize! / 1024;
    const dclMs = await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd,
    );
    await cdp.detach();
    return { scriptMs, dclMs, heapKb };
  } finally {
    await page.close();
  }
}

type Config = 'tako' | 'floor' | 'required' | 'none';
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
 * What being installed costs a page that never calls `window.takoSession`: PAGE_RUNS runs of
 * PAGE_LOADS loads of a plain page with Tako Session (the shipped build), with the floor
 * extension, with the required-work extension and with no extension, one browser each,
 * interleaved (each round loads once in each, in a rotating order) so that drift on this shared
 * machine hits them alike. Each run gives medians; the verdict takes the median of the runs, and
 * each run is reported with the spread, so that noise shows as noise rather than as a verdict
 * that flips from one run to the next.
 */
export async function measurePageOverhead() {
  const floorDir = path.join(projectRoot, '.bench', 'floor-extension');
  await buildFloorExtension(floorDir);
  const requiredDir = path.join(projectRoot, '.bench', 'required-work-extension');
  await buildRequiredWorkExtension(requiredDir);
  const server = await startPlainPageServer();
  const profiles: string[] = [];
  const profile = async () => {
    profiles.push(await mkdtemp(path.join(os.tmpdir(), 'tako-bench-overhead-')));
    return profiles.at(-1)!;
  };
  const configs: Array<{ name: Config; context: BrowserContext }> = [
    {
      name: 'tako',
      context: await launchWithExtension(await profile(), {
        extensionPath: flags.extension ? path.resolve(flags.extension) : extensionDir,
      }),
    },
    { name: 'floor', context: await launchWithExtension(await profile(), { extensionPath: floorDir }) },
    { name: 'required', context: await launchWithExtension(await profile(), { extensionPath: requiredDir }) },
    {
      name: 'none',
      context: await chromium.launchPersistentContext(await profile(), {
        executablePath: chromiumPath,
        headless: true,
        args: QUIET_CHROMIUM_ARGS,
      }),
    },
  ];
  const runs: RunMedians[] = [];
  try {
    await serviceWorkerOf(configs[0]!.context);
    // Warm-up loads (disk cache, first-process costs), not counted.
    for (let i = 0; i < 3; i++) for (const { context } of configs) await measureLoad(context, server.url);
    for (let run = 0; run < PAGE_RUNS; run++) {
      const samples = new Map(configs.map(({ name }): [Config, Samples] => [name, { scriptMs: [], dclMs: [], heapKb: [] }]));
      for (let round = 0; round < PAGE_LOADS; round++) {
        for (let k = 0; k < configs.length; k++) {
          const { name, context } = configs[(round + k) % configs.length]!;
          const load = await measureLoad(context, server.url);
          const into = samples.get(name)!;
          into.scriptMs.push(load.scriptMs);
          into.dclMs.push(load.dclMs);
          into.heapKb.push(load.heapKb);
        }
      }
      runs.push(runMedians(samples));
    }
  } finally {
    await Promise.all(configs.map(({ context }) => context.close()));
    await server.close();
    await Promise.all(profiles.map((dir) => rm(dir, { recursive: true, force: true })));
  }
  const acrossRuns = (key: keyof RunMedians) => round(median(runs.map((run) => run[key])));
  const spread = (key: keyof RunMedians) => round(Math.max(...runs.map((run) => run[key])) - Math.min(...runs.map((run) => run[key])));
  const verdict = Object.fromEntries((Object.keys(runs[0]!) as Array<keyof RunMedians>).map((key) => [key, acrossRuns(key)])) as RunMedians;
  return {
    extension: path.relative(projectRoot, flags.extension ? path.resolve(flags.extension) : extensionDir),
    loads: PAGE_LOADS,
    runs,
    ...verdict,
    dclSpreadMs: spread('dclMs'),
    requiredDclSpreadMs: spread('requiredDclMs'),
  };
}
