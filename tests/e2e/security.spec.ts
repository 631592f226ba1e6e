/**
 * What a hostile page can do with window.takoSession, in real Chromium: origins nobody allowed (or
 * that were revoked), forged messages, a cross-origin iframe, a fuzz of malformed messages, and a
 * search for the refresh token everywhere a page, a content script, a log or the popup could hold it.
 */
import type { CDPSession, Page } from '@playwright/test';
import { CONTENT_CHANNEL, PAGE_CHANNEL } from '../../src/core/contract/channels.ts';
import { expect, type Extension, test } from './fixtures.ts';
import { approveAccess, confirmedFrom, nextApprovalWindow } from '../support/e2e/approval-window.ts';
import { callFrom, jwtPayload, recordSessionEvents, sessionEvents } from '../support/e2e/page-api.ts';
import { expectSignedIn, signedInAndAllowed, signInFromPopup } from '../support/e2e/popup.ts';
import { openUrl } from '../support/e2e/web-pages.ts';
import { forgeAccountsChanged, recordWindowMessages, windowMessages } from '../support/e2e/window-messages.ts';
import { DEV_ADDRESS, SECOND_DEV_ADDRESS } from '../support/dev-addresses.ts';

/** The address as a page could spell it: any case, with or without 0x. */
const ADDRESS_HEX = DEV_ADDRESS.slice(2).toLowerCase();
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g;

const otherOrigin = (port: number) => `http://localhost:${port}`;

/**
 * A page with no script of its own (the extension's scripts are the only ones in it), served by
 * the browser's request routing at a URL of our choice, so a test can pick its origin and framing.
 */
async function openPlainPage(extension: Extension, url: string, body = '<p>A plain page.</p>', headers: Record<string, string> = {}): Promise<Page> {
  await extension.context.route(url, (route) =>
    route.fulfill({ contentType: 'text/html; charset=utf-8', headers, body: `<!doctype html><title>plain</title>${body}` }),
  );
  const page = await extension.context.newPage();
  await page.addInitScript(recordWindowMessages);
  await page.goto(url);
  return page;
}

function origins(popup: Page): Promise<string[]> {
  return popup.getByTestId('sites').getByTestId('site').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset['origin'] ?? ''));
}

interface WorkerWatch {
  /** Uncaught exceptions and unhandled rejections in the service worker. */
  exceptions: string[];
  /** Everything the service worker wrote to its console, as text. */
  console: Array<{ type: string; text: string }>;
  /** Set when the worker went away, which would make the two lists above incomplete. */
  detached: boolean;
  stop(): Promise<void>;
}

/**
 * Attaches to the extension's service worker over CDP (through a blank tab's session, since
 * Playwright opens sessions on pages only) and records its console and uncaught exceptions.
 */
