/**
 * Content script (isolated world, top frame): a relay between the page world and the background.
 *
 * It never acts on a payload itself, so it routes on a few structural checks and leaves the
 * schemas to where messages are consumed: the background validates everything a page sends
 * (requests, wallet replies, account changes), the page world validates everything the
 * background sends. That, and the native `chrome` API instead of the polyfill (MV3 runtime calls
 * already return promises), keeps this script small: it runs in every page.
 *
 * It knows nothing of wallets: the steps of a sign-in through a page's wallet go through the wallet
 * relay (src/wallet-relay/), which the background injects only into the page picked for it.
 *
 * It also waits to be needed. At document_start it only listens on the window: the relay itself
 * (createRelay), the extension API (`chrome.runtime`, which the browser builds in a page the first
 * time it is touched) and every other DOM object wait until the page world first speaks on our
 * channel (a request, or `on` for events), or until the background, to reach the tab, injects the
 * relay and wires it (RELAY_GLOBAL in core/contract/channels.ts).
 */
import { PAGE_CHANNEL, RELAY_GLOBAL } from '../core/contract/channels.ts';
import type { Reply } from '../core/contract/protocol.ts';
import { type Code, errorReply, isId, refusalOf, toPage } from './page-traffic.ts';

/** What the page world posts on our channel; the relay looks at no more than these keys. */
type PageMessage = { channel: typeof PAGE_CHANNEL; kind?: unknown; id?: unknown; [key: string]: unknown };

/** This world's globals, where the relay's own entry is (RELAY_GLOBAL); the page's scripts cannot see them. */
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

  const isReply = (value: unknown): value is Reply => typeof (value as { ok?: unknown } | null)?.ok === 'boolean';

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

  /** Page events only; anything else (a `ping`, a wallet step) is left unanswered here. */
  function onBackgroundMessage(raw: unknown, sender: chrome.runtime.MessageSender) {
    if (sender.id !== chrome.runtime.id || sender.tab) return;
    const message = raw as { type?: unknown; origin?: unknown; event?: unknown; data?: unknown } | null;
    // The tab may have navigated to another site since the background picked it. The page world
    // checks the event itself.
    if (message?.type === 'page-event' && message.origin === location.origin) toPage('event', { event: message.event, data: message.data });
  }

  /**
   * A message on our channel from this window's page world: a request is relayed; any message
   * (`listen` among them) connects the relay. The wallet bridge's messages are the wallet relay's.
   */
  function onPageMessage(data: PageMessage) {
    wire();
    const { kind, id } = data;
    if (kind !== 'request' || !isId(id)) return;
    const { method, params } = data;
    const refused = refusalOf(data);
    const ask = (resumes: number): Promise<unknown> =>
      send({ type: 'page-request', method, params }).then((answer) =>
        answer === UNREACHABLE && chrome.runtime?.id && isResumable(method) && resumes < MAX_RESUMES ? ask(resumes + 1) : answer,
      );
    void (refused ? Promise.resolve(refused) : ask(0)).then((answer) => toPage('reply', { id, reply: toPageReply(answer) }));
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
