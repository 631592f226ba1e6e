/**
 * The bench's measurements that any engine can make, on Firefox's side (see engines.ts): the Firefox
 * bench build signed in and driven with puppeteer over WebDriver BiDi, its event page stopped from
 * the parent process, and the browsers of the page-overhead comparison. Firefox has no CDP, so the
 * page overhead is measured differently here (firefoxPageOverhead says how).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { Browser, Page } from 'puppeteer-core';
import { BENCH_BUILD, filesUnder } from '../../../build.mjs';
import {
  byTestId,
  evaluateInParent,
  type FirefoxWithExtension,
  launchFirefox,
  launchFirefoxWithExtension,
  useEndpointInFirefox,
} from '../../../tools/dev/firefox.ts';
import { projectRoot } from '../../../tools/dev/launch.ts';
import type { Stack } from '../../../tools/stack/server.ts';
import { answerAccess, signInFromPopup } from '../firefox.ts';
import type { BenchTab, PageLoad, PageLoader, PageOverheadEngine, SignedInBrowser } from './engines.ts';
import { sleep } from './timing.ts';

/**
 * Prefs of every Firefox the bench starts. Firefox rounds `performance.now()` in pages to 1 ms (and
 * adds jitter); without that it gives 20 µs steps, fine enough for calls of a millisecond or two.
 */
const BENCH_PREFS = { 'privacy.reduceTimerPrecision': false };

export function firefoxTab(page: Page): BenchTab {
  return {
    // puppeteer's types unwrap handles in the argument; the bench passes plain values only.
    run: <A, R>(fn: (arg: A) => Promise<R>, arg: A) => page.evaluate(fn as (arg: unknown) => Promise<R>, arg) as Promise<R>,
    close: () => page.close(),
  };
}

/** Firefox with the Firefox bench build, signed in from the popup against `stack`, the demo page allowed. */
export async function signedInFirefox(stack: Stack): Promise<SignedInBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-bench-firefox-'));
  const firefox = await launchFirefoxWithExtension(profile, { xpiPath: BENCH_BUILD.xpi, prefs: BENCH_PREFS });
  const close = async () => {
    await firefox.close();
    await rm(profile, { recursive: true, force: true });
  };
  let signedIn: { demo: Page; popup: Page };
  try {
    signedIn = await signIn(firefox, stack);
  } catch (error) {
    await close();
    throw error;
  }
  const { demo, popup } = signedIn;
  const shownExpiry = async () =>
    (await byTestId(popup, 'token-expires')).evaluate((node) => (node as HTMLElement).dataset.expiresAt ?? '');
  return {
    demo: firefoxTab(demo),
    async openTab(url) {
      const page = await firefox.openPage(url);
      await page.waitForFunction(() => window.takoSession !== undefined);
      return firefoxTab(page);
    },
    async stopBackground() {
      // Firefox skips a stop while a listener's promise is pending, as it does when idle: asked
      // again until the event page is stopped.
      for (let attempt = 0; (await firefox.backgroundState()) !== 'stopped'; attempt++) {
        if (attempt === 50) throw new Error(`The event page did not stop: ${await firefox.backgroundState()}`);
        await firefox.stopBackground();
        if ((await firefox.backgroundState()) !== 'stopped') await sleep(50);
      }
      // As in Chromium: let the browser finish tearing it down before the next message wakes it.
      await sleep(200);
    },
    async refreshNow() {
      const before = await shownExpiry();
      await (await byTestId(popup, 'refresh-now', ':enabled')).click();
      await byTestId(popup, 'token-expires', `:not([data-expires-at="${before}"]):not([data-expires-at=""])`);
      return Number(await shownExpiry());
    },
    async clearAlarms() {
      await popup.evaluate(() => browser.alarms.clearAll());
    },
    close,
  };
}

