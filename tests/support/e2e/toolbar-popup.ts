/**
 * The popup the toolbar button opens over a tab (the `extension` fixture's clickToolbarButton).
 * The browser shows it in a bubble of its own, which Playwright does not attach to as a page, so a
 * test reaches it over CDP: `evaluate` runs an expression in the popup's document and resolves its
 * value, and `waitFor` asks again until an expression holds.
 */
import type { CDPSession } from '@playwright/test';

export interface ToolbarPopup {
  evaluate<T>(expression: string): Promise<T>;
  /** Resolves once `expression` is true in the popup; the test's own timeout bounds the wait. */
  waitFor(expression: string): Promise<void>;
}

/** CDP's answer to Runtime.evaluate, as much of it as is read here. */
interface EvaluateAnswer {
  result?: { result?: { value?: unknown } };
  error?: unknown;
}

/** The popup at `targetId`, reached through the browser-level `cdp` session. */
export async function attachToolbarPopup(cdp: CDPSession, targetId: string): Promise<ToolbarPopup> {
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: false });
  let nextId = 0;
  const waiting = new Map<number, (message: EvaluateAnswer) => void>();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as EvaluateAnswer & { id?: number };
    if (message.id !== undefined) waiting.get(message.id)?.(message);
  });
  async function evaluate<T>(expression: string): Promise<T> {
    const id = ++nextId;
    const answer = new Promise<EvaluateAnswer>((resolve) => waiting.set(id, resolve));
    // As a person's input: a click made here counts as the gesture the browser wants for its questions.
    const params = { expression, awaitPromise: true, returnByValue: true, userGesture: true };
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.evaluate', params }) });
    const message = await answer;
    waiting.delete(id);
    if (message.error) throw new Error(`the popup refused ${expression}: ${JSON.stringify(message.error)}`);
    return message.result?.result?.value as T;
  }
  return {
    evaluate,
    async waitFor(expression) {
      while (!(await evaluate<boolean>(`Boolean(${expression})`))) await new Promise((resolve) => setTimeout(resolve, 100));
    },
  };
}
