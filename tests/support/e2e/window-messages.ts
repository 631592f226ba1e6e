/**
 * The messages posted on a page's window, where the page world, the relay and any script of the
 * page meet: recording every one a frame sees, and posting the relay what the wallet bridge would,
 * to see what a page that forges it gets.
 */
import type { Frame, Page } from '@playwright/test';
import { CONTENT_CHANNEL, PAGE_CHANNEL } from '../../../src/core/contract/channels.ts';

/**
 * An init script that records, in every frame, each message posted to its window (as JSON) in
 * `window.__windowMessages`; read it with `windowMessages`.
 */
export function recordWindowMessages(): void {
  const log: Array<{ fromSelf: boolean; json: string }> = [];
  Object.defineProperty(window, '__windowMessages', { value: log });
  window.addEventListener(
    'message',
    (event) => {
      let json: string;
      try {
        json = JSON.stringify(event.data) ?? String(event.data);
      } catch {
        json = String(event.data);
      }
      log.push({ fromSelf: event.source === window, json });
    },
    true,
  );
}

export function windowMessages(target: Page | Frame): Promise<Array<{ fromSelf: boolean; json: string }>> {
  return target.evaluate(() => (window as unknown as { __windowMessages: Array<{ fromSelf: boolean; json: string }> }).__windowMessages);
}

/**
 * From `page`, reports account switches to the relay as the wallet bridge would, then waits for the
 * reply to a later request: the relay forwards a page's messages in order, so by then the
 * background has handled the switches. Resolves that reply.
 */
export function forgeAccountsChanged(page: Page, accounts: readonly string[]): Promise<unknown> {
  return page.evaluate(
    async ({ PAGE_CHANNEL, CONTENT_CHANNEL, accounts }) => {
      for (const account of accounts) window.postMessage({ channel: PAGE_CHANNEL, kind: 'wallet-accounts', accounts: [account] }, '*');
      const replied = new Promise<unknown>((resolve) =>
        window.addEventListener('message', (event) => {
          const data = event.data as { channel?: string; kind?: string; id?: string; reply?: unknown } | null;
          if (data?.channel === CONTENT_CHANNEL && data.kind === 'reply' && data.id === 'after-accounts') resolve(data.reply);
        }),
      );
      window.postMessage({ channel: PAGE_CHANNEL, kind: 'request', id: 'after-accounts', method: 'tako_getSession' }, '*');
      return replied;
    },
    { PAGE_CHANNEL, CONTENT_CHANNEL, accounts },
  );
}