async function signIn(firefox: FirefoxWithExtension, stack: Stack): Promise<{ demo: Page; popup: Page }> {
  await useEndpointInFirefox(firefox, stack.url);
  const demo = await firefox.openPage(`${stack.url}/?autoconfirm=1`);
  // The popup signs in with the wallet of the web page used last: the demo's.
  await demo.bringToFront();
  const popup = await signInFromPopup(firefox);
  const access = await answerAccess(firefox, demo, 'approve');
  if (access.code !== undefined) throw new Error(`The demo page was not allowed: ${access.message}`);
  return { demo, popup };
}

/**
 * Scripts put before and after the extension's own in each of its two document_start content
 * scripts (the isolated world's and the page world's): the one before notes `performance.now()` on
 * the document element, the one after writes the time since then beside it. Firefox runs the
 * scripts of one content script back to back, so that is the time in the extension's own scripts
 * (compiling them is not in it: Firefox compiles content scripts ahead and keeps them); the timers
 * cost every extension measured the same.
 */
const TIMER_SCRIPTS = Object.fromEntries(
  (['isolated', 'main'] as const).flatMap((world) => {
    const attribute = `document.documentElement.dataset.benchScript${world === 'main' ? 'Main' : 'Isolated'}`;
    return [
      [`bench-${world}-start.js`, `${attribute}Start = performance.now();\n`],
      [`bench-${world}-end.js`, `${attribute}Ms = performance.now() - Number(${attribute}Start);\n`],
    ];
  }),
);

interface ContentScript {
  js: string[];
  world?: string;
}

/**
 * The add-on in `files` (its manifest among them) with the timers around each content script's
 * own scripts, zipped to `xpiPath`; `geckoId` names an add-on whose manifest has no id (Firefox
 * installs none without one).
 */
async function writeTimedXpi(files: Record<string, Uint8Array>, xpiPath: string, geckoId?: string): Promise<void> {
  const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as {
    content_scripts: ContentScript[];
    browser_specific_settings?: { gecko?: { id?: string } };
  };
  for (const script of manifest.content_scripts) {
    const world = script.world === 'MAIN' ? 'main' : 'isolated';
    script.js = [`bench-${world}-start.js`, ...script.js, `bench-${world}-end.js`];
  }
  if (geckoId) manifest.browser_specific_settings = { gecko: { id: geckoId } };
  const timers = Object.fromEntries(Object.entries(TIMER_SCRIPTS).map(([name, code]) => [name, strToU8(code)]));
  await mkdir(path.dirname(xpiPath), { recursive: true });
  await writeFile(xpiPath, zipSync({ ...files, ...timers, 'manifest.json': strToU8(JSON.stringify(manifest)) }));
}

/**
 * The JS heap of the page loaded from `url` in KB, after a GC, from Firefox's memory reporters
 * (what about:memory shows), read in the parent process: everything they report in the page's
 * JavaScript zone, which holds its window's realm (the page world, the MAIN-world script's objects
 * among it) and the sandbox realms of the content scripts injected into it.
 */
