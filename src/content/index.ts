/**
 * Content script (isolated world, top frame): a relay between the page world and the background.
 *
 * It never acts on a payload itself, so it routes on a few structural checks and leaves the
 * schemas to where messages are consumed: the background validates everything a page sends
 * (requests, wallet replies, account changes), the page world validates everything the
 * background sends. That, and the native `chrome` API instead of the polyfill (MV3 runtime calls
 * already return promises), keeps this script small: it runs in every page.
 *
 * It also waits to be needed. At document_start it only listens on the window: the relay itself
 * (createRelay), the extension API (`chrome.runtime`, which the browser builds in a page the first
 * time it is touched) and every other DOM object wait until the page world first speaks on our
 * channel (a request, or `on` for events), or until the background, to reach the tab, injects the
 * relay and wires it (RELAY_GLOBAL in core/contract/channels.ts).
 */
import {
  CONTENT_CHANNEL,
  DOCUMENT_CHANGED,
  MAX_PAGE_MESSAGE_BYTES,
  PAGE_CHANNEL,
  RELAY_GLOBAL,
  SIGN_IN_PIN,
  WALLET_TIMEOUT_MS,
} from '../core/contract/channels.ts';
import type { Reply } from '../core/contract/protocol.ts';
import type { TakoSessionErrorCode } from '../core/contract/tako-session-api.ts';

/**
 * The contract's error codes, written as numbers so that its object does not ship in every page;
 * `satisfies` ties each one to the contract.
 */
type Code = typeof TakoSessionErrorCode;
/** What the page world posts on our channel; the relay looks at no more than these keys. */
type PageMessage = { channel: typeof PAGE_CHANNEL; kind?: unknown; id?: unknown; [key: string]: unknown };

/**
 * This world's globals: the relay's own entry (RELAY_GLOBAL) and the sign-in pin the background
 * gave this document, if any (SIGN_IN_PIN); the page's scripts cannot see them.
 */
const globals = globalThis as unknown as Record<string, unknown>;
const win = window;

/**
 * The relay, built when it is first needed. At document_start the browser runs only the few lines
 * at the end of this file: what is in here is merely pre-parsed, and none of it is built or
 * called. Measured on a plain page, building the four error replies up front cost every page about
 * 0.05 ms; declaring the rest at the top level, a few hundredths of a millisecond more.
 */