async function watchServiceWorker(extension: Extension): Promise<WorkerWatch> {
  const tab = await extension.context.newPage();
  const cdp: CDPSession = await extension.context.newCDPSession(tab);
  const { targetInfos } = await cdp.send('Target.getTargets');
  const worker = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extension.id}/`));
  if (!worker) throw new Error('No service worker target');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
  const watch: WorkerWatch = {
    exceptions: [],
    console: [],
    detached: false,
    async stop() {
      await cdp.detach().catch(() => undefined);
      await tab.close();
    },
  };
  let nextId = 1;
  const answers = new Map<number, () => void>();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as {
      id?: number;
      method?: string;
      params?: {
        type?: string;
        args?: Array<{ value?: unknown; description?: string; preview?: unknown }>;
        exceptionDetails?: { text: string; exception?: { description?: string } };
      };
    };
    if (message.id !== undefined) answers.get(message.id)?.();
    if (message.method === 'Runtime.exceptionThrown') {
      const details = message.params!.exceptionDetails!;
      watch.exceptions.push(`${details.text} ${details.exception?.description ?? ''}`);
    } else if (message.method === 'Runtime.consoleAPICalled') {
      const text = (message.params!.args ?? [])
        .map((arg) => (typeof arg.value === 'string' ? arg.value : JSON.stringify(arg.value ?? arg.preview ?? arg.description ?? null)))
        .join(' ');
      watch.console.push({ type: message.params!.type ?? 'log', text });
    }
  });
  cdp.on('Target.detachedFromTarget', (event) => {
    if (event.sessionId === sessionId) watch.detached = true;
  });
  const send = (method: string) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      answers.set(id, resolve);
      void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) });
    });
  await send('Runtime.enable');
  return watch;
}

/**
 * Wraps the content script's runtime messaging (in its isolated world, reached over CDP) so that
 * every message it sends to or gets from the background is recorded in that world, unchanged.
 */
async function recordContentScriptMessages(extension: Extension, page: Page): Promise<() => Promise<string>> {
  const cdp = await extension.context.newCDPSession(page);
  const contexts: Array<{ id: number; name: string; auxData?: { frameId?: string; isDefault?: boolean } }> = [];
  cdp.on('Runtime.executionContextCreated', (event) => contexts.push(event.context as (typeof contexts)[number]));
  await cdp.send('Runtime.enable');
  await expect.poll(() => contexts.some((c) => c.name === 'Tako Session')).toBe(true);
  const contextId = contexts.filter((c) => c.name === 'Tako Session').at(-1)!.id;
  await cdp.send('Runtime.evaluate', {
    contextId,
    expression: `(() => {
      const log = [];
      globalThis.__runtimeLog = log;
      const send = chrome.runtime.sendMessage.bind(chrome.runtime);
      chrome.runtime.sendMessage = (...args) => {
        log.push(JSON.stringify(['to background', args]));
        return send(...args).then((reply) => { log.push(JSON.stringify(['reply', reply])); return reply; });
      };
      chrome.runtime.onMessage.addListener((message) => { log.push(JSON.stringify(['from background', message])); return false; });
    })()`,
  });
  return async () => {
    const { result } = await cdp.send('Runtime.evaluate', { contextId, expression: 'globalThis.__runtimeLog.join("\\n")', returnByValue: true });
    return String(result.value);
  };
}

test('an origin nobody allowed, and one that was revoked, get 4100 for every method and learn nothing', async ({ extension, stack }) => {
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');
  const stranger = await openPlainPage(extension, `${otherOrigin(stack.port)}/plain`);
  await recordSessionEvents(stranger);
  const approvalsOpened: string[] = [];
  extension.context.on('page', (page) => approvalsOpened.push(page.url()));

  const methods = [
    'tako_getToken',
    'tako_getSession',
    'tako_signIn',
    'tako_signOut',
    'metahuman_getToken',
    'tako_unknown',
    'eth_requestAccounts',
    'constructor',
    '__proto__',
  ];
  const probe = async (page: Page) => {
    for (const method of methods) {
      for (const params of [[], [{ origin: stack.url }]] as const) {
        const outcome = await callFrom(page, method, ...params);
        expect(outcome, method).toEqual({ isError: true, code: 4100, message: expect.any(String) });
        expect(JSON.stringify(outcome).toLowerCase(), method).not.toContain(ADDRESS_HEX);
      }
    }
  };

  await probe(stranger);
  // Nothing of the session reached the page by any path: replies, events, the DOM.
  const heard = (await windowMessages(stranger)).map((m) => m.json).join('\n');
  expect(heard).toContain('"code":4100');
  expect(heard.toLowerCase()).not.toContain(ADDRESS_HEX);
  expect(heard).not.toMatch(JWT);
  expect(heard).not.toContain('"kind":"wallet-request"');
  expect((await stranger.content()).toLowerCase()).not.toContain(ADDRESS_HEX);

  // A sandboxed page has an opaque origin, even at the allowed origin's URL: refused at once.
  const sandboxed = await openPlainPage(extension, `${stack.url}/sandboxed`, '<p>Sandboxed.</p>', { 'Content-Security-Policy': 'sandbox allow-scripts' });
  for (const method of ['tako_requestAccess', 'tako_getSession', 'tako_getToken']) {
    expect(await callFrom(sandboxed, method), method).toEqual({ isError: true, code: 4100, message: expect.any(String) });
  }

  // And it changed nothing: same session, no sign-in, no sign-out, no window.
  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('token-expires')).toHaveAttribute('data-expires-at', expiresAt!);
  expect(stack.requests('/v2/token')).toHaveLength(1);
  expect(await origins(popup)).toEqual([stack.url]);

  // Revoked: the demo's origin was allowed and is revoked in the popup.
  await popup.locator(`[data-testid="site"][data-origin="${stack.url}"]`).getByTestId('revoke').click();
  await expect(popup.getByTestId('site')).toHaveCount(0);
  await demo.evaluate(recordWindowMessages);
  await recordSessionEvents(demo);
  await probe(demo);
  const heardAfterRevoke = (await windowMessages(demo)).map((m) => m.json).join('\n');
  expect(heardAfterRevoke).toContain('"code":4100');
  expect(heardAfterRevoke.toLowerCase()).not.toContain(ADDRESS_HEX);
  expect(heardAfterRevoke).not.toMatch(JWT);

  // A refresh now tells no one: neither page is allowed. (A longer lifetime makes the new token's
  // expiry differ from the old one's, whole seconds being all a JWT has, so the popup shows it.)
  stack.configure({ accessTtlSec: 7200 });
  await popup.getByTestId('refresh-now').click();
  await expect.poll(() => stack.requests('/v2/refresh_token').length).toBe(1);
  await expect(popup.getByTestId('token-expires')).not.toHaveAttribute('data-expires-at', expiresAt!);
  expect(await sessionEvents(stranger)).toEqual([]);
  expect(await sessionEvents(demo)).toEqual([]);
  await expectSignedIn(popup);
  expect(stack.requests('/v2/token')).toHaveLength(1);
  expect(approvalsOpened.filter((url) => url.includes('/approval.html'))).toEqual([]);
});

test('a page that imitates the extension’s own messages gains nothing', async ({ extension, stack }) => {
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');
  const forger = await openPlainPage(extension, `${otherOrigin(stack.port)}/plain`);

  // A real consent request is pending, and (worst case) the page knows its id.
  const approvalOpened = nextApprovalWindow(extension);
  const access = callFrom(forger, 'tako_requestAccess');
  const approval = await approvalOpened;
  const requestId = new URL(approval.url()).searchParams.get('request')!;
  expect(requestId).toBeTruthy();

  const fakeSession = { address: '0x000000000000000000000000000000000000dEaD', state: 'signed-in', expiresAt: 1, endpoint: 'forged' };
  const forged = await forger.evaluate(
    async ({ requestId, allowedOrigin, extensionId, fakeSession, PAGE_CHANNEL, CONTENT_CHANNEL }) => {
      const post = (message: unknown) => window.postMessage(message, '*');
      // The content script's replies and events, as if it had sent them; here the page can only fool itself.
      const logged = (window as unknown as { __windowMessages: Array<{ json: string }> }).__windowMessages;
      const ownRequests = logged
        .map((m) => JSON.parse(m.json) as { channel?: string; kind?: string; id?: string })
        .filter((m) => m?.channel === PAGE_CHANNEL && m.kind === 'request');
      for (const { id } of ownRequests) post({ channel: CONTENT_CHANNEL, kind: 'reply', id, reply: { ok: true, result: fakeSession } });
      post({ channel: CONTENT_CHANNEL, kind: 'event', event: 'sessionChanged', data: fakeSession });
      post({ channel: CONTENT_CHANNEL, kind: 'wallet-request', id: 'w1', request: { action: 'list-wallets' } });
      // The background's messages to the content script.
      post({ type: 'page-event', event: 'sessionChanged', data: fakeSession });
      post({ type: 'wallet-request', request: { action: 'request-accounts' } });
      post({ type: 'ping' });
      // The extension pages' messages to the background: answer the approval, revoke, sign out.
      const ui = [
        { type: 'answer-approval', requestId, approved: true },
        { type: 'revoke-site', origin: allowedOrigin },
        { type: 'sign-out', scope: 'all' },
        { type: 'save-settings', endpoint: { preset: 'tako-v2' } },
        { type: 'get-state' },
        { type: 'get-approval', requestId },
      ];
      const uiIds: string[] = [];
      for (const message of ui) {
        post(message);
        post({ channel: PAGE_CHANNEL, ...message });
        const id = `ui-${message.type}`;
        uiIds.push(id);
        post({ channel: PAGE_CHANNEL, kind: 'request', id, method: message.type, params: message });
      }
      // The content script's messages to the background.
      post({ type: 'page-request', method: 'tako_getToken' });
      post({ channel: PAGE_CHANNEL, type: 'page-request', method: 'tako_getToken' });
      // A request that claims another origin in every field it can.
      post({
        channel: PAGE_CHANNEL,
        kind: 'request',
        id: 'claims-origin',
        method: 'tako_getToken',
        origin: allowedOrigin,
        sender: { origin: allowedOrigin, url: `${allowedOrigin}/`, id: extensionId, frameId: 0, tab: { id: 1 } },
        params: { origin: allowedOrigin },
      });
      // Wallet answers to questions nobody asked.
      for (let i = 0; i < 20; i++) {
        post({ channel: PAGE_CHANNEL, kind: 'wallet-reply', id: crypto.randomUUID(), reply: { ok: true, result: [fakeSession.address] } });
      }
      post({ channel: PAGE_CHANNEL, kind: 'wallet-accounts', accounts: [fakeSession.address] });
      // The extension's own pages and files are out of reach.
      const fetched = await fetch(`chrome-extension://${extensionId}/popup.html`).then(
        () => 'fetched',
        () => 'refused',
      );
      return { uiIds, fetched };
    },
    { requestId, allowedOrigin: stack.url, extensionId: extension.id, fakeSession, PAGE_CHANNEL, CONTENT_CHANNEL },
  );
  expect(forged.fetched).toBe('refused');

  // The forged reply fooled the page's own pending call, and nothing else.
  expect(await access).toEqual({ result: fakeSession });
  const replies = async () =>
    (await windowMessages(forger))
      .map((m) => JSON.parse(m.json) as { channel?: string; kind?: string; id?: string; reply?: { ok: boolean; error?: { code: number } } })
      .filter((m) => m?.channel === CONTENT_CHANNEL && m.kind === 'reply');
  const ids = ['claims-origin', ...forged.uiIds];
  await expect.poll(async () => (await replies()).filter((m) => ids.includes(m.id!)).length).toBe(ids.length);
  for (const reply of (await replies()).filter((m) => ids.includes(m.id!))) {
    expect(reply.reply, reply.id).toEqual({ ok: false, error: { code: 4100, message: expect.any(String) } });
  }

  // The approval is still waiting for the person; closing it refuses.
  expect(approval.isClosed()).toBe(false);
  await expect(approval.getByTestId('request-origin')).toHaveText(otherOrigin(stack.port));
  await approval.close();
  expect(await callFrom(forger, 'tako_getToken')).toMatchObject({ isError: true, code: 4100 });
  expect(await callFrom(forger, 'tako_getSession')).toMatchObject({ isError: true, code: 4100 });

  // Nothing changed anywhere.
  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('token-expires')).toHaveAttribute('data-expires-at', expiresAt!);
  expect(await origins(popup)).toEqual([stack.url]);
  const settings = await extension.openPage('options.html');
  await expect(settings.getByTestId('endpoint')).toHaveValue('custom');
  await settings.close();
  expect(stack.requests('/v2/token')).toHaveLength(1);
  expect(stack.requests('/v2/refresh_token')).toHaveLength(0);
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ result: { address: DEV_ADDRESS } });
  const heard = (await windowMessages(forger)).map((m) => m.json).join('\n');
  expect(heard.toLowerCase()).not.toContain(ADDRESS_HEX);
  expect(heard).not.toMatch(JWT);
});