async function pageHeapKb(browser: Browser, url: string): Promise<number> {
  const bytes = await evaluateInParent(
    browser,
    `(async () => {
      // A GC in this process and in every content process (about:memory's "GC" button); the
      // children take it before the memory report request that follows on the same channel.
      Cu.forceGC();
      Services.obs.notifyObservers(null, 'child-gc-request');
      const manager = Cc['@mozilla.org/memory-reporter-manager;1'].getService(Ci.nsIMemoryReporterManager);
      const reports = [];
      await new Promise((done) => manager.getReports((process, path, kind, units, amount) => {
        if (path.startsWith('explicit/')) reports.push([path, amount]);
      }, null, done, null, false));
      // Slashes in the reported URL are backslashes.
      const top = ${JSON.stringify(`explicit/window-objects/top(${url.replaceAll('/', '\\')}, id=`)};
      const zones = new Set();
      for (const [path] of reports) {
        const zone = path.startsWith(top) && /\\/js-zone\\((0x[0-9a-f]+)\\)/.exec(path);
        if (zone) zones.add(zone[1]);
      }
      if (zones.size === 0) return null;
      let total = 0;
      for (const [path, amount] of reports) {
        const zone = /^explicit\\/js-non-window\\/zones\\/zone\\((0x[0-9a-f]+)\\)\\//.exec(path);
        if ((path.startsWith(top) && path.includes('/js-')) || (zone && zones.has(zone[1]))) total += amount;
      }
      return total;
    })()`,
  );
  if (typeof bytes !== 'number') throw new Error(`Firefox's memory reporters name no window for ${url}`);
  return bytes / 1024;
}

function firefoxLoader(browser: Browser, close: () => Promise<void>): PageLoader {
  let loads = 0;
  return {
    /**
     * One load of the plain page in a new tab: the timers' sum (script), the navigation entry's
     * domContentLoadedEventEnd (DOMContentLoaded) and, if asked, pageHeapKb. Each load has an
     * address of its own, so that the memory reporters name its window and no earlier one.
     */
    async load(url, withHeap) {
      const address = `${url}?load=${++loads}`;
      const page = await browser.newPage();
      try {
        await page.goto(address, { waitUntil: 'load' });
        const { scriptMs, dclMs } = await page.evaluate(() => {
          const { benchScriptIsolatedMs, benchScriptMainMs } = document.documentElement.dataset;
          return {
            // No extension, no timers: nothing of an extension ran.
            scriptMs: Number(benchScriptIsolatedMs ?? 0) + Number(benchScriptMainMs ?? 0),
            dclMs: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd,
          };
        });
        const load: PageLoad = { scriptMs, dclMs };
        if (withHeap) load.heapKb = await pageHeapKb(browser, address);
        return load;
      } finally {
        await page.close();
      }
    },
    close,
  };
}

/**
 * The page-overhead comparison in headless Firefox ESR, with the XPI at `takoXpi` as Tako Session.
 * Without CDP, each extension is installed with timers around its content scripts (TIMER_SCRIPTS)
 * for the script column, and the heap is read from the memory reporters (pageHeapKb), which takes
 * about half a second, so in one round of five.
 */
export function firefoxPageOverhead(takoXpi: string): PageOverheadEngine {
  const timedDir = path.join(BENCH_BUILD.root, 'firefox-page-overhead');
  const loaderIn = async (xpiPath: string | null): Promise<PageLoader> => {
    const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-bench-overhead-firefox-'));
    const removeProfile = () => rm(profile, { recursive: true, force: true });
    if (!xpiPath) {
      const browser = await launchFirefox(profile, { prefs: BENCH_PREFS });
      return firefoxLoader(browser, async () => {
        await browser.close();
        await removeProfile();
      });
    }
    const firefox = await launchFirefoxWithExtension(profile, { xpiPath, prefs: BENCH_PREFS });
    return firefoxLoader(firefox.browser, async () => {
      await firefox.close();
      await removeProfile();
    });
  };
  return {
    takoBuild: path.relative(projectRoot, takoXpi),
    scriptMeasure: "time in the extension's own document_start scripts, both worlds (performance.now() before and after them)",
    heapMeasure: "the page's JS zone after a GC (memory reporters)",
    heapEveryRounds: 5,
    async launchTako() {
      const xpiPath = path.join(timedDir, 'tako-session.xpi');
      await writeTimedXpi(unzipSync(new Uint8Array(await readFile(takoXpi))), xpiPath);
      return loaderIn(xpiPath);
    },
    async launchReference(dir) {
      const name = path.basename(dir);
      const xpiPath = path.join(timedDir, `${name}.xpi`);
      // build.mjs is JavaScript: its reader of a folder is typed here.
      await writeTimedXpi((await filesUnder(dir)) as Record<string, Uint8Array>, xpiPath, `${name}@bench.invalid`);
      return loaderIn(xpiPath);
    },
    launchBare: () => loaderIn(null),
  };
}
