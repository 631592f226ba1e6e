/**
 * Wallet bridge (MAIN world), injected by the background into the one page the person picked for
 * sign-in, when they pick it: it talks to that page's wallet for the background and reports the
 * wallet's account switches. No other page carries it, so no other page wakes its wallets.
 */
import { CONTENT_CHANNEL, PAGE_CHANNEL } from '../core/contract/channels.ts';
import { parseContentToBridge } from '../core/contract/page-messages.ts';
import type { BridgeToContent, ErrorPayload, Reply } from '../core/contract/protocol.ts';
import type { TakoSessionErrorCode } from '../core/contract/tako-session-api.ts';
import { createWalletBridge, WalletBridgeError } from './wallet-bridge.ts';

const INSTALLED = Symbol.for('tako-session.wallet-bridge');

function errorPayloadOf(error: unknown): ErrorPayload {
  if (error instanceof WalletBridgeError) return { code: error.code, message: error.message };
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'The wallet failed';
  return {
    code: typeof code === 'number' ? code : (-32603 satisfies typeof TakoSessionErrorCode.Internal),
    message: String(message).slice(0, 2000),
  };
}

function install(win: Window & typeof globalThis) {
  const post = (message: BridgeToContent) => win.postMessage(message, win.location.origin);
  const wallet = createWalletBridge(win, (accounts) => post({ channel: PAGE_CHANNEL, kind: 'wallet-accounts', accounts }));

  win.addEventListener('message', (event: MessageEvent) => {
    if (event.source !== win || (event.data as { channel?: unknown } | null)?.channel !== CONTENT_CHANNEL) return;
    // Checked by hand, as in page.js: its one message shape is not worth the schema library.
    const message = parseContentToBridge(event.data);
    if (!message) return;
    void wallet
      .perform(message.request)
      .then(
        (result): Reply => ({ ok: true, result }),
        (error: unknown): Reply => ({ ok: false, error: errorPayloadOf(error) }),
      )
      .then((reply) => post({ channel: PAGE_CHANNEL, kind: 'wallet-reply', id: message.id, reply }));
  });
}

// Each sign-in injects it again: the document keeps the first one.
const marked = window as unknown as Record<symbol, boolean>;
if (!marked[INSTALLED]) {
  marked[INSTALLED] = true;
  install(window);
}