/** An account nobody signed in. */
const UNKNOWN_ADDRESS = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

test('a page nobody allowed cannot switch the active account or plant the "wallet switched" offer', async ({ extension, stack }) => {
  // Guards: accountsChanged is believed only from a trusted page (an allowed site or the page whose
  // wallet signed in). Planting `trusted = true` in the page API makes the forger below switch the
  // active account and plant the offer, and this test fail.
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  // Two sessions: the wallet's second account is signed in too, then the wallet goes back to the first.
  await demo.getByTestId('wallet-account').selectOption({ index: 1 });
  await popup.getByTestId('sign-in-switched').click();
  await expect(popup.getByTestId('account')).toHaveCount(2);
  await demo.getByTestId('wallet-account').selectOption({ index: 0 });
  const active = popup.locator('[data-testid="account"][data-active="true"]');
  await expect(active).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(popup.getByTestId('switch-offer')).toBeHidden();
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');

  // The forger reports an account change to the relay, as the wallet bridge would: first to the
  // other signed-in account (which would switch the active one), then to an unknown account (which
  // would plant the offer).
  const forger = await openPlainPage(extension, `${otherOrigin(stack.port)}/plain`);
  const refused = await forgeAccountsChanged(forger, [SECOND_DEV_ADDRESS, UNKNOWN_ADDRESS]);
  expect(refused).toEqual({ ok: false, error: { code: 4100, message: expect.any(String) } });

  // A refresh round trip to the API after that: by its end, anything the forged changes did has
  // reached the popup.
  stack.configure({ accessTtlSec: 7200 });
  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('token-expires')).not.toHaveAttribute('data-expires-at', expiresAt!);

  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(active).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(popup.getByTestId('account')).toHaveCount(2);
  await expect(popup.getByTestId('switch-offer')).toBeHidden();

  // The page whose wallet signed in is still believed: the same change from it does switch.
  await demo.getByTestId('wallet-account').selectOption({ index: 1 });
  await expect(active).toHaveAttribute('data-address', SECOND_DEV_ADDRESS);
});