function createRelay() {
  /**
   * After an extension update, a tab keeps the old relay (its runtime gone) until the new one is
   * injected on demand. Both would answer the page, the old one with 4900: the new relay
   * announces itself on the shared DOM when it is wired and the old one stands down.
   */
  const RELAY_STARTED = 'tako-session:relay-started';
  /**
   * A wallet request's waiter is dropped this long after it was relayed: later than the
   * background gives up, so that the background's own timeout message is the one the person reads.
   */
  const WALLET_WAITER_TTL_MS = WALLET_TIMEOUT_MS + 2 * 60_000;
  const NAME = 'Tako Session';
  /** What `send` gives when the background cannot be reached: the extension was updated, reloaded or disabled. */
  const UNREACHABLE = Symbol();
  /**
   * Requests that wait for the person in the approval window. The worker can be stopped while
   * they wait; the new one keeps the request (or the answer, once given), so asking again, with
   * the extension still there, resumes the same request rather than opening another window.
   */
  const isResumable = (method: unknown) => method === 'tako_requestAccess' || method === 'metahuman_getToken';
  const MAX_RESUMES = 5;

  const errorReply = (code: Code[keyof Code], message: string): Reply => ({ ok: false, error: { code, message } });
  const isId = (id: unknown): id is string => typeof id === 'string' && id.length > 0 && id.length <= 64;
  const isReply = (value: unknown): value is Reply => typeof (value as { ok?: unknown } | null)?.ok === 'boolean';
  /** To the page world, on our channel. */
  const toPage = (kind: string, fields: object) => win.postMessage({ channel: CONTENT_CHANNEL, kind, ...fields }, location.origin);

  /** The background's answer to a page's request, as the page is sent it. */
  function toPageReply(answer: unknown): Reply {
    if (answer === UNREACHABLE) return errorReply(4900 satisfies Code['NoSession'], `${NAME} was updated or disabled: reload the page`);
    // The background answers only top-level http(s) pages; any other sender gets no reply at all.
    if (answer === undefined) return errorReply(4100 satisfies Code['Unauthorized'], `${NAME} does not serve this page`);
    return isReply(answer) ? answer : errorReply(-32603 satisfies Code['Internal'], `${NAME} sent an unreadable reply`);
  }

  /**
   * To the background; a throw or a rejection means an extension that was reloaded (what the
   * runtime cannot send was refused before, in onPageMessage).
   */
  async function send(message: unknown): Promise<unknown> {
    try {
      return await chrome.runtime.sendMessage(message);
    } catch {
      return UNREACHABLE;
    }
  }

  const walletWaiters = new Map<string, (reply: unknown) => void>();
  /**
   * Wallet request ids need only be unique in this document: the request and its id are posted
   * on the page's window, which anything on the page reads, so an id hides nothing, and the
   * background checks every wallet answer (the signature is recovered) whoever sent it.
   */
  let walletRequests = 0;

  function onBackgroundMessage(raw: unknown, sender: chrome.runtime.MessageSender, sendResponse: (reply: unknown) => void) {
    if (sender.id !== chrome.runtime.id || sender.tab) return false;
    const message = raw as { type?: unknown; origin?: unknown; event?: unknown; data?: unknown; request?: unknown; pin?: unknown } | null;
    const type = message?.type;
    if (type === 'page-event') {
      // The tab may have navigated to another site since the background picked it. The page
      // world checks the event itself.
      if (message!.origin === location.origin) toPage('event', { event: message!.event, data: message!.data });
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
      toPage('wallet-request', { id, request: message!.request });
      return true; // answered asynchronously
    }
    return false;
  }

  /** A message on our channel from this window's page world. */
  function onPageMessage(data: PageMessage) {
    wire();
    const { kind, id } = data;
    // At most MAX_PAGE_MESSAGE_BYTES as the JSON (UTF-8) the runtime sends, and serialisable at
    // all, or it goes no further than an error: a flood of large messages costs the page that
    // sends it, never the background.
    let refused: Reply | undefined;
    try {
      if (new Blob([JSON.stringify(data)]).size > MAX_PAGE_MESSAGE_BYTES)
        refused = errorReply(-32602 satisfies Code['InvalidParams'], 'Over 64 KB');
    } catch {
      refused = errorReply(-32602 satisfies Code['InvalidParams'], 'Malformed request');
    }
    if (kind === 'wallet-reply' && isId(id)) {
      walletWaiters.get(id)?.(refused || data.reply);
      walletWaiters.delete(id);
    } else if (kind === 'request' && isId(id)) {
      const { method, params } = data;
      const ask = (resumes: number): Promise<unknown> =>
        send({ type: 'page-request', method, params }).then((answer) =>
          answer === UNREACHABLE && chrome.runtime?.id && isResumable(method) && resumes < MAX_RESUMES ? ask(resumes + 1) : answer,
        );
      void (refused ? Promise.resolve(refused) : ask(0)).then((answer) => toPage('reply', { id, reply: toPageReply(answer) }));
    } else if (kind === 'wallet-accounts' && !refused) {
      void send({ type: 'wallet-accounts', accounts: data.accounts, pin: globals[SIGN_IN_PIN] });
    }
  }

  /** Connects the relay to the background, once. */
  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    chrome.runtime.onMessage.addListener(onBackgroundMessage);
    win.dispatchEvent(new Event(RELAY_STARTED));
    win.addEventListener(RELAY_STARTED, () => win.removeEventListener('message', onWindowMessage));
  }

  return { wire, onPageMessage };
}

let relay: ReturnType<typeof createRelay> | undefined;
const started = () => (relay ??= createRelay());

function onWindowMessage(event: MessageEvent) {
  // Only this window's own messages, on our channel; frames and other windows are ignored, and a
  // page's own traffic never builds the relay.
  if (event.source !== win) return;
  const data = event.data as PageMessage | null;
  if (data?.channel === PAGE_CHANNEL) started().onPageMessage(data);
}

// Declared, it runs at document_start; injected on demand (tabs opened before an install or an
// update), the background runs it and then calls its wire. Never installed twice in a world.
if (!globals[RELAY_GLOBAL]) {
  globals[RELAY_GLOBAL] = () => started().wire();
  win.addEventListener('message', onWindowMessage);
}
