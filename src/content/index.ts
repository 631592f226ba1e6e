/**
 * Content script (isolated world, top frame): a relay between the page world and the background.
 *
 * It never acts on a payload itself, so it routes on a few structural checks and leaves the
 * schemas to where messages are consumed: the background validates everything a page sends
 * (requests, wallet replies, account changes), the page world validates everything the
 * background sends. That, and the native `chrome` API instead of the polyfill (MV3 runtime calls
 * already return promises), keeps this script small: it runs in every page.
 *
 * It also waits to be needed. At document_start it only listens on the window: the extension API
 * (`chrome.runtime`, which the browser builds in a page the first time it is touched) and every
 * other DOM object wait until the page world first speaks on our channel (a request, or `on` for
 * events), or until the background, to reach the tab, injects the relay and wires it
 * (RELAY_GLOBAL in core/channels.ts).
 */
import { CONTENT_CHANNEL, DOCUMENT_CHANGED, PAGE_CHANNEL, RELAY_GLOBAL, SIGN_IN_PIN, WALLET_TIMEOUT_MS } from '../core/channels.ts';
import type { Reply } from '../core/protocol.ts';
import type { TakoSessionErrorCode } from '../core/tako-session-api.ts';

/**
 * After an extension update, a tab keeps the old relay (its runtime gone) until the new one is
 * injected on demand. Both would answer the page, the old one with 4900: the new relay announces
 * itself on the shared DOM when it is wired and the old one stands down.
 */
const RELAY_STARTED = 'tako-session:relay-started';
/**
 * A wallet request's waiter is dropped this long after it was relayed: later than the background
 * gives up, so that the background's own timeout message is the one the person reads.
 */
const WALLET_WAITER_TTL_MS = WALLET_TIMEOUT_MS + 2 * 60_000;

/**
 * The contract's error codes, written as numbers so that its object does not ship in every page;
 * `satisfies` ties each one to the contract.
 */
type Code = typeof TakoSessionErrorCode;
const errorReply = (code: Code[keyof Code], message: string): Reply => ({ ok: false, error: { code, message } });
const NAME = 'Tako Session';
const disconnected = errorReply(4900 satisfies Code['NoSession'], `${NAME} was updated or disabled: reload the page`);
// The background answers only top-level http(s) pages; any other sender gets no reply at all.
const refused = errorReply(4100 satisfies Code['Unauthorized'], `${NAME} does not serve this page`);
const unreadable = errorReply(-32603 satisfies Code['Internal'], `${NAME} sent an unreadable reply`);
const malformed = errorReply(-32602 satisfies Code['InvalidParams'], 'Malformed request');

/**
 * Requests that wait for the person in the approval window. The worker can be stopped while they
 * wait; the new one keeps the request (or the answer, once given), so asking again, with the
 * extension still there, resumes the same request rather than opening another window.
 */
const RESUMABLE = new Set<unknown>(['tako_requestAccess', 'metahuman_getToken']);
const MAX_RESUMES = 5;

const isId = (id: unknown): id is string => typeof id === 'string' && id.length > 0 && id.length <= 64;
const isReply = (value: unknown): value is Reply => typeof (value as { ok?: unknown } | null)?.ok === 'boolean';

/*
 * The relay's parts are declared at the top and run only when needed: at document_start the
 * browser compiles no more than the two lines at the end (the functions are only pre-parsed).
 */
const win = window;
const walletWaiters = new Map<string, (reply: unknown) => void>();
/**
 * Wallet request ids need only be unique in this document: the request and its id are posted on
 * the page's window, which anything on the page reads, so an id hides nothing, and the background
 * checks every wallet answer (the signature is recovered) whoever sent it.
 */
let walletRequests = 0;
const post = (message: unknown) => win.postMessage(message, location.origin);
/**
 * This world's globals: the relay's own entry (RELAY_GLOBAL) and the sign-in pin the background
 * gave this document, if any (SIGN_IN_PIN); the page's scripts cannot see them.
 */
