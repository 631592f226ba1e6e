/**
 * Firefox (ESR) with the built extension, driven over WebDriver BiDi with puppeteer-core: shared by
 * `npm start -- --firefox` and the Firefox tests. Playwright's Firefox cannot load extensions.
 *
 * The add-on is installed permanently from the unsigned XPI (signatures are off in this profile),
 * so it, its IndexedDB and its CryptoKey survive a browser restart on the same profile.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';
import { projectRoot } from './launch.ts';

export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const firefoxXpiPath = path.join(projectRoot, 'extension', 'tako-session-firefox.xpi');
/** Fixed here so extension pages have a known address: moz-extension://<uuid>/popup.html. */
export const FIREFOX_EXTENSION_UUID = '5f0c2a8e-9d4b-4e7a-b1c3-7a2e4d6f8b10';

export interface FirefoxWithExtension {
  browser: Browser;
  /** The add-on id from the installed XPI's manifest (`browser_specific_settings.gecko.id`). */
  addonId: string;
  extensionUrl(file: string): string;
  /** Opens an extension page in a new tab (a plain `goto` does not return for moz-extension: URLs). */
  openExtensionPage(file: string): Promise<Page>;
  openPage(url: string): Promise<Page>;
  /**
   * Stops the background (event page) as Firefox does when idle; the next event starts it again.
   * Like the idle stop, Firefox skips it while a listener's promise is pending: backgroundState
   * tells whether it stopped.
   */
  stopBackground(): Promise<void>;
  /** Where the background is: `stopped`, `starting`, `running` or `suspending` (Firefox's own words). */
  backgroundState(): Promise<string>;
  /**
   * Starts installing the XPI at `xpiPath` over the add-on, as Firefox does with an update it
   * downloaded, and returns without waiting for it: an add-on listening to
   * `runtime.onUpdateAvailable` decides when the update is applied (by reloading itself).
   */
  startUpdate(xpiPath: string): Promise<void>;
  /** The installed add-on's version, as Firefox reports it. */
  addonVersion(): Promise<string>;
  close(): Promise<void>;
}

/**
 * WebDriver BiDi commands puppeteer does not wrap (installing permanently, navigating to an
 * extension page, evaluating in the parent process) go over its own connection, which its public
 * types leave out; the version is pinned in package-lock.json.
 */
interface BidiConnection {
  send(method: string, params: object): Promise<{ result: unknown }>;
}
const bidi = (browser: Browser) => (browser as unknown as { connection: BidiConnection }).connection;
const browsingContextOf = (page: Page) => (page.mainFrame() as unknown as { _id: string })._id;

/** The gecko id in the manifest of the XPI at `xpiPath` (the build's, the bench build's, or another add-on's). */
function addonIdOf(xpiPath: string): string {
  if (!existsSync(xpiPath)) {
    throw new Error(
      `${path.relative(projectRoot, xpiPath)} is missing: build it first (\`npm run build\`; the bench's, \`node build.mjs --bench\`)`,
    );
  }
  const files = unzipSync(new Uint8Array(readFileSync(xpiPath)), { filter: (file) => file.name === 'manifest.json' });
  const manifest = JSON.parse(strFromU8(files['manifest.json'] ?? new Uint8Array())) as {
    browser_specific_settings?: { gecko?: { id?: string } };
  };
  const id = manifest.browser_specific_settings?.gecko?.id;
  if (!id) throw new Error(`The manifest in ${path.relative(projectRoot, xpiPath)} has no browser_specific_settings.gecko.id`);
  return id;
}

/**
 * Launches Firefox on `userDataDir` with no add-on installed (launchFirefoxWithExtension below
 * installs one; the bench also measures pages without any): `prefs` are set at launch, and
 * `addonUuids` fixes the moz-extension: address of an add-on by its id.
 */
export async function launchFirefox(
  userDataDir: string,
  {
    headless = true,
    prefs = {},
    addonUuids = {},
  }: { headless?: boolean; prefs?: Record<string, unknown>; addonUuids?: Record<string, string> } = {},
): Promise<Browser> {
  if (!existsSync(firefoxPath)) {
    throw new Error(`Firefox not found at ${firefoxPath}: install it (Debian: apt-get install firefox-esr) or set FIREFOX_PATH`);
  }
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath,
    headless,
    userDataDir,
    // Lets BiDi evaluate in the parent process, where the background is stopped.
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify(addonUuids),
      'xpinstall.signatures.required': false,
      ...prefs,
    },
  });
}

/**
 * Launches Firefox on `userDataDir`. `install` installs the XPI permanently: do it on a new profile,
 * and leave it out when relaunching one that has it (that is the restart being tested).
 */
