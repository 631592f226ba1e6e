/** Launching Chromium with the built extension, shared by `npm start`, the tests and the bench. */
import { chromium, type BrowserContext, type Worker } from '@playwright/test';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The Chromium build (`npm run build`); the Firefox one is beside it (firefox.ts). */
export const extensionDir = path.join(projectRoot, 'extension', 'chromium');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags every launch here shares: no sandbox, and no reaching for the internet, which this machine lacks. */
export const QUIET_CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
];

export async function launchWithExtension(
  userDataDir: string,
  { headless = true, extensionPath = extensionDir }: { headless?: boolean; extensionPath?: string } = {},
): Promise<BrowserContext> {
  if (!existsSync(path.join(extensionPath, 'manifest.json'))) {
    throw new Error(`${path.relative(projectRoot, extensionPath)}/ is not built: run \`npm run build\` first`);
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless,
    viewport: headless ? { width: 1280, height: 800 } : null,
    args: [
      `--disable-extensions-except=${extensionPath}`,
      `--load-extension=${extensionPath}`,
      ...QUIET_CHROMIUM_ARGS,
    ],
  });
}

export async function serviceWorkerOf(context: BrowserContext): Promise<Worker> {
  return context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
}

export async function extensionIdOf(context: BrowserContext): Promise<string> {
  return new URL((await serviceWorkerOf(context)).url()).host;
}
