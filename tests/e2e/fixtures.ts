/**
 * Playwright fixtures: a fresh local stack (real HTTP on loopback, free port) and the built
 * extension loaded into the system Chromium on a throw-away profile.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { answerApproval, useEndpoint } from '../../tools/dev/drive.ts';
import { extensionIdOf, launchWithExtension, serviceWorkerOf } from '../../tools/dev/launch.ts';
import { DB_NAME, OBJECT_STORE_NAME } from '../../src/background/storage/storage-keys.ts';
import { CONTENT_CHANNEL, PAGE_CHANNEL } from '../../src/core/contract/channels.ts';
import type { Reply } from '../../src/core/contract/protocol.ts';
import type { UiReply, UiRequest } from '../../src/core/contract/ui-protocol.ts';
import type { TakoSessionEvent } from '../../src/core/contract/tako-session-api.ts';
import { startStack, type Stack, type StackOptions } from '../../tools/stack/server.ts';
import type { Extension } from '../support/e2e/extension.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';

export type { Extension };

/**
 * A tab that is not in front gets its frames late (seconds after it went to the back, about one a
 * second), and a click waits for frames to see its target hold still: each click in the popup
 * while the demo page is in front took 2 s. Unlimited frames keep a click there as quick as in the
 * tab in front; which tab is in front, what the extension sees, is unchanged.
 */
const TEST_CHROMIUM_ARGS = ['--disable-frame-rate-limit'];

export const test = base.extend<{ stackOptions: StackOptions; walletExtension: boolean; browserLocale: string | undefined; stack: Stack; extension: Extension }>({
  stackOptions: [{}, { option: true }],
  /**
   * Loads the local stack's wallet extension (a MetaMask double) beside the product. Off unless a
   * spec signs in through it: every test pays for each extension's start.
   */
  walletExtension: [false, { option: true }],
  /** The browser's UI language ("de"); the system's when left out. */
  browserLocale: [undefined, { option: true }],
  stack: async ({ stackOptions }, use) => {
    const stack = await startStack({ port: 0, ...stackOptions });
    await use(stack);
    await stack.close();
  },
  extension: async ({ stack, walletExtension, browserLocale }, use) => {
    const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'tako-session-profile-'));
    const launchOptions = { walletExtension, ...(browserLocale ? { locale: browserLocale } : {}), args: TEST_CHROMIUM_ARGS };
    let context = await launchWithExtension(userDataDir, launchOptions);
    const extension: Extension = {
      id: await extensionIdOf(context),
      get context() {
        return context;
      },
      worker: () => serviceWorkerOf(context),
      async openPage(file) {
        const page = await context.newPage();
        await page.goto(`chrome-extension://${extension.id}/${file}`);
        return page;
      },
      useEndpoint: (baseUrl, version = 'v2') => saveEndpoint(extension, baseUrl, version),
      useEndpointInOptions: (baseUrl, version = 'v2') => useEndpoint(context, extension.id, baseUrl, version),
      async openDemo(query = {}) {
        const page = await context.newPage();
        await page.goto(`${stack.url}/?${new URLSearchParams(query)}`);
        return page;
      },
      async stopWorker() {
        const page = context.pages()[0] ?? (await context.newPage());
        const cdp = await context.newCDPSession(page);
        await cdp.send('ServiceWorker.enable');
        await cdp.send('ServiceWorker.stopAllWorkers');
        await cdp.detach();
      },
      async restart() {
        await context.close();
        context = await launchWithExtension(userDataDir, launchOptions);
        await serviceWorkerOf(context);
      },
    };
    await use(extension);
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  },
});

export { answerApproval, expect };

/** `useEndpoint`: the options page's settings message, from an options page whose form is left alone. */
async function saveEndpoint(extension: Extension, baseUrl: string, version: 'v1' | 'v2'): Promise<void> {
  const page = await extension.openPage('options.html');
  const request: UiRequest = { type: 'save-settings', endpoint: { preset: 'custom', baseUrl, version } };
  const reply = await page.evaluate((message) => chrome.runtime.sendMessage(message) as Promise<Reply<UiReply<'save-settings'>>>, request);
  await page.close();
  // The reply names what was stored: proof that this endpoint, and not another, was saved.
  expect(reply).toMatchObject({ ok: true, result: { endpoint: { preset: 'custom', baseUrl, version } } });
}

/**
 * Everything the background keeps in IndexedDB, read from an extension page (`via`, an open one
 * such as the popup, or an options page opened for it): by key, or (`asText`) as one text with
 * bytes (ciphertexts, IVs) spelled one character per byte, to search for secrets in clear.
 */
