/**
 * `npm run screenshots` (after `npm run build`): the store listings' screenshots, 1280x800, from
 * the real build signed in against the local stack, in light and dark, into dist/screenshots/:
 *   popup-{light,dark}.png      the popup, signed in, with the demo dapp allowed
 *   approval-{light,dark}.png   the approval window a site's first request opens
 *   options-{light,dark}.png    the options page
 * The popup and the approval window are small: they are shown centred on a plain backdrop.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { APPROVAL_WINDOW_SIZE } from '../../src/background/consent/approvals.ts';
import { allowPageOrigin, useEndpoint } from '../dev/drive.ts';
import { extensionIdOf, launchWithExtension, projectRoot } from '../dev/launch.ts';
import { startStack } from '../stack/server.ts';

/** The stores' screenshot size. */
export const SCREENSHOT_SIZE = { width: 1280, height: 800 } as const;
const SCHEMES = ['light', 'dark'] as const;

/**
 * Centres a small page on a backdrop of the size of the shot, in the page's own colours, at the
 * width it has in its own window (`width`, when its style does not set one).
 */
async function onBackdrop(page: Page, width?: number): Promise<void> {
  const sized = width === undefined ? '' : `width: ${width}px; box-sizing: border-box;`;
  await page.addStyleTag({
    content: `html { min-height: 100vh; display: grid; place-items: center; background: color-mix(in srgb, Canvas 80%, CanvasText); }
      body { margin: 0; border-radius: 12px; box-shadow: 0 12px 40px rgb(0 0 0 / 35%); background: Canvas; ${sized} }`,
  });
}

/** `small`: shown on a backdrop, at its window's width when given. */
async function shoot(page: Page, outDir: string, name: string, small: false | { width?: number }): Promise<string[]> {
  await page.setViewportSize(SCREENSHOT_SIZE);
  if (small) await onBackdrop(page, small.width);
  const files: string[] = [];
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    const file = path.join(outDir, `${name}-${scheme}.png`);
    await page.screenshot({ path: file });
    files.push(file);
  }
  return files;
}

async function openExtensionPage(context: BrowserContext, id: string, file: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${id}/${file}`);
  return page;
}

/** Writes the six screenshots into `outDir`; resolves their paths. */
export async function writeScreenshots(outDir = path.join(projectRoot, 'dist', 'screenshots')): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const stack = await startStack({ port: 0 });
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-session-screenshots-'));
  const context = await launchWithExtension(profile, { walletExtension: false });
  try {
    const id = await extensionIdOf(context);
    await useEndpoint(context, id, stack.url);
    // Signed in with the demo dapp's wallet, the demo allowed: the popup as a person sees it in use.
    const demo = await context.newPage();
    await demo.goto(`${stack.url}/?autoconfirm=1`);
    const popup = await openExtensionPage(context, id, 'popup.html');
    await popup.locator('[data-testid="sign-in-source"][data-kind="page"]').waitFor();
    await popup.getByTestId('sign-in').click();
    await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor();
    await allowPageOrigin(context, demo);
    await popup.reload();
    await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor();
    await popup.getByTestId('sites').locator('li').first().waitFor();
    const files = await shoot(popup, outDir, 'popup', {});

    // A second site's first request: its approval window, left unanswered.
    const asking = await context.newPage();
    await asking.goto(`${stack.url.replace('127.0.0.1', 'localhost')}/`);
    await asking.bringToFront();
    const approvalOpened = context.waitForEvent('page', (page) => page.url().includes('/approval.html'));
    // Never answered: the browser closes with the window open.
    asking.evaluate(() => window.takoSession!.request({ method: 'tako_requestAccess' })).catch(() => undefined);
    const approval = await approvalOpened;
    await approval.locator('[data-testid="approve"]:enabled').waitFor();
    files.push(...(await shoot(approval, outDir, 'approval', { width: APPROVAL_WINDOW_SIZE.width })));

    const options = await openExtensionPage(context, id, 'options.html');
    await options.locator('[data-testid="endpoint"]:enabled').waitFor();
    files.push(...(await shoot(options, outDir, 'options', false)));
    return files;
  } finally {
    await context.close();
    await stack.close();
    await rm(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  for (const file of await writeScreenshots()) console.log(`Wrote ${path.relative(projectRoot, file)}`);
}