test('a sandboxed page that posts to the relay directly is refused by the background', async ({ extension, stack }) => {
  // Guards: the background refuses a sender whose origin is opaque ("null"), even at an allowed
  // origin's URL. The page world refuses sandboxed pages too, so this page skips it and talks to the
  // relay itself; bypassing the background's check lets it read the token and sign the person out.
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');
  const sandboxed = await openPlainPage(extension, `${stack.url}/sandboxed-relay`, '<p>Sandboxed.</p>', {
    'Content-Security-Policy': 'sandbox allow-scripts',
  });
  expect(await sandboxed.evaluate(() => window.origin)).toBe('null');

  // The relay's replies go to the page's own origin, which an opaque document does not have, so the
  // page never reads them: what the background answered is read in the content script's world.
  const relayLog = await recordContentScriptMessages(extension, sandboxed);
  const methods = ['tako_getToken', 'tako_getSession', 'tako_signOut', 'tako_requestAccess'];
  await sandboxed.evaluate(
    ({ PAGE_CHANNEL, methods }) => {
      // In this order, so that sign-out comes after the reads.
      for (const method of methods) window.postMessage({ channel: PAGE_CHANNEL, kind: 'request', id: method, method }, '*');
    },
    { PAGE_CHANNEL, methods },
  );
  const answers = async () =>
    (await relayLog())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as [string, unknown])
      .filter(([direction]) => direction === 'reply')
      .map(([, reply]) => reply);
  await expect.poll(async () => (await answers()).length).toBe(methods.length);
  // The background does not answer an opaque sender at all (the relay then refuses with 4100).
  expect(await answers()).toEqual(methods.map(() => null));
  expect(await relayLog()).not.toMatch(JWT);
  expect((await relayLog()).toLowerCase()).not.toContain(ADDRESS_HEX);

  // Still signed in, same token, and the allowed page still gets it.
  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('token-expires')).toHaveAttribute('data-expires-at', expiresAt!);
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ result: { address: DEV_ADDRESS } });
});

