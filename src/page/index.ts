/**
 * Page world (MAIN) script: defines `window.takoSession` at document_start and announces it,
 * nothing more until the page uses it. It runs in every page the person opens, so it costs that
 * page next to nothing: no listener is registered until the first `request` or `on`, and messages
 * are checked by hand (src/core/contract/page-messages.ts) rather than by the schema library. The wallet
 * bridge is not here either: it is injected only into the page picked for sign-in
 * (src/wallet-bridge/). It holds no secrets: tokens pass through one reply at a time.
 */
import { CONTENT_CHANNEL, newMessageId, PAGE_CHANNEL } from '../core/contract/channels.ts';
import { parseContentToPage } from '../core/contract/page-messages.ts';
import type { ErrorPayload, PageToContent } from '../core/contract/protocol.ts';
import type {
  TakoSession,
  TakoSessionError,
  TakoSessionErrorCode,
  TakoSessionEvent,
  TakoSessionEvents,
} from '../core/contract/tako-session-api.ts';

const INSTALLED = Symbol.for('tako-session.installed');

/** Error codes as numbers, so the contract's object does not ship in every page; `satisfies` ties each to it. */
type Code = typeof TakoSessionErrorCode;

function toError(payload: ErrorPayload): TakoSessionError {
  const error = new Error(payload.message) as TakoSessionError;
  error.code = payload.code;
  if (payload.data !== undefined) error.data = payload.data;
  return error;
}

const win = window as Window & typeof globalThis;

/**
 * The page API's working parts, built on the page's first call. At document_start the browser
 * runs only the few lines at the end of this file: what is in here is merely pre-parsed, and none
 * of it is built or called.
 */
function createPageSession(): TakoSession {
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Listeners by event; anything else given to `on` is ignored, as EIP-1193 providers do. */
  const listeners: { [E in TakoSessionEvent]: Set<(data: TakoSessionEvents[E]) => void> } = {
    sessionChanged: new Set(),
    accessChanged: new Set(),
  };
  const isEvent = (event: unknown): event is TakoSessionEvent => event === 'sessionChanged' || event === 'accessChanged';
  const post = (message: PageToContent) => win.postMessage(message, win.location.origin);

  function onMessage(event: MessageEvent) {
    if (event.source !== win || (event.data as { channel?: unknown } | null)?.channel !== CONTENT_CHANNEL) return;
    const message = parseContentToPage(event.data);
    if (message?.kind === 'reply') {
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.reply.ok) waiter.resolve(message.reply.result);
      else waiter.reject(toError(message.reply.error));
    } else if (message) {
      // Checked together: each event arrives with its own kind of data.
      const { event: name, data } = message;
      for (const listener of [...(listeners[name] as Set<(value: typeof data) => void>)]) {
        try {
          listener(data);
        } catch (error) {
          // A dapp's listener failing must not stop the others.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
  }

  /**
   * The page's first call registers the one listener and wakes the relay, which connects to the
   * background only then (src/content/); a page that never calls pays for neither.
   */
  let listening = false;
  function listen() {
    if (!listening) {
      win.addEventListener('message', onMessage);
      post({ channel: PAGE_CHANNEL, kind: 'listen' });
    }
    listening = true;
  }

  return {
    request(args) {
      return new Promise((resolve, reject) => {
        const fail = (code: number, message: string) => reject(toError({ code, message }));
        const method = (args as { method?: unknown } | null)?.method;
        if (typeof method !== 'string') return fail(-32602 satisfies Code['InvalidParams'], 'request() takes { method: string, params? }');
        // A sandboxed page's origin is opaque: nothing it posts reaches the relay, and no person
        // could allow it anyway.
        if (win.origin === 'null') return fail(4100 satisfies Code['Unauthorized'], 'Tako Session does not serve sandboxed pages');
        listen();
        const id = newMessageId();
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        try {
          post({ channel: PAGE_CHANNEL, kind: 'request', id, method, params: (args as { params?: unknown }).params });
        } catch {
          // Params that cannot cross to the extension (functions, DOM nodes): the documented code
          // rather than the browser's DataCloneError.
          pending.delete(id);
          fail(-32602 satisfies Code['InvalidParams'], 'request() params must be plain data (JSON-like values)');
        }
      });
    },
    on(event, listener) {
      if (isEvent(event) && typeof listener === 'function') {
        listen();
        listeners[event].add(listener);
      }
    },
    removeListener(event, listener) {
      if (isEvent(event)) listeners[event].delete(listener);
    },
  };
}

let session: TakoSession | undefined;
const started = () => (session ??= createPageSession());
const takoSession: TakoSession = {
  request: (args) => started().request(args),
  on: (event, listener) => started().on(event, listener),
  removeListener: (event, listener) => started().removeListener(event, listener),
};

// The script can run twice in one page (declared, then injected on demand): install once.
const marked = win as unknown as Record<symbol, boolean>;
if (!marked[INSTALLED]) {
  marked[INSTALLED] = true;
  Object.defineProperty(win, 'takoSession', { value: Object.freeze(takoSession), enumerable: true, configurable: false, writable: false });
  win.dispatchEvent(new Event('takoSession#initialized'));
}