async function dumpStore<T extends Record<string, unknown> | string>(extension: Extension, asText: boolean, via?: Page): Promise<T> {
  const page = via ?? (await extension.openPage('options.html'));
  const dump = await page.evaluate(
    ({ dbName, storeName, asText }) =>
      new Promise<Record<string, unknown> | string>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const store = db.transaction(storeName, 'readonly').objectStore(storeName);
          const keys = store.getAllKeys();
          const values = store.getAll();
          values.onsuccess = () => {
            const bytes = (value: ArrayBuffer | ArrayBufferView) =>
              Array.from(value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
                .map((b) => String.fromCharCode(b))
                .join('');
            resolve(
              asText
                ? JSON.stringify([keys.result, values.result], (_, value) =>
                    value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? bytes(value) : value,
                  )
                : Object.fromEntries(keys.result.map((key, i) => [String(key), values.result[i]])),
            );
            db.close();
          };
          values.onerror = () => reject(values.error);
        };
      }),
    { dbName: DB_NAME, storeName: OBJECT_STORE_NAME, asText },
  );
  if (!via) await page.close();
  return dump as T;
}

/** Everything the background keeps in IndexedDB, by key; read through `via` when given. */
export const readStore = (extension: Extension, via?: Page) => dumpStore<Record<string, unknown>>(extension, false, via);

/** Everything the background keeps in IndexedDB as one searchable text. */
export const storedText = (extension: Extension) => dumpStore<string>(extension, true);

/** The extension's alarms by name, read from an extension page: `via` when given. */
export async function alarmNames(extension: Extension, via?: Page): Promise<string[]> {
  const page = via ?? (await extension.openPage('options.html'));
  const names = await page.evaluate(async () => (await chrome.alarms.getAll()).map((alarm) => alarm.name));
  if (!via) await page.close();
  return names;
}

/** Opens the popup (in a tab) and clicks sign-in; the demo page's wallet must be open. */
export async function signInFromPopup(extension: Extension): Promise<Page> {
  const popup = await extension.openPage('popup.html');
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', /signed-out|expired/);
  await popup.getByTestId('sign-in').click();
  return popup;
}

/**
 * Waits for `page` (the popup) to show signed-in. A failure says what the popup shows instead, its
 * error above all, which the bare attribute check would not.
 */
export async function expectSignedIn(page: Page): Promise<void> {
  const session = page.getByTestId('session');
  try {
    await expect(session).toHaveAttribute('data-state', 'signed-in');
  } catch (error) {
    const shown = await session.innerText().catch(() => '(the popup is closed)');
    throw new Error(`${(error as Error).message}\n\nThe popup shows:\n${shown}`);
  }
}

/**
 * The common start of a test: the extension points at the local stack, the person signed in from
 * the popup with the demo page's dev wallet (auto-confirming), and allowed the demo's origin.
 */
export async function signedInAndAllowed(extension: Extension, stack: Pick<Stack, 'url'>): Promise<{ demo: Page; popup: Page }> {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  expect(await approveAccess(extension, demo)).toMatchObject({ result: { address: DEV_ADDRESS } });
  return { demo, popup };
}

/** Asks for access from `page` and approves it in the approval window; resolves what the page got. */
export async function allowOrigin(extension: Extension, page: Page): Promise<unknown> {
  const outcome = await approveAccess(extension, page);
  if (outcome.code !== undefined) throw new Error(`tako_requestAccess failed: ${String(outcome.message)}`);
  return outcome.result;
}

/** `tako_getToken` from a page, or the error code it got. */
export function getTokenFrom(page: Page) {
  return page.evaluate(async () => {
    try {
      return { token: await window.takoSession!.request({ method: 'tako_getToken' }) };
    } catch (error) {
      return { code: (error as { code: number }).code, message: (error as Error).message };
    }
  });
}

/** Reads a JWT's payload without verifying it (the test's own view of a token). */
export function jwtPayload(token: string): { address: string; type: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** The toolbar badge text and the extension's open notifications, read from an extension page. */
export async function badgeAndNotifications(extension: Extension): Promise<{ badge: string; notifications: string[] }> {
  const page = await extension.openPage('options.html');
  const result = await page.evaluate(async () => ({
    badge: await chrome.action.getBadgeText({}),
    notifications: Object.keys(await chrome.notifications.getAll()),
  }));
  await page.close();
  return result;
}

/** Records every `sessionChanged` a page receives, in `window.sessionEvents`. */
export function recordSessionEvents(page: Page): Promise<void> {
  return recordEvents(page, 'sessionChanged');
}

export function sessionEvents(page: Page): Promise<Array<{ state: string; address: string } | null>> {
  return recordedEvents(page, 'sessionChanged') as Promise<Array<{ state: string; address: string } | null>>;
}

/** Records every `event` a page receives from `window.takoSession`, for `recordedEvents`. */
export async function recordEvents(page: Page, event: TakoSessionEvent): Promise<void> {
  await page.evaluate((name) => {
    const log = ((window as unknown as { takoEvents?: Record<string, unknown[]> }).takoEvents ??= {});
    const events: unknown[] = (log[name] = []);
    window.takoSession!.on(name, (data) => events.push(data));
  }, event);
}

export function recordedEvents(page: Page, event: TakoSessionEvent): Promise<unknown[]> {
  return page.evaluate((name) => (window as unknown as { takoEvents: Record<string, unknown[]> }).takoEvents[name]!, event);
}

/** What a page got from `takoSession.request`: the result, or the error's fields as the page saw them. */
export interface PageCallOutcome {
  result?: unknown;
  /** True when the rejection was a real `Error`. */
  isError?: boolean;
  code?: unknown;
  message?: unknown;
  data?: unknown;
}

/** `takoSession.request({ method, params })` from a page, whatever the method name. */
export function callFrom(page: Page, method: string, ...params: [] | [unknown]): Promise<PageCallOutcome> {
  return page.evaluate(
    async ({ method, params, withParams }) => {
      const request = window.takoSession!.request as (args: { method: string; params?: unknown }) => Promise<unknown>;
      try {
        return { result: (await request(withParams ? { method, params } : { method })) ?? null };
      } catch (error) {
        const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown };
        return { isError: error instanceof Error, code, message, data };
      }
    },
    { method, params: params[0], withParams: params.length > 0 },
  );
}

