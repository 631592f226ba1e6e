/**
 * Where each runtime message goes: requests from the extension's own pages to the UI API, requests
 * from content scripts of top-level web pages to the page API, anything else nowhere (no reply).
 * Every message is checked against its schema first; a malformed one gets an error and changes
 * nothing.
 */
import { describeError, isTakoError } from '../../core/contract/errors.ts';
import { ContentToBackgroundSchema, parseMessage, type Reply } from '../../core/contract/protocol.ts';
import { TakoSessionErrorCode } from '../../core/contract/tako-session-api.ts';
import { UiRequestSchema } from '../../core/contract/ui-protocol.ts';
import { type Extension, isExtensionPage, pageCaller, type Sender } from './callers.ts';
import type { PageApi } from './page-api.ts';
import type { UiApi } from './ui-api.ts';

export interface RouterDeps {
  extension: Extension;
  /** Resolves once stored state is loaded; every request waits for it. */
  ready: Promise<void>;
  uiApi: Pick<UiApi, 'handle'>;
  pageApi: PageApi;
}

const MALFORMED: Reply = { ok: false, error: { code: TakoSessionErrorCode.InvalidParams, message: 'Malformed request' } };

/** Messages are cut to what the protocol carries (a server can send a long one). */
function toReply(result: Promise<unknown>): Promise<Reply> {
  return result.then(
    (value): Reply => ({ ok: true, result: value ?? null }),
    (error: unknown): Reply => {
      // Messages are cut to what the protocol carries (a server can send a long one); `data` says
      // more where the code alone does not (why a 4900 has no token).
      if (isTakoError(error)) {
        return {
          ok: false,
          error: { code: error.code, message: error.message.slice(0, 2000), ...(error.data === undefined ? {} : { data: error.data }) },
        };
      }
      console.error('Tako Session: unexpected error', error);
      return {
        ok: false,
        error: { code: TakoSessionErrorCode.Internal, message: `Internal error: ${describeError(error)}`.slice(0, 2000) },
      };
    },
  );
}

export function createRouter(deps: RouterDeps) {
  const { extension, ready, uiApi, pageApi } = deps;

  /** The reply to send, or undefined to send none (the sender is nobody the background answers). */
  return function route(message: unknown, sender: Sender): Promise<Reply> | undefined {
    if (isExtensionPage(sender, extension)) {
      const request = parseMessage(UiRequestSchema, message);
      if (!request) return Promise.resolve(MALFORMED);
      return toReply(ready.then(() => uiApi.handle(request)));
    }
    const caller = pageCaller(sender, extension);
    if (!caller) return undefined;
    const request = parseMessage(ContentToBackgroundSchema, message);
    if (!request) return Promise.resolve(MALFORMED);
    if (request.type === 'wallet-accounts') {
      return toReply(ready.then(() => pageApi.onWalletAccounts(caller, request.accounts, request.pin)));
    }
    return toReply(ready.then(() => pageApi.handle(caller, request.method, request.params)));
  };
}