test('a cross-origin iframe cannot get the top page’s token', async ({ extension, stack }) => {
  const { popup } = await signedInAndAllowed(extension, stack);
  const frameUrl = `${otherOrigin(stack.port)}/frame`;
  await extension.context.route(frameUrl, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><p>frame</p>' }));
  // The top page is on the allowed origin; the frame is not.
  const top = await openPlainPage(extension, `${stack.url}/with-frame`, `<iframe src="${frameUrl}"></iframe>`);
  await recordSessionEvents(top);
  await expect.poll(() => top.frames().length).toBe(2);
  const frame = top.frames().find((f) => f.url() === frameUrl)!;
  await frame.waitForLoadState();
  const approvalsOpened: string[] = [];
  extension.context.on('page', (page) => approvalsOpened.push(page.url()));

  const attempts = await frame.evaluate(
    async ({ PAGE_CHANNEL, CONTENT_CHANNEL }) => {
      const own = typeof (window as { takoSession?: unknown }).takoSession;
      let reachTop: string;
      try {
        reachTop = typeof (window.top as unknown as { takoSession?: unknown }).takoSession;
      } catch (error) {
        reachTop = (error as Error).name;
      }
      // Ask the top page's relay directly, as the page world would.
      for (const method of ['tako_getToken', 'tako_getSession', 'tako_requestAccess']) {
        window.top!.postMessage({ channel: PAGE_CHANNEL, kind: 'request', id: `frame-${method}`, method }, '*');
      }
      window.top!.postMessage({ channel: CONTENT_CHANNEL, kind: 'wallet-request', id: 'frame-w', request: { action: 'list-wallets' } }, '*');
      return { own, reachTop };
    },
    { PAGE_CHANNEL, CONTENT_CHANNEL },
  );
  // The page world runs in top frames only, and the top page's object is out of reach.
  expect(attempts).toEqual({ own: 'undefined', reachTop: 'SecurityError' });

  // The top page itself gets its token.
  const outcome = await callFrom(top, 'tako_getToken');
  const token = (outcome.result as { token: string }).token;
  expect(jwtPayload(token).type).toBe('token');

  // A refresh reaches the top page, not the frame.
  await popup.getByTestId('refresh-now').click();
  await expect.poll(async () => (await sessionEvents(top)).length).toBeGreaterThan(0);

  const topHeard = await windowMessages(top);
  // The relay ignored what came from the frame: no reply to any of its ids, no wallet request.
  expect(topHeard.filter((m) => !m.fromSelf).length).toBe(4);
  expect(topHeard.filter((m) => m.fromSelf && /"id":"frame-/.test(m.json))).toEqual([]);
  expect(topHeard.some((m) => m.json.includes(token))).toBe(true);
  const frameHeard = (await windowMessages(frame)).map((m) => m.json).join('\n');
  expect(frameHeard).not.toContain(token);
  expect(frameHeard).not.toMatch(JWT);
  expect(frameHeard.toLowerCase()).not.toContain(ADDRESS_HEX);
  expect(frameHeard).not.toContain(CONTENT_CHANNEL);
  expect(approvalsOpened.filter((url) => url.includes('/approval.html'))).toEqual([]);
});

interface FuzzOptions {
  seed: number;
  count: number;
  methods: string[];
  PAGE_CHANNEL: string;
  CONTENT_CHANNEL: string;
  /** Gives up waiting for replies after this long; whatever is missing is reported. */
  deadlineMs: number;
}

interface FuzzReport {
  posted: number;
  apiCalls: number;
  expectedReplies: number;
  missingReplies: string[];
  duplicateReplies: string[];
  /** Reply outcomes by code ('ok' for results). */
  outcomes: Record<string, number>;
  /** API calls that did not settle, or rejected with something other than an Error with a numeric code. */
  badApiCalls: string[];
  tokens: string[];
}

/** Runs in the page: posts `count` random and malformed messages and calls, and checks each answer. */
async function fuzzInPage(options: FuzzOptions): Promise<FuzzReport> {
  const { PAGE_CHANNEL, CONTENT_CHANNEL } = options;
  let state = options.seed >>> 0;
  // mulberry32: a seeded generator, so a failure can be replayed.
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T,>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => random() < p;

  const hostileKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'then', 'hasOwnProperty', 'ok', 'result', 'origin'];
  const text = (): string => {
    if (chance(0.004)) return 'x'.repeat(65_536 + int(1_000_000)); // huge
    return pick([
      '',
      ' ',
      'tako',
      '\u0000',
      '\ud800',
      '😀'.repeat(int(50)),
      '<img src=x onerror=alert(1)>',
      '../../etc/passwd',
      'a'.repeat(int(300)),
      ...hostileKeys,
      ...options.methods,
      String(random()),
    ]);
  };
  const value = (depth: number): unknown => {
    const kind = int(depth > 3 ? 9 : 14);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return undefined;
      case 2:
        return pick([true, false]);
      case 3:
        return pick([0, -0, 1, -1, 1e308, -1e308, NaN, Infinity, -Infinity, 2 ** 53 + 1, random()]);
      case 4:
      case 5:
        return text();
      case 6:
        return new Date(pick([0, Date.now(), 8.64e15]));
      case 7:
        return pick([/x/g, new Uint8Array(int(64)), new ArrayBuffer(int(64))]);
      case 8:
        return pick([10n, -1n]); // structured clone takes BigInt, extension messaging does not
      case 9:
      case 10:
        return Array.from({ length: int(6) }, () => value(depth + 1));
      case 11: {
        // "__proto__" and friends as own data keys, as JSON.parse makes them.
        const object: Record<string, unknown> = {};
        for (let i = int(5); i >= 0; i--) {
          Object.defineProperty(object, pick(hostileKeys), { value: value(depth + 1), enumerable: true, configurable: true, writable: true });
        }
        return object;
      }
      case 12:
        return new Map([[text(), value(depth + 1)]]);
      default: {
        let nested: unknown = text();
        for (let i = 0; i < 200; i++) nested = [nested];
        return nested;
      }
    }
  };
  const badId = (): unknown => pick(['', 'x'.repeat(65), 'y'.repeat(5000), 42, null, undefined, {}, [], true]);

  const expected = new Set<string>();
  const replies = new Map<string, number>();
  const outcomes: Record<string, number> = {};
  const tokens = new Set<string>();
  window.addEventListener('message', (event) => {
    const data = event.data as { channel?: unknown; kind?: unknown; id?: unknown; reply?: { ok?: unknown; result?: unknown; error?: { code?: unknown } } } | null;
    if (event.source !== window || data?.channel !== CONTENT_CHANNEL || data.kind !== 'reply' || typeof data.id !== 'string') return;
    if (!expected.has(data.id)) return;
    replies.set(data.id, (replies.get(data.id) ?? 0) + 1);
    const key = data.reply?.ok === true ? 'ok' : String(data.reply?.error?.code);
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    const token = (data.reply?.result as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string') tokens.add(token);
  });

  const post = (message: unknown): boolean => {
    try {
      window.postMessage(message, '*');
      return true;
    } catch {
      // Not cloneable: nothing was sent.
      return false;
    }
  };
  let nextId = 0;
  const request = (method: unknown, params: unknown) => {
    const id = `fz-${nextId++}`;
    const message = chance(0.5) ? { channel: PAGE_CHANNEL, kind: 'request', id, method, params } : { channel: PAGE_CHANNEL, kind: 'request', id, method };
    if (post(message)) expected.add(id);
  };
  const api = window.takoSession!.request as (args: unknown) => Promise<unknown>;
  const apiCalls: Array<Promise<string | null>> = [];
  const callApi = (args: unknown) => {
    const settled = new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(`never settled: ${String(JSON.stringify(args)).slice(0, 80)}`), options.deadlineMs);
      let call: Promise<unknown>;
      try {
        call = api(args);
      } catch (error) {
        call = Promise.reject(error);
      }
      call.then(
        () => {
          clearTimeout(timer);
          resolve(null);
        },
        (error: unknown) => {
          clearTimeout(timer);
          const ok = error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
          resolve(ok ? null : `bad rejection: ${String(error)}`);
        },
      );
    });
    apiCalls.push(settled);
  };

  let posted = 0;
  while (posted < options.count) {
    // Every thousand messages, a flood: a burst of valid requests in one task.
    if (posted % 1000 === 500) {
      for (let i = 0; i < 300; i++, posted++) request(pick(options.methods), undefined);
      continue;
    }
    const shape = int(11);
    posted += 1;
    switch (shape) {
      case 0:
      case 1:
      case 2:
        // A well-formed request, for a real, unknown or hostile method name, with any params.
        request(chance(0.6) ? pick(options.methods) : text(), chance(0.5) ? value(0) : undefined);
        break;
      case 3:
        // The right channel and kind, the wrong types.
        request(pick([42, null, {}, [], true, 'm'.repeat(129 + int(100_000))]), value(0));
        break;
      case 4:
        post({ channel: PAGE_CHANNEL, kind: 'request', id: badId(), method: pick(options.methods) });
        break;
      case 5:
        post({ channel: PAGE_CHANNEL, kind: pick(['wallet-reply', 'wallet-accounts', 'reply', 'event', text()]), id: value(1), reply: value(1), accounts: value(1) });
        break;
      case 6:
        post({ channel: CONTENT_CHANNEL, kind: pick(['reply', 'event', 'wallet-request']), id: value(1), reply: value(1), data: value(1), request: value(1) });
        break;
      case 7:
        post(value(0));
        break;
      case 8: {
        // A valid request carrying "__proto__" and "constructor" as own keys.
        const message = JSON.parse(`{"channel":"${PAGE_CHANNEL}","kind":"request","id":"fz-${nextId}","method":"tako_getToken","__proto__":{"kind":"wallet-reply"},"constructor":{"prototype":{"polluted":true}}}`) as unknown;
        if (post(message)) expected.add(`fz-${nextId}`);
        nextId += 1;
        break;
      }
      case 9:
        callApi(pick([undefined, null, 42, 'tako_getToken', [], {}, { method: 42 }, { method: 'x'.repeat(1000) }, { method: pick(options.methods), params: value(0) }, { method: text() }]));
        break;
      default:
        // A hostile key first, then anything on any channel.
        post({ [pick(hostileKeys)]: value(1), channel: pick([PAGE_CHANNEL, CONTENT_CHANNEL, text()]), kind: text(), id: `fz-x`, method: value(1) });
    }
    // Let the page breathe now and then, as a real page would between bursts.
    if (posted % 250 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }

  const deadline = Date.now() + options.deadlineMs;
  while (Date.now() < deadline && [...expected].some((id) => !replies.has(id))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const badApiCalls = (await Promise.all(apiCalls)).filter((problem): problem is string => problem !== null);
  return {
    posted,
    apiCalls: apiCalls.length,
    expectedReplies: expected.size,
    missingReplies: [...expected].filter((id) => !replies.has(id)).slice(0, 20),
    duplicateReplies: [...replies].filter(([, n]) => n > 1).map(([id]) => id).slice(0, 20),
    outcomes,
    badApiCalls: badApiCalls.slice(0, 20),
    tokens: [...tokens],
  };
}

test('5,500 random and malformed messages leave the extension serving allowed origins, with no error in the worker', async ({
  extension,
  stack,
}) => {
  test.setTimeout(180_000);
  const watch = await watchServiceWorker(extension);
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');
  const stranger = await openPlainPage(extension, `${otherOrigin(stack.port)}/plain`);
  const approvalsOpened: string[] = [];
  extension.context.on('page', (page) => approvalsOpened.push(page.url()));

  // The watch sees what it should: a probe exception and a probe log line.
  const worker = await extension.worker();
  await worker.evaluate(() => {
    console.log('watch probe');
    setTimeout(() => {
      throw new Error('watch probe');
    });
  });
  await expect.poll(() => watch.exceptions.some((e) => e.includes('watch probe'))).toBe(true);
  expect(watch.console.some((line) => line.text === 'watch probe')).toBe(true);
  watch.exceptions.length = 0;

  const common = { PAGE_CHANNEL, CONTENT_CHANNEL, deadlineMs: 60_000 };
  // Methods that answer without asking the person. metahuman_getToken asks an allowed site's
  // person (a window); from the stranger it is one more refusal.
  const readOnly = ['tako_getToken', 'tako_getSession', 'tako_nope', '__proto__', 'constructor', 'toString'];
  const [allowedReport, strangerReport] = await Promise.all([
    demo.evaluate(fuzzInPage, { ...common, seed: 0x7a4b0, count: 4000, methods: [...readOnly, 'tako_requestAccess'] }),
    stranger.evaluate(fuzzInPage, { ...common, seed: 0x5e55, count: 1500, methods: [...readOnly, 'metahuman_getToken'] }),
  ]);
  test.info().annotations.push({ type: 'fuzz', description: JSON.stringify({ allowedReport: { ...allowedReport, tokens: allowedReport.tokens.length }, strangerReport }) });

  expect(allowedReport.posted + strangerReport.posted).toBeGreaterThanOrEqual(5000);
  for (const report of [allowedReport, strangerReport]) {
    expect(report.expectedReplies).toBeGreaterThan(500);
    expect(report.missingReplies).toEqual([]);
    expect(report.duplicateReplies).toEqual([]);
    expect(report.badApiCalls).toEqual([]);
  }
  // The allowed page got real answers and the documented errors; the stranger got refusals only.
  expect(Object.keys(allowedReport.outcomes).sort()).toEqual(expect.arrayContaining(['ok', '4200', '-32602']));
  for (const code of Object.keys(allowedReport.outcomes)) expect(['ok', '4200', '4900', '-32602']).toContain(code);
  for (const code of Object.keys(strangerReport.outcomes)) expect(['4100', '-32602']).toContain(code);
  expect(strangerReport.outcomes['4100']).toBeGreaterThan(0);
  expect(strangerReport.tokens).toEqual([]);
  // Every token handed out in the storm was the one live token.
  expect(allowedReport.tokens.length).toBe(1);
  expect(jwtPayload(allowedReport.tokens[0]!).address.toLowerCase()).toBe(DEV_ADDRESS.toLowerCase());

  // A flood of consent requests from the stranger opens one window; closing it answers them all.
  const approvalOpened = nextApprovalWindow(extension);
  const asked = stranger.evaluate(async () => {
    const calls = Array.from({ length: 200 }, () => window.takoSession!.request({ method: 'tako_requestAccess' }).then(() => 0, (e: { code: number }) => e.code));
    return Promise.all(calls);
  });
  await (await approvalOpened).close();
  expect(new Set(await asked)).toEqual(new Set([4001]));
  expect(approvalsOpened.filter((url) => url.includes('/approval.html'))).toHaveLength(1);

  // Still serving: the allowed page gets a working token, the stranger still nothing.
  const { result } = await callFrom(demo, 'tako_getToken');
  const token = (result as { token: string }).token;
  expect(token).toBe(allowedReport.tokens[0]);
  const status = await demo.evaluate(
    async (bearer) => (await fetch('/v2/farcaster/ignore_bid', { method: 'POST', headers: { Authorization: `Bearer ${bearer}` } })).status,
    token,
  );
  expect(status).toBe(200);
  expect(await callFrom(demo, 'tako_getSession')).toMatchObject({ result: { address: DEV_ADDRESS, state: 'signed-in' } });
  expect(await callFrom(stranger, 'tako_getSession')).toMatchObject({ isError: true, code: 4100 });
  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('token-expires')).toHaveAttribute('data-expires-at', expiresAt!);
  expect(await origins(popup)).toEqual([stack.url]);
  expect(stack.requests('/v2/token')).toHaveLength(1);

  // And the worker never threw, never logged an error, and was watched the whole time.
  expect(watch.detached).toBe(false);
  expect(watch.exceptions).toEqual([]);
  expect(watch.console.filter((line) => line.type === 'error')).toEqual([]);
  await watch.stop();
});