export async function launchFirefoxWithExtension(
  userDataDir: string,
  {
    headless = true,
    install = true,
    prefs = {},
    xpiPath = firefoxXpiPath,
  }: {
    headless?: boolean;
    install?: boolean;
    prefs?: Record<string, unknown>;
    /** The XPI to install: the build's unless told. */
    xpiPath?: string;
  } = {},
): Promise<FirefoxWithExtension> {
  const addonId = addonIdOf(xpiPath);
  const browser = await launchFirefox(userDataDir, { headless, prefs, addonUuids: { [addonId]: FIREFOX_EXTENSION_UUID } });
  if (install) {
    await bidi(browser).send('webExtension.install', {
      extensionData: { type: 'archivePath', path: xpiPath },
      'moz:permanent': true,
    });
  }
  const extensionUrl = (file: string) => `moz-extension://${FIREFOX_EXTENSION_UUID}/${file}`;

  return {
    browser,
    addonId,
    extensionUrl,
    async openExtensionPage(file) {
      const page = await browser.newPage();
      await bidi(browser).send('browsingContext.navigate', { context: browsingContextOf(page), url: extensionUrl(file), wait: 'complete' });
      return page;
    },
    async openPage(url) {
      const page = await browser.newPage();
      await page.goto(url);
      return page;
    },
    async stopBackground() {
      await evaluateInParent(
        browser,
        `(async () => {
          const { ExtensionParent } = ChromeUtils.importESModule('resource://gre/modules/ExtensionParent.sys.mjs');
          await ExtensionParent.DebugUtils.terminateBackgroundScript(${JSON.stringify(addonId)});
        })()`,
      );
    },
    async backgroundState() {
      const state = await evaluateInParent(
        browser,
        `(async () => WebExtensionPolicy.getByID(${JSON.stringify(addonId)})?.extension?.backgroundState ?? null)()`,
      );
      if (typeof state !== 'string') throw new Error('The add-on is not running');
      return state;
    },
    async startUpdate(xpiPath) {
      await evaluateInParent(
        browser,
        `(async () => {
          const { AddonManager } = ChromeUtils.importESModule('resource://gre/modules/AddonManager.sys.mjs');
          const { FileUtils } = ChromeUtils.importESModule('resource://gre/modules/FileUtils.sys.mjs');
          const install = await AddonManager.getInstallForFile(new FileUtils.File(${JSON.stringify(xpiPath)}));
          if (install.existingAddon?.id !== ${JSON.stringify(addonId)}) throw new Error('The XPI is not an update of the add-on');
          install.install().catch(() => undefined);
        })()`,
      );
    },
    async addonVersion() {
      const version = await evaluateInParent(
        browser,
        `(async () => {
          const { AddonManager } = ChromeUtils.importESModule('resource://gre/modules/AddonManager.sys.mjs');
          return (await AddonManager.getAddonByID(${JSON.stringify(addonId)}))?.version ?? null;
        })()`,
      );
      if (typeof version !== 'string') throw new Error('The add-on is not installed');
      return version;
    },
    close: () => browser.close(),
  };
}

/**
 * Evaluates `expression` (a promise) in Firefox's parent process, where the add-on manager lives;
 * its result when that is a string, null, or a number.
 */
export async function evaluateInParent(browser: Browser, expression: string): Promise<unknown> {
  const { result } = await bidi(browser).send('browsingContext.getTree', { 'moz:scope': 'chrome' });
  const context = (result as { contexts: Array<{ context: string }> }).contexts[0]?.context;
  if (!context) throw new Error('No parent-process context to evaluate in');
  const evaluated = (await bidi(browser).send('script.evaluate', { target: { context }, awaitPromise: true, expression })).result as {
    type: string;
    result?: { type: string; value?: unknown };
    exceptionDetails?: { text?: string };
  };
  if (evaluated.type === 'exception') throw new Error(`In Firefox's parent process: ${evaluated.exceptionDetails?.text ?? 'an exception'}`);
  return evaluated.result?.value ?? null;
}

/** The element with this `data-testid` once it matches `state` (a CSS suffix such as `[data-state="signed-in"]`). */
export function byTestId(page: Page, testId: string, state = '', timeout = 30_000): Promise<ElementHandle<Element>> {
  return page.waitForSelector(`[data-testid="${testId}"]${state}`, { timeout }) as Promise<ElementHandle<Element>>;
}

/** Options page: point the extension at a Tako API (the local stack, usually), as a person would. */
export async function useEndpointInFirefox(firefox: FirefoxWithExtension, baseUrl: string, version: 'v1' | 'v2' = 'v2'): Promise<void> {
  const page = await firefox.openExtensionPage('options.html');
  await byTestId(page, 'endpoint', ':enabled');
  await page.select('[data-testid="endpoint"]', 'custom');
  await page.type('[data-testid="base-url"]', baseUrl);
  await page.select('[data-testid="api-version"]', version);
  await page.click('[data-testid="save"]');
  const saved = `Saved: ${baseUrl} (${version})`;
  await page.waitForFunction(
    (text) => document.querySelector('[data-testid="options-status"]')?.textContent?.includes(text),
    { timeout: 15_000 },
    saved,
  );
  await page.close();
}