/** Resolves with the next approval window the extension opens. */
export function nextApprovalWindow(extension: Extension): Promise<Page> {
  return extension.context.waitForEvent('page', (page) => page.url().includes('/approval.html'));
}

/** Opens any URL in a new tab of the extension's browser. */
export async function openUrl(extension: Extension, url: string): Promise<Page> {
  const page = await extension.context.newPage();
  await page.goto(url);
  return page;
}

/**
 * An init script that records, in every frame, each message posted to its window (as JSON) in
 * `window.__windowMessages`; read it with `windowMessages`.
 */
export function recordWindowMessages(): void {
  const log: Array<{ fromSelf: boolean; json: string }> = [];
  Object.defineProperty(window, '__windowMessages', { value: log });
  window.addEventListener(
    'message',
    (event) => {
      let json: string;
      try {
        json = JSON.stringify(event.data) ?? String(event.data);
      } catch {
        json = String(event.data);
      }
      log.push({ fromSelf: event.source === window, json });
    },
    true,
  );
}

export function windowMessages(target: Page | import('@playwright/test').Frame): Promise<Array<{ fromSelf: boolean; json: string }>> {
  return target.evaluate(() => (window as unknown as { __windowMessages: Array<{ fromSelf: boolean; json: string }> }).__windowMessages);
}

/**
 * `method` from `page` (in front: a window opens only for the tab in front), with the approval
 * window it opens answered `answer`; resolves what the page got. For what a page asks the person
 * to confirm: `tako_signOut`, `tako_signIn` with the page's own wallet, `metahuman_getToken`.
 */
export async function confirmedFrom(extension: Extension, page: Page, method: string, answer: 'approve' | 'deny' = 'approve'): Promise<PageCallOutcome> {
  await page.bringToFront();
  const opened = nextApprovalWindow(extension);
  const call = callFrom(page, method);
  await answerApproval(await opened, answer);
  return call;
}

/** `tako_requestAccess` from `page`, approved in the window it opens; resolves what the page got. */
export async function approveAccess(extension: Extension, page: Page): Promise<PageCallOutcome> {
  // The approval window opens for a tab in front only, as a person would have it.
  await page.bringToFront();
  const approvalOpened = nextApprovalWindow(extension);
  const access = callFrom(page, 'tako_requestAccess');
  const approval = await approvalOpened;
  await expect(approval.getByTestId('request-origin')).toHaveText(new URL(page.url()).origin);
  await answerApproval(approval, 'approve');
  return access;
}

/**
 * Gets a MetaHuman token from the local stack through the options page `options` (left open, the
 * token shown), as a person fills the form.
 */
export async function obtainMetahumanToken(options: Page, baseUrl: string): Promise<void> {
  await expect(options.getByTestId('mh-base-url')).not.toHaveValue('');
  await options.getByTestId('mh-base-url').fill(baseUrl);
  await options.getByTestId('mh-name').fill('Ada Lovelace');
  await options.getByTestId('mh-mail').fill('ada@example.com');
  await options.getByTestId('mh-get-token').click();
  await expect(options.getByTestId('mh-token')).toBeVisible();
}

/**
 * From `page`, reports account switches to the relay as the wallet bridge would, then waits for the
 * reply to a later request: the relay forwards a page's messages in order, so by then the
 * background has handled the switches. Resolves that reply.
 */
export function forgeAccountsChanged(page: Page, accounts: readonly string[]): Promise<unknown> {
  return page.evaluate(
    async ({ PAGE_CHANNEL, CONTENT_CHANNEL, accounts }) => {
      for (const account of accounts) window.postMessage({ channel: PAGE_CHANNEL, kind: 'wallet-accounts', accounts: [account] }, '*');
      const replied = new Promise<unknown>((resolve) =>
        window.addEventListener('message', (event) => {
          const data = event.data as { channel?: string; kind?: string; id?: string; reply?: unknown } | null;
          if (data?.channel === CONTENT_CHANNEL && data.kind === 'reply' && data.id === 'after-accounts') resolve(data.reply);
        }),
      );
      window.postMessage({ channel: PAGE_CHANNEL, kind: 'request', id: 'after-accounts', method: 'tako_getSession' }, '*');
      return replied;
    },
    { PAGE_CHANNEL, CONTENT_CHANNEL, accounts },
  );
}

