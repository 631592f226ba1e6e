/**
 * What the Firefox tests do as a person would, in the popup, and how they wait on the local stack
 * (by polling its log, never for a fixed time).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { Page } from 'puppeteer-core';
import { byTestId, type FirefoxWithExtension, firefoxXpiPath } from '../../tools/dev/firefox.ts';
import type { Stack } from '../../tools/stack/server.ts';

/** Opens the popup, clicks sign-in and waits until it shows signed in; returns the popup. */
export async function signInFromPopup(firefox: FirefoxWithExtension): Promise<Page> {
  const popup = await firefox.openExtensionPage('popup.html');
  await byTestId(popup, 'session', ':is([data-state="signed-out"],[data-state="expired"])');
  await (await byTestId(popup, 'sign-in', ':not([hidden])')).click();
  await expectSignedIn(popup);
  return popup;
}

export async function expectSignedIn(popup: Page): Promise<void> {
  try {
    await byTestId(popup, 'session', '[data-state="signed-in"]');
  } catch (error) {
    // biome-ignore lint/performance/useDomNodeTextContent: the failure message quotes the popup as a person sees it (rendered text, no hidden nodes)
    const shown = await popup.$eval('[data-testid="session"]', (node) => (node as HTMLElement).innerText).catch(() => '(closed)');
    throw new Error(`${(error as Error).message}\nThe popup shows:\n${shown}`);
  }
}

/**
 * Waits (by polling the stack's log, never a fixed time) until `count` refreshes were answered;
 * gives up when `signal` (a test's) aborts, so that a failing test still closes its browser.
 */
export async function refreshesAnswered(stack: Stack, count: number, signal?: AbortSignal): Promise<number[]> {
  for (;;) {
    signal?.throwIfAborted();
    const statuses = stack.requests('/v2/refresh_token').map((request) => request.status);
    if (statuses.length >= count && statuses.every((status) => status !== null)) return statuses as number[];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * An update of the built add-on: the same files under a higher version, written to `xpiPath`, as
 * a store would serve it. Returns the new version.
 */
export async function writeUpdateXpi(xpiPath: string): Promise<string> {
  const files = unzipSync(new Uint8Array(await readFile(firefoxXpiPath)));
  const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as { version: string };
  const parts = manifest.version.split('.').map(Number);
  parts[parts.length - 1]! += 1;
  manifest.version = parts.join('.');
  files['manifest.json'] = strToU8(JSON.stringify(manifest, null, 2));
  await writeFile(xpiPath, zipSync(files));
  return manifest.version;
}
