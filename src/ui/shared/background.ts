/** How extension pages talk to the background: one typed request, one reply or a readable error. */
import browser from 'webextension-polyfill';
import type { Reply } from '../../core/contract/protocol.ts';
import { TakoSessionErrorCode } from '../../core/contract/tako-session-api.ts';
import { STATE_CHANGED, type UiReply, type UiRequest } from '../../core/contract/ui-protocol.ts';
import { t } from './i18n.ts';

export class BackgroundError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/**
 * Asks the background; the reply's type follows from the request's. The background answers each
 * request type with one handler typed by the same map (`UiHandlers`), which is what makes the
 * message API's untyped reply safe to read as that type here.
 */
export async function ask<R extends UiRequest>(request: R): Promise<UiReply<R['type']>> {
  const reply = (await browser.runtime.sendMessage(request)) as Reply<UiReply<R['type']>> | undefined;
  if (!reply) throw new BackgroundError(t('errorNoAnswer'), TakoSessionErrorCode.Internal);
  if (!reply.ok) throw new BackgroundError(reply.error.message, reply.error.code);
  return reply.result;
}

/** Calls `render` now and whenever the background says something changed. */
export function onStateChanged(render: () => void): void {
  browser.runtime.onMessage.addListener((message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === STATE_CHANGED.type) render();
    return undefined;
  });
}
