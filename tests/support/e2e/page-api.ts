/**
 * `window.takoSession` as a page's own script calls it: any method with any params, the outcome as
 * the page saw it (result, or the error's fields), the events it receives, and the payload of a
 * token it was handed.
 */
import type { Page } from '@playwright/test';
import type { TakoSessionEvent } from '../../../src/core/contract/tako-session-api.ts';

/** `tako_getToken` from a page, or the error code it got. */
export function getTokenFrom(page: Page) {
  return page.evaluate(async () => {
    try {
      return { token: await window.takoSession!.request({ method: 'tako_getToken' }) };
    } catch (error) {
      return { code: (error as { code: number }).code, message: (error as Error).message };
    }
  });
}

/** Reads a JWT's payload without verifying it (the test's own view of a token). */
export function jwtPayload(token: string): { address: string; type: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** Records every `sessionChanged` a page receives, in `window.sessionEvents`. */
export function recordSessionEvents(page: Page): Promise<void> {
  return recordEvents(page, 'sessionChanged');
}

export function sessionEvents(page: Page): Promise<Array<{ state: string; address: string } | null>> {
  return recordedEvents(page, 'sessionChanged') as Promise<Array<{ state: string; address: string } | null>>;
}

/** Records every `event` a page receives from `window.takoSession`, for `recordedEvents`. */
export async function recordEvents(page: Page, event: TakoSessionEvent): Promise<void> {
  await page.evaluate((name) => {
    const recording = window as unknown as { takoEvents?: Record<string, unknown[]> };
    recording.takoEvents ??= {};
    const events: unknown[] = [];
    recording.takoEvents[name] = events;
    window.takoSession!.on(name, (data) => events.push(data));
  }, event);
}

export function recordedEvents(page: Page, event: TakoSessionEvent): Promise<unknown[]> {
  return page.evaluate((name) => (window as unknown as { takoEvents: Record<string, unknown[]> }).takoEvents[name]!, event);
}

/** What a page got from `takoSession.request`: the result, or the error's fields as the page saw them. */
export interface PageCallOutcome {
  result?: unknown;
  /** True when the rejection was a real `Error`. */
  isError?: boolean;
  code?: unknown;
  message?: unknown;
  data?: unknown;
}

/** `takoSession.request({ method, params })` from a page, whatever the method name. */
export function callFrom(page: Page, method: string, ...params: [] | [unknown]): Promise<PageCallOutcome> {
  return page.evaluate(
    async ({ method, params, withParams }) => {
      const request = window.takoSession!.request as (args: { method: string; params?: unknown }) => Promise<unknown>;
      try {
        return { result: (await request(withParams ? { method, params } : { method })) ?? null };
      } catch (error) {
        const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown };
        return { isError: error instanceof Error, code, message, data };
      }
    },
    { method, params: params[0], withParams: params.length > 0 },
  );
}
