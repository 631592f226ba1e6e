/** Launching Chromium with the built extension, shared by `npm start`, the tests and the bench. */

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Worker } from '@playwright/test';
import { DEV_WALLET_EXTENSION_DIR, DEV_WALLET_EXTENSION_ID } from '../stack/wallet-extension/id.ts';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The Chromium build (`npm run build`); the Firefox one is beside it (firefox.ts). */
export const extensionDir = path.join(projectRoot, 'extension', 'chromium');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The local stack's test double of MetaMask's external port (`npm run build` writes it). */
export const walletExtensionDir = path.join(projectRoot, DEV_WALLET_EXTENSION_DIR);

/** Flags every launch here shares: no sandbox, and no reaching for the internet, which this machine lacks. */
export const QUIET_CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
];

/**
 * Hosts under this reserved test domain (`.test`, RFC 6761) resolve to this computer in the
 * browsers launched here, so that the local stack can be loaded as several sites and subdomains
 * (`http://a.shop.tako.test:PORT`); nothing else resolves differently.
 */
export const TEST_SITE_DOMAIN = 'tako.test';

export interface LaunchOptions {
  headless?: boolean;
  extensionPath?: string;
  /**
   * Loads the test double wallet extension beside the product (default), so the background can
   * sign in directly; false for a browser without any MetaMask.
   */
  walletExtension?: boolean;
  /** The browser's UI language ("de", "ja", "zh-CN"); see launchWithExtension. */
  locale?: string;
  /** More Chromium switches, after the shared ones. */
  args?: readonly string[];
}

/**
 * `locale` ("de", "ja", "zh-CN") runs the browser in that language. Headless Chromium on Linux
 * takes the extension's message catalog from `--lang` but reports `i18n.getUILanguage()` (and
 * `navigator.language`) from the emulated locale, so both are set.
 */
export async function launchWithExtension(
  userDataDir: string,
  { headless = true, extensionPath = extensionDir, walletExtension = true, locale, args = [] }: LaunchOptions = {},
): Promise<BrowserContext> {
  const extensions = walletExtension ? [extensionPath, walletExtensionDir] : [extensionPath];
  for (const dir of extensions) {
    if (!existsSync(path.join(dir, 'manifest.json'))) {
      throw new Error(`${path.relative(projectRoot, dir)}/ is not built: run \`npm run build\` first`);
    }
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless,
    viewport: headless ? { width: 1280, height: 800 } : null,
    ...(locale ? { locale } : {}),
    args: [
      `--disable-extensions-except=${extensions.join(',')}`,
      `--load-extension=${extensions.join(',')}`,
      ...QUIET_CHROMIUM_ARGS,
      `--host-resolver-rules=MAP *.${TEST_SITE_DOMAIN} 127.0.0.1`,
      ...(locale ? [`--lang=${locale}`] : []),
      ...args,
    ],
  });
}

/** The product's worker, not the wallet double's. */
const isProductWorker = (worker: Worker) => new URL(worker.url()).host !== DEV_WALLET_EXTENSION_ID;

export async function serviceWorkerOf(context: BrowserContext): Promise<Worker> {
  return context.serviceWorkers().find(isProductWorker) ?? (await context.waitForEvent('serviceworker', { predicate: isProductWorker }));
}

export async function extensionIdOf(context: BrowserContext): Promise<string> {
  return new URL((await serviceWorkerOf(context)).url()).host;
}