test('the refresh token appears in no page, no content-script message, no log and not in the popup', async ({ extension, stack }) => {
  // Every refresh token the stack issues, read off the wire as the service worker received it.
  const issued = new Set<string>();
  const reading: Promise<void>[] = [];
  extension.context.on('response', (response) => {
    if (!/\/v2\/(token|refresh_token)$/.test(new URL(response.url()).pathname)) return;
    reading.push(
      response.json().then(
        (body: { data?: { refresh_token?: unknown } }) => {
          if (typeof body.data?.refresh_token === 'string') issued.add(body.data.refresh_token);
        },
        () => undefined,
      ),
    );
  });
  await extension.context.addInitScript(recordWindowMessages);
  const watch = await watchServiceWorker(extension);
  const workerConsole: string[] = [];
  extension.context.on('console', (message) => {
    if (message.worker()) workerConsole.push(message.text());
  });

  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const demoRuntime = await recordContentScriptMessages(extension, demo);

  // A full tour: sign in from the popup, allow, tokens, the demo's API call, a refresh, a sign-in
  // from the page, and a stranger knocking.
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  const stranger = await openUrl(extension, `${otherOrigin(stack.port)}/?wallet=none`);
  const strangerRuntime = await recordContentScriptMessages(extension, stranger);
  expect(await approveAccess(extension, demo)).toMatchObject({ result: { address: DEV_ADDRESS } });
  await recordSessionEvents(demo);
  const firstToken = ((await callFrom(demo, 'tako_getToken')).result as { token: string }).token;
  await callFrom(demo, 'tako_getSession');
  await demo.getByTestId('demo-get-token').click();
  await demo.getByTestId('demo-call-api').click();
  await expect(demo.getByTestId('demo-result')).toHaveAttribute('data-status', '200');
  await popup.getByTestId('refresh-now').click();
  await expect.poll(() => stack.requests('/v2/refresh_token').length).toBe(1);
  expect(await confirmedFrom(extension, demo, 'tako_signIn')).toMatchObject({ result: { address: DEV_ADDRESS } });
  await callFrom(demo, 'tako_getToken');
  await callFrom(stranger, 'tako_getToken');
  await callFrom(stranger, 'tako_getSession');
  await expect.poll(async () => (await sessionEvents(demo)).length).toBeGreaterThan(1);
  const options = await extension.openPage('options.html');
  await expect(options.getByTestId('endpoint')).toHaveValue('custom');
  await popup.reload();
  await expectSignedIn(popup);

  // Every token pair the stack issued was seen (sign-ins and refreshes alike).
  await Promise.all(reading);
  const grants = [...stack.requests('/v2/token'), ...stack.requests('/v2/refresh_token')].filter((r) => r.status === 200);
  expect(grants).toHaveLength(3);
  expect(issued.size).toBe(3);
  for (const token of issued) expect(jwtPayload(token).type).toBe('refresh_token');

  // Everything the test can reach, by where it came from.
  const places: Array<[string, string]> = [];
  for (const page of extension.context.pages()) {
    for (const frame of page.frames()) {
      const label = frame.url();
      if (!/^(https?|chrome-extension):/.test(label)) continue;
      places.push([`DOM of ${label}`, await frame.content()]);
      places.push([
        `JS state of ${label}`,
        await frame.evaluate(() => {
          const state: Record<string, unknown> = {
            localStorage: { ...localStorage },
            sessionStorage: { ...sessionStorage },
            cookie: document.cookie,
            name: window.name,
          };
          for (const key of Object.keys(window)) {
            try {
              state[key] = JSON.parse(JSON.stringify((window as unknown as Record<string, unknown>)[key]) ?? 'null');
            } catch {
              // Not data (cyclic, a DOM object): nothing a token could sit in as text.
            }
          }
          return JSON.stringify(state);
        }),
      ]);
      const messages = await frame
        .evaluate(() => (window as unknown as { __windowMessages?: Array<{ json: string }> }).__windowMessages?.map((m) => m.json) ?? [])
        .catch(() => []);
      places.push([`window messages of ${label}`, messages.join('\n')]);
    }
  }
  places.push(['content script runtime messages (demo)', await demoRuntime()]);
  places.push(['content script runtime messages (stranger)', await strangerRuntime()]);
  const consoleText = [...watch.console.map((line) => line.text), ...workerConsole].join('\n');
  places.push(['service worker console', consoleText]);

  // The recorders did see token traffic, so their silence about the refresh token means something.
  const byName = Object.fromEntries(places.map(([name, text]) => [name, text]));
  expect(byName[`window messages of ${demo.url()}`]).toContain(firstToken);
  expect(byName['content script runtime messages (demo)']).toContain(firstToken);
  expect(byName['content script runtime messages (demo)']).toContain('"event":"sessionChanged"');
  expect(byName['content script runtime messages (stranger)']).toContain('"code":4100');
  expect(places.length).toBeGreaterThan(10);

  for (const [name, text] of places) {
    for (const refreshToken of issued) expect(text.includes(refreshToken), `refresh token in ${name}`).toBe(false);
    // Nor any other refresh token, should one have come from elsewhere.
    for (const jwt of text.match(JWT) ?? []) expect(jwtPayload(jwt).type, `a refresh token in ${name}`).not.toBe('refresh_token');
  }
  // No token of any kind is logged, and the popup shows none.
  expect(consoleText).not.toMatch(JWT);
  expect(await popup.content()).not.toMatch(JWT);
  expect(watch.detached).toBe(false);
  await watch.stop();
});
