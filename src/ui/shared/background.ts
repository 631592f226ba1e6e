/** How extension pages talk to the background: one typed request, one reply or a readable error. */
import browser from 'webextension-polyfill';
import type { Reply, UiToBackground } from '../../core/protocol.ts';
import { TakoSessionErrorCode } from '../../core/tako-session-api.ts';

export class BackgroundError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export async function ask<T>(message: UiToBackground): Promise<T> {
  const reply = (await browser.runtime.sendMessage(message)) as Reply<T> | undefined;
  if (!reply) throw new BackgroundError('Tako Session did not answer; try again', TakoSessionErrorCode.Internal);
  if (!reply.ok) throw new BackgroundError(reply.error.message, reply.error.code);
  return reply.result;
}

/** Calls `render` now and whenever the background says something changed. */
export function onStateChanged(render: () => void): void {
  browser.runtime.onMessage.addListener((message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === 'state-changed') render();
    return undefined;
  });
}

/** Shows `message` in a box, or hides the box when there is none. */
export function showMessage(box: HTMLElement, message: string | null | undefined): void {
  box.textContent = message ?? '';
  box.hidden = !message;
}

export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const element = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!element) throw new Error(`Missing element ${id}`);
  return element;
}
