/**
 * What the Firefox tests do as a person would, in the popup, and how they wait on the local stack
 * (by polling its log, never for a fixed time).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { Page } from 'puppeteer-core';
import { byTestId, type FirefoxWithExtension, firefoxXpiPath } from '../../tools/dev/firefox.ts';
import { type Stack, type StackOptions, startStack } from '../../tools/stack/server.ts';

/**
 * What a Firefox suite runs against: a local stack (with `options`) and a profile folder for the
 * browser, made before its tests and removed after them. Read them inside the tests.
 */
export function suiteStackAndProfile(options: StackOptions = {}): { readonly stack: Stack; readonly profile: string } {
  const suite = {} as { stack: Stack; profile: string };
  before(async () => {
    suite.stack = await startStack({ port: 0, ...options });
    suite.profile = await mkdtemp(path.join(os.tmpdir(), 'tako-session-firefox-'));
  });
  after(async () => {
    await suite.stack.close();
    await rm(suite.profile, { recursive: true, force: true });
  });
  return suite;
}

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
 * Polls `condition` every 100 ms until it holds; gives up when `signal` (a test's) aborts, so that
 * a failing test still closes its browser.
 */
export async function until(condition: () => Promise<boolean> | boolean, signal?: AbortSignal): Promise<void> {
  while (!(await condition())) {
    signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits (by polling the stack's log) until `count` refreshes were answered; resolves their statuses. */
export async function refreshesAnswered(stack: Stack, count: number, signal?: AbortSignal): Promise<number[]> {
  const statuses = () => stack.requests('/v2/refresh_token').map((request) => request.status);
  await until(() => statuses().length >= count && statuses().every((status) => status !== null), signal);
  return statuses() as number[];
}

export interface CallOutcome {
  result?: unknown;
  code?: number;
  message?: string;
}

/** `takoSession.request({ method })` from a page: its result, or the error's code and message. */
export function callFrom(page: Page, method: string): Promise<CallOutcome> {
  return page.evaluate(async (name) => {
    try {
      const request = window.takoSession!.request as (args: { method: string }) => Promise<unknown>;
      return { result: (await request({ method: name })) ?? null };
    } catch (error) {
      return { code: (error as { code: number }).code, message: (error as Error).message };
    }
  }, method);
}

/**
 * The approval window the extension opens next. Firefox reports the new window's target as
 * about:blank (extension pages send no navigation events over BiDi), so the window is known by its
 * contents.
 */
export async function nextApprovalWindow(firefox: FirefoxWithExtension): Promise<Page> {
  const known = new Set(firefox.browser.targets());
  const target = await firefox.browser.waitForTarget((t) => t.type() === 'page' && !known.has(t), { timeout: 30_000 });
  const page = await target.page();
  if (!page) throw new Error('The new window has no page');
  await byTestId(page, 'request-origin');
  return page;
}

/** Asks for access from `page` and answers the approval window; resolves what the page got. */
export async function answerAccess(firefox: FirefoxWithExtension, page: Page, answer: 'approve' | 'deny'): Promise<CallOutcome> {
  // An approval is shown for the tab in front.
  await page.bringToFront();
  const approvalOpened = nextApprovalWindow(firefox);
  const outcome = callFrom(page, 'tako_requestAccess');
  // Settled later; until then a failure of the window must not leave it unhandled.
  outcome.catch(() => undefined);
  const approval = await approvalOpened;
  const origin = await (await byTestId(approval, 'request-origin')).evaluate((node) => node.textContent);
  assert.equal(origin, new URL(page.url()).origin);
  const button = await byTestId(approval, answer, ':enabled');
  // The window closes itself once answered: the click runs after this call has returned, so that
  // the closing cannot cut the call short.
  await button.evaluate((node) => setTimeout(() => (node as HTMLElement).click()));
  return outcome;
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
