/**
 * The bench's measurements that any engine can make, on Chromium's side (see engines.ts): the signed-in
 * bench build driven with Playwright, its service worker stopped over CDP, and the browsers of the
 * page-overhead comparison measured over CDP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, type CDPSession, chromium, type Page } from '@playwright/test';
import {
  chromiumPath,
  extensionIdOf,
  launchWithExtension,
  projectRoot,
  QUIET_CHROMIUM_ARGS,
  serviceWorkerOf,
} from '../../../tools/dev/launch.ts';
import type { Stack } from '../../../tools/stack/server.ts';
import { benchExtension, signIn } from './bench-extension.ts';
import type { BenchTab, PageLoad, PageLoader, PageOverheadEngine, SignedInBrowser } from './engines.ts';

export function chromiumTab(page: Page): BenchTab {
  return {
    // Playwright's types unwrap handles in the argument; the bench passes plain values only.
    run: <A, R>(fn: (arg: A) => Promise<R>, arg: A) => page.evaluate(fn as (arg: unknown) => Promise<R>, arg),
    close: () => page.close(),
  };
}

/** The signed-in Chromium, with what only the Chromium measurements (flood, soak) use besides. */
export interface SignedInChromium extends SignedInBrowser {
  readonly context: BrowserContext;
  readonly demoPage: Page;
  readonly popup: Page;
}

/** Chromium with the bench build, signed in from the popup against `stack`, the demo page allowed. */
export async function signedInChromium(stack: Stack): Promise<SignedInChromium> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-bench-'));
  const context = await launchWithExtension(profile, { extensionPath: benchExtension });
  const close = async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  };
  let signedIn: { demo: Page; popup: Page };
  try {
    signedIn = await signIn(context, await extensionIdOf(context), stack);
  } catch (error) {
    await close();
    throw error;
  }
  const { demo, popup } = signedIn;
  return {
    context,
    demoPage: demo,
    popup,
    demo: chromiumTab(demo),
    async openTab(url) {
      const tab = await context.newPage();
      await tab.goto(url);
      await tab.waitForFunction(() => window.takoSession !== undefined);
      return chromiumTab(tab);
    },
    async stopBackground() {
      const cdp = await context.newCDPSession(demo);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      await cdp.detach();
      // Let the browser finish tearing the worker down before the next message wakes it.
      await demo.waitForTimeout(200);
    },
    async refreshNow() {
      await popup.getByTestId('refresh-now').click();
      await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor();
      await popup.reload();
      return Number(await popup.getByTestId('token-expires').getAttribute('data-expires-at'));
    },
    async clearAlarms() {
      await popup.evaluate(() => chrome.alarms.clearAll());
    },
    close,
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
async function measureLoad(context: BrowserContext, url: string): Promise<PageLoad> {
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

/** The page-overhead comparison in headless Chromium, with `takoDir` (an unpacked build) as Tako Session. */
export function chromiumPageOverhead(takoDir: string): PageOverheadEngine {
  const loaderIn = async (launch: (profile: string) => Promise<BrowserContext>): Promise<PageLoader> => {
    const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-bench-overhead-'));
    const context = await launch(profile);
    return {
      // The heap is read on every load: over CDP it costs one GC.
      load: (url) => measureLoad(context, url),
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  };
  // Each browser holds only the extension it measures (no wallet double), like the one with none.
  return {
    takoBuild: path.relative(projectRoot, takoDir),
    scriptMeasure: 'main-thread script of the load, every world (CDP ScriptDuration)',
    heapMeasure: 'JSHeapUsedSize after a full GC (CDP)',
    heapEveryRounds: 1,
    launchTako: () =>
      loaderIn(async (profile) => {
        const context = await launchWithExtension(profile, { extensionPath: takoDir, walletExtension: false });
        await serviceWorkerOf(context);
        return context;
      }),
    launchReference: (dir) => loaderIn((profile) => launchWithExtension(profile, { extensionPath: dir, walletExtension: false })),
    launchBare: () =>
      loaderIn((profile) =>
        chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: QUIET_CHROMIUM_ARGS }),
      ),
  };
}
