/**
 * The relays of the extension's isolated world in Node: src/content/ (every page) and
 * src/wallet-relay/ (injected into the page picked for sign-in), each bundled as the build bundles
 * it (one script), run in a fresh context per test that stands for one document's isolated world,
 * with the page's window, the extension's runtime and the timers faked around it. The relays
 * themselves are the code that ships. Each test names the guarantee it guards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import {
  CONTENT_CHANNEL,
  DOCUMENT_CHANGED,
  MAX_PAGE_MESSAGE_BYTES,
  PAGE_CHANNEL,
  RELAY_GLOBAL,
  SIGN_IN_PIN,
  WALLET_RELAY_SCRIPT,
} from '../../src/core/contract/channels.ts';
import {
  type BackgroundToContent,
  type BridgeToContent,
  ContentToBridgeSchema,
  type ContentToPage,
  type PageToContent,
  parseMessage,
} from '../../src/core/contract/protocol.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';

const APP = 'https://app.example';
const OTHER = 'https://other.example';
const EXTENSION_ID = 'tako-session-test-id';
const ADDRESS = DEV_ADDRESS;

/** An isolated-world script from its folder of src/, bundled into one script as build.mjs does. */
async function bundled(folder: string, filename: string): Promise<vm.Script> {
  const { outputFiles } = await build({
    entryPoints: [fileURLToPath(new URL(`../../src/${folder}/index.ts`, import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent',
  });
  return new vm.Script(outputFiles[0]!.text, { filename });
}
/** content.js, which the manifest names for every page. */
const RELAY = await bundled('content', 'content.js');
/** The wallet relay, which the background injects beside the wallet bridge (WALLET_RELAY_SCRIPT). */
const WALLET_RELAY = await bundled('wallet-relay', WALLET_RELAY_SCRIPT);

/** What the relay posted on the page's window, as the page world receives it (a structured clone). */
interface Posted {
  data: { channel: string; kind: string; [key: string]: unknown };
  targetOrigin: string;
}

/** A runtime message delivered to the relay, and what it answered. */
interface Delivery {
  /** The answer given before the listener returned, if any. */
  answeredAtOnce: unknown;
  /** Whether the relay kept the channel open to answer later. */
  answersLater: boolean;
  /** The answer, whenever it is given. */
  answer: Promise<unknown>;
}

type RuntimeListener = (message: unknown, sender: { id?: string; tab?: object }, sendResponse: (reply: unknown) => void) => unknown;

/** One top-level document at `origin`, with the relay declared in it (document_start). */
function documentAt(origin: string) {
  const toPage: Posted[] = [];
  class PageWindow extends EventTarget {
    postMessage(data: unknown, targetOrigin: string): void {
      toPage.push({ data: structuredClone(data) as Posted['data'], targetOrigin });
    }
  }
  const win = new PageWindow();
  const listeners: RuntimeListener[] = [];
  const toBackground: unknown[] = [];
  const chrome = {
    runtime: {
      id: EXTENSION_ID,
      onMessage: { addListener: (listener: RuntimeListener) => void listeners.push(listener) },
      // The background's answers are not what these tests are about: it answers nothing.
      sendMessage: async (message: unknown) => void toBackground.push(structuredClone(message)),
    },
  };
  /** Timers never fire by themselves here: no real time passes in these tests. */
  let timers = 0;
  const world = vm.createContext({
    window: win,
    location: { origin },
    chrome,
    Event,
    Blob,
    setTimeout: () => ++timers,
    clearTimeout: () => undefined,
  });
  RELAY.runInContext(world);

  return {
    toPage,
    toBackground,
    /** The page world (page.js, or the wallet bridge) posts on the window; the relay hears only the page's own window. */
    fromPage(data: PageToContent | BridgeToContent): void {
      win.dispatchEvent(Object.assign(new Event('message'), { source: win, data }));
    },
    /** The background connects the relay now, as its ensureRelay does to reach the tab. */
    wire(): void {
      (world[RELAY_GLOBAL] as () => void)();
    },
    /** The background marks this document for a sign-in (pinDocument). */
    pin(value: string): void {
      world[SIGN_IN_PIN] = value;
    },
    /** The background injects the wallet relay into this document, as it does for a sign-in (injectWalletBridge). */
    injectWalletRelay(): void {
      WALLET_RELAY.runInContext(world);
    },
    /** A runtime message from the background (tabs.sendMessage) to this document. */
    fromBackground(message: BackgroundToContent): Delivery {
      let answeredAtOnce: unknown;
      let resolve!: (reply: unknown) => void;
      const answer = new Promise<unknown>((settle) => (resolve = settle));
      let returned = false;
      const sendResponse = (reply: unknown) => {
        const copy = structuredClone(reply);
        if (!returned) answeredAtOnce = copy;
        resolve(copy);
      };
      let answersLater = false;
      for (const listener of listeners)
        answersLater = listener(structuredClone(message), { id: EXTENSION_ID }, sendResponse) === true || answersLater;
      returned = true;
      return { answeredAtOnce, answersLater, answer };
    },
  };
}

const documentChanged = { ok: false, error: { code: TakoSessionErrorCode.Internal, message: DOCUMENT_CHANGED } };

describe('wallet relay: wallet steps', () => {
  const step = (pin: string): BackgroundToContent => ({ type: 'wallet-request', pin, request: { action: 'request-accounts' } });

  // Guards the split: every page carries the relay, and none of it deals with wallets. A page not
  // picked for sign-in answers no wallet step and shows its page none, and its page world cannot
  // report account switches through it, even with a pin in its world.
  test('the relay every page carries takes no wallet step and passes on no account switch', async () => {
    const page = documentAt(APP);
    page.wire();
    page.pin('pin');
    const delivered = page.fromBackground(step('pin'));
    assert.equal(delivered.answeredAtOnce, undefined);
    assert.equal(delivered.answersLater, false);
    page.fromPage({ channel: PAGE_CHANNEL, kind: 'wallet-accounts', accounts: [ADDRESS] });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(page.toPage, [], 'the page was shown no wallet step');
    assert.deepEqual(page.toBackground, [], 'no account switch reached the background');
  });

  // Guards: a wallet step reaches the page only in the document pinned for that sign-in. In
  // Firefox there is no documentId to address the pinned document, so a step sent after the tab
  // navigated arrives in its next document: that one holds no pin (or another sign-in's) and must
  // refuse it, saying so, without showing it to its page.
  test('a step for another document is refused with DOCUMENT_CHANGED and never reaches the page', () => {
    const next = documentAt(APP);
    next.wire();
    next.injectWalletRelay();
    const unpinned = next.fromBackground(step('pin-of-the-document-before'));
    assert.deepEqual(unpinned.answeredAtOnce, documentChanged);
    assert.equal(unpinned.answersLater, false);

    next.pin('pin-of-another-sign-in');
    assert.deepEqual(next.fromBackground(step('pin-of-the-document-before')).answeredAtOnce, documentChanged);
    assert.deepEqual(next.toPage, [], 'the page was shown no wallet step');
  });

  // Guards: the pinned document's own steps go to its page and its wallet's answer goes back.
  test('a step for this document goes to its page, and the page’s answer is the reply', async () => {
    const pinned = documentAt(APP);
    pinned.wire();
    pinned.pin('pin-of-this-sign-in');
    pinned.injectWalletRelay();
    const delivered = pinned.fromBackground(step('pin-of-this-sign-in'));
    assert.equal(delivered.answersLater, true);
    const [posted] = pinned.toPage;
    assert.equal(posted?.targetOrigin, APP);
    const shown = parseMessage(ContentToBridgeSchema, posted?.data);
    assert.deepEqual(shown?.request, { action: 'request-accounts' });
    pinned.fromPage({ channel: PAGE_CHANNEL, kind: 'wallet-reply', id: shown!.id, reply: { ok: true, result: [ADDRESS] } });
    assert.deepEqual(await delivered.answer, { ok: true, result: [ADDRESS] });
  });
});

describe('relay: page events', () => {
  // Guards: an event reaches the page only at the origin the background addressed it to. The tab
  // the background picked may have gone to another site since; that site must not be told of the
  // session or the access of the one before. The event for this origin shows the relay listens.
  test('only an event addressed to this origin is passed to the page, as the page world receives it', () => {
    const page = documentAt(APP);
    page.fromPage({ channel: PAGE_CHANNEL, kind: 'listen' });
    page.fromBackground({ type: 'page-event', origin: OTHER, event: 'accessChanged', data: { allowed: true } });
    page.fromBackground({
      type: 'page-event',
      origin: OTHER,
      event: 'sessionChanged',
      data: { address: ADDRESS, state: 'signed-in', expiresAt: 2_000_000_000_000, endpoint: 'https://api.tako.so' },
    });
    page.fromBackground({ type: 'page-event', origin: APP, event: 'accessChanged', data: { allowed: false } });
    const expected: ContentToPage = { channel: CONTENT_CHANNEL, kind: 'event', event: 'accessChanged', data: { allowed: false } };
    assert.deepEqual(page.toPage, [{ data: expected, targetOrigin: APP }]);
  });
});

describe('relay: what a page sends', () => {
  const request = (id: string, params: unknown): PageToContent => ({
    channel: PAGE_CHANNEL,
    kind: 'request',
    id,
    method: 'tako_getToken',
    params,
  });

  // Guards the size limit: a page message over MAX_PAGE_MESSAGE_BYTES (as JSON, UTF-8) is
  // answered -32602 by the relay and never sent to the background, so a page flooding large
  // messages costs only itself. Counted in bytes: 30,000 three-byte characters are 90 KB.
  test('a request over 64 KB is refused -32602 in the relay; one just under goes on', async () => {
    const page = documentAt(APP);
    /** The request `id` with params that make it exactly `bytes` long as JSON. */
    const sized = (id: string, bytes: number) => request(id, 'x'.repeat(bytes - JSON.stringify(request(id, '')).length));
    page.fromPage(sized('big', MAX_PAGE_MESSAGE_BYTES + 1));
    page.fromPage(request('wide', '€'.repeat(30_000)));
    page.fromPage(sized('fits', MAX_PAGE_MESSAGE_BYTES));
    await new Promise((resolve) => setImmediate(resolve));
    const replies = page.toPage
      .filter((posted) => posted.data.kind === 'reply')
      .map((posted) => [posted.data.id, (posted.data.reply as { error?: { code: number } }).error?.code]);
    assert.deepEqual(replies.slice(0, 2), [
      ['big', TakoSessionErrorCode.InvalidParams],
      ['wide', TakoSessionErrorCode.InvalidParams],
    ]);
    assert.deepEqual(
      page.toBackground.map((message) => (message as { type: string }).type),
      ['page-request'],
      'only the request that fits reached the background',
    );
  });

  // Guards: what the runtime could not send (a BigInt) is refused in the relay with -32602 and a
  // reply, rather than left unanswered.
  test('a request the runtime cannot send is refused -32602, with a reply', async () => {
    const page = documentAt(APP);
    page.fromPage(request('bigint', { n: 1n }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      page.toPage.map((posted) => [posted.data.id, (posted.data.reply as { error?: { code: number } }).error?.code]),
      [['bigint', TakoSessionErrorCode.InvalidParams]],
    );
    assert.deepEqual(page.toBackground, []);
  });

  // Guards: an oversized wallet answer ends the wallet step with an error, rather than reaching
  // the background or leaving the sign-in waiting; an oversized account switch goes nowhere.
  test('a wallet answer over 64 KB ends its step with -32602; an account switch over 64 KB is not sent', async () => {
    const page = documentAt(APP);
    page.wire();
    page.pin('pin');
    page.injectWalletRelay();
    page.fromPage({ channel: PAGE_CHANNEL, kind: 'wallet-accounts', accounts: ['0x'.padEnd(MAX_PAGE_MESSAGE_BYTES, 'a')] });
    page.fromPage({ channel: PAGE_CHANNEL, kind: 'wallet-accounts', accounts: [ADDRESS] });
    const delivered = page.fromBackground({ type: 'wallet-request', pin: 'pin', request: { action: 'request-accounts' } });
    const shown = parseMessage(ContentToBridgeSchema, page.toPage[0]?.data);
    page.fromPage({
      channel: PAGE_CHANNEL,
      kind: 'wallet-reply',
      id: shown!.id,
      reply: { ok: true, result: ['x'.repeat(MAX_PAGE_MESSAGE_BYTES)] },
    });
    assert.equal(((await delivered.answer) as { error?: { code: number } }).error?.code, TakoSessionErrorCode.InvalidParams);
    assert.deepEqual(page.toBackground, [{ type: 'wallet-accounts', accounts: [ADDRESS], pin: 'pin' }], 'only the switch that fits');
  });
});
