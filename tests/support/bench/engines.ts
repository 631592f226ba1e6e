/**
 * What the measurements that any engine can make need of the engine, so that each measurement is
 * written once: a browser with the bench build signed in (a tab to call the page API from,
 * stopping the background, the popup's refresh) and the browsers of the page-overhead comparison.
 * Chromium's side is in chromium.ts, Firefox's in firefox.ts, beside this file.
 */

export const ENGINES = ['chromium', 'firefox'] as const;
export type Engine = (typeof ENGINES)[number];
export const ENGINE_NAMES: Record<Engine, string> = { chromium: 'Chromium', firefox: 'Firefox' };

/** A tab, whichever driver opened it (Playwright in Chromium, puppeteer in Firefox). */
export interface BenchTab {
  /** Runs `fn(arg)` in the page (it sees nothing but its argument) and resolves what it resolves. */
  run<A, R>(fn: (arg: A) => Promise<R>, arg: A): Promise<R>;
  close(): Promise<void>;
}

/** A browser with the bench build, signed in against the local stack, its demo page allowed. */
export interface SignedInBrowser {
  /** The local stack's demo page, allowed to ask for tokens. */
  readonly demo: BenchTab;
  /** A new tab at `url` (of an allowed origin), once its `window.takoSession` is defined. */
  openTab(url: string): Promise<BenchTab>;
  /**
   * Stops the background (Chromium's service worker, Firefox's event page) as the browser does
   * when it is idle, and lets the browser finish tearing it down; the next message starts it again.
   */
  stopBackground(): Promise<void>;
  /** The popup's "refresh now": a new token from the API. Resolves its expiry (ms since the epoch). */
  refreshNow(): Promise<number>;
  /** Removes every alarm of the extension, the proactive refresh's among them. */
  clearAlarms(): Promise<void>;
  close(): Promise<void>;
}

/** One load of the plain page, measured. */
export interface PageLoad {
  scriptMs: number;
  dclMs: number;
  /** Only when asked for. */
  heapKb?: number;
}

/** One browser of the page-overhead comparison. */
export interface PageLoader {
  /** Loads `url` in a new tab, measures the load (and the heap, if `withHeap`), and closes the tab. */
  load(url: string, withHeap: boolean): Promise<PageLoad>;
  close(): Promise<void>;
}

/** How an engine takes part in the page-overhead comparison. */
export interface PageOverheadEngine {
  /** The Tako Session build measured, as a path from the project's root. */
  readonly takoBuild: string;
  /** What the script column measures in this engine, and what the heap column does. */
  readonly scriptMeasure: string;
  readonly heapMeasure: string;
  /** The heap is read in one round of this many (1: on every load); where reading it is slow, less often. */
  readonly heapEveryRounds: number;
  /** A browser with the Tako Session build. */
  launchTako(): Promise<PageLoader>;
  /** A browser with the reference extension written in `dir` (manifest.json, content.js, page.js). */
  launchReference(dir: string): Promise<PageLoader>;
  /** A browser with no extension. */
  launchBare(): Promise<PageLoader>;
}