const globals = globalThis as unknown as Record<string, unknown>;

/** To the background; a throw means unsendable params, or an extension that was reloaded. */
function send(message: unknown): Promise<unknown> {
  try {
    return chrome.runtime.sendMessage(message).catch(() => disconnected);
  } catch {
    return Promise.resolve(chrome.runtime?.id ? malformed : disconnected);
  }
}

function onBackgroundMessage(raw: unknown, sender: chrome.runtime.MessageSender, sendResponse: (reply: unknown) => void) {
  if (sender.id !== chrome.runtime.id || sender.tab) return false;
  const message = raw as { type?: unknown; origin?: unknown; session?: unknown; access?: unknown; request?: unknown; pin?: unknown } | null;
  const type = message?.type;
  if (type === 'session-changed' || type === 'access-changed') {
    // The tab may have navigated to another site since the background picked it.
    const session = type === 'session-changed';
    if (message!.origin === location.origin) {
      post({ channel: CONTENT_CHANNEL, kind: 'event', event: session ? 'sessionChanged' : 'accessChanged', data: message![session ? 'session' : 'access'] });
    }
  } else if (type === 'wallet-request') {
    // Meant for the document pinned for a sign-in, which this one is not.
    if (message!.pin !== globals[SIGN_IN_PIN]) {
      sendResponse(errorReply(-32603 satisfies Code['Internal'], DOCUMENT_CHANGED));
      return false;
    }
    const id = `w${++walletRequests}`;
    const timer = setTimeout(() => {
      walletWaiters.delete(id);
      sendResponse(errorReply(-32603 satisfies Code['Internal'], 'The wallet did not answer'));
    }, WALLET_WAITER_TTL_MS);
    walletWaiters.set(id, (answer) => {
      clearTimeout(timer);
      sendResponse(answer);
    });
    post({ channel: CONTENT_CHANNEL, kind: 'wallet-request', id, request: message!.request });
    return true; // answered asynchronously
  }
  return false;
}

function onPageMessage(event: MessageEvent) {
  // Only this window's own messages, on our channel; frames and other windows are ignored.
  if (event.source !== win) return;
  const data = event.data as { channel?: unknown; kind?: unknown; id?: unknown; [key: string]: unknown } | null;
  if (data?.channel !== PAGE_CHANNEL) return;
  wire();
  if (data.kind === 'wallet-reply' && isId(data.id)) {
    walletWaiters.get(data.id)?.(data.reply);
    walletWaiters.delete(data.id);
  } else if (data.kind === 'wallet-accounts') {
    void send({ type: 'wallet-accounts', accounts: data.accounts, pin: globals[SIGN_IN_PIN] });
  } else if (data.kind === 'request' && isId(data.id)) {
    const { id, method, params } = data;
    const ask = (resumes: number): Promise<unknown> =>
      send({ type: 'page-request', method, params }).then((answer) =>
        answer === disconnected && chrome.runtime?.id && RESUMABLE.has(method) && resumes < MAX_RESUMES ? ask(resumes + 1) : answer,
      );
    void ask(0)
      .then((answer) => (answer === undefined ? refused : isReply(answer) ? answer : unreadable))
      .then((answer) => post({ channel: CONTENT_CHANNEL, kind: 'reply', id, reply: answer }));
  }
}

/** Connects the relay to the background, once. */
let wired = false;
function wire() {
  if (wired) return;
  wired = true;
  chrome.runtime.onMessage.addListener(onBackgroundMessage);
  win.dispatchEvent(new Event(RELAY_STARTED));
  win.addEventListener(RELAY_STARTED, () => win.removeEventListener('message', onPageMessage));
}

// Declared, it runs at document_start; injected on demand (tabs opened before an install or an
// update), the background runs it and then calls its wire. Never installed twice in a world.
if (!globals[RELAY_GLOBAL]) {
  globals[RELAY_GLOBAL] = wire;
  win.addEventListener('message', onPageMessage);
}
