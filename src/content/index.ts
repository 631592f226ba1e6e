/**
 * Content script (isolated world, top frame): a relay between the page world and the background.
 * It uses the native `chrome` API rather than the polyfill to stay a few kilobytes; MV3 Chrome's
 * runtime calls already return promises.
 */
import {
  BackgroundToContentSchema,
  CONTENT_CHANNEL,
  PAGE_CHANNEL,
  PageToContentSchema,
  parseMessage,
  ReplySchema,
  type Reply,
} from '../core/protocol.ts';

const INSTALLED = '__takoSessionRelay';
const WALLET_TIMEOUT_MS = 5 * 60_000;

function relay() {
  const walletWaiters = new Map<string, (reply: Reply) => void>();
  const post = (message: unknown) => window.postMessage(message, window.location.origin);
  const disconnected: Reply = {
    ok: false,
    error: { code: 4900, message: 'Tako Session was updated or disabled: reload the page' },
  };
  // The background answers only top-level http(s) pages; any other sender gets no reply at all.
  const refused: Reply = { ok: false, error: { code: 4100, message: 'Tako Session does not serve this page' } };
  const unreadable: Reply = { ok: false, error: { code: -32603, message: 'Tako Session sent an unreadable reply' } };
  const malformed: Reply = { ok: false, error: { code: -32602, message: 'Malformed request' } };

  window.addEventListener('message', (event: MessageEvent) => {
    // Only this window's own messages, on our channel; frames and other windows are ignored.
    if (event.source !== window || (event.data as { channel?: unknown } | null)?.channel !== PAGE_CHANNEL) return;
    const message = parseMessage(PageToContentSchema, event.data);
    if (!message) {
      // A request we cannot read is still answered, so that the caller's promise settles.
      const { kind, id } = event.data as { kind?: unknown; id?: unknown };
      if (kind === 'request' && typeof id === 'string' && id.length > 0 && id.length <= 64) {
        post({ channel: CONTENT_CHANNEL, kind: 'reply', id, reply: malformed });
      }
      return;
    }
    if (message.kind === 'wallet-reply') {
      walletWaiters.get(message.id)?.(message.reply);
      walletWaiters.delete(message.id);
      return;
    }
    if (message.kind === 'wallet-accounts') {
      chrome.runtime.sendMessage({ type: 'wallet-accounts', accounts: message.accounts }).catch(() => undefined);
      return;
    }
    const answer = (reply: Reply) => post({ channel: CONTENT_CHANNEL, kind: 'reply', id: message.id, reply });
    let sent: Promise<unknown>;
    try {
      sent = chrome.runtime.sendMessage({ type: 'page-request', method: message.method, params: message.params });
    } catch {
      // Thrown at once rather than rejected: the params are not JSON data (a BigInt, say), or the
      // extension was reloaded and this script lost its runtime.
      answer(chrome.runtime?.id ? malformed : disconnected);
      return;
    }
    sent.then(
      (reply: unknown) => (reply === undefined ? refused : (parseMessage(ReplySchema, reply) ?? unreadable)),
      () => disconnected,
    ).then(answer);
  });

  chrome.runtime.onMessage.addListener((raw: unknown, sender, sendResponse: (reply: Reply) => void) => {
    if (sender.id !== chrome.runtime.id || sender.tab) return false;
    const message = parseMessage(BackgroundToContentSchema, raw);
    if (!message) return false;
    switch (message.type) {
      case 'ping':
        sendResponse({ ok: true, result: 'pong' });
        return false;
      case 'session-changed':
        post({ channel: CONTENT_CHANNEL, kind: 'event', event: 'sessionChanged', data: message.session });
        return false;
      case 'wallet-request': {
        const id = crypto.randomUUID();
        const timer = setTimeout(() => {
          walletWaiters.delete(id);
          sendResponse({ ok: false, error: { code: -32603, message: 'The wallet did not answer' } });
        }, WALLET_TIMEOUT_MS);
        walletWaiters.set(id, (reply) => {
          clearTimeout(timer);
          sendResponse(reply);
        });
        post({ channel: CONTENT_CHANNEL, kind: 'wallet-request', id, request: message.request });
        return true; // answered asynchronously
      }
    }
  });
}

// Injected on demand into tabs that were open before install: never wire twice.
const flags = globalThis as unknown as Record<string, boolean>;
if (!flags[INSTALLED]) {
  flags[INSTALLED] = true;
  relay();
}
