/**
 * A page asking for a token every 200 ms, as a dapp that calls the API steadily would, recording
 * what arrived: the token with its JWT `exp` (read by the page itself, not from the reply's
 * `expiresAt`), or the error's code and `data.reason`. Shared by the end-to-end tests and the bench.
 */
import type { Page } from '@playwright/test';

export interface PollEntry {
  /** Page clock (ms) when the request was sent and when its answer arrived. */
  sentAt: number;
  at: number;
  token?: string;
  /** The token's JWT `exp` x 1000. */
  exp?: number;
  /** The reply's own `expiresAt`, to hold against `exp`. */
  expiresAt?: number;
  code?: number;
  reason?: string;
  message?: string;
}

interface PollState {
  entries: PollEntry[];
  stopped: boolean;
  done: Promise<void>;
}

/** Starts the loop in `page` (which must have `window.takoSession`); it runs until `stopTokenPoll`. */
export async function startTokenPoll(page: Page, intervalMs = 200): Promise<void> {
  await page.waitForFunction(() => window.takoSession !== undefined);
  await page.evaluate((interval) => {
    const state = { entries: [] as unknown[], stopped: false, done: Promise.resolve() };
    (window as unknown as { __tokenPoll: typeof state }).__tokenPoll = state;
    state.done = (async () => {
      while (!state.stopped) {
        const sentAt = Date.now();
        try {
          const { token, expiresAt } = await window.takoSession!.request({ method: 'tako_getToken' });
          const at = Date.now();
          // Inline, not a helper: the bench runs this file through tsx, whose named helpers do not
          // exist in the page.
          const claims = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp: number };
          state.entries.push({ sentAt, at, token, exp: claims.exp * 1000, expiresAt });
        } catch (error) {
          const { code, message, data } = error as { code?: number; message?: string; data?: { reason?: string } };
          state.entries.push({ sentAt, at: Date.now(), code, message, reason: data?.reason });
        }
        await new Promise((resolve) => setTimeout(resolve, interval));
      }
    })();
  }, intervalMs);
}

export function tokenPollEntries(page: Page): Promise<PollEntry[]> {
  return page.evaluate(() => (window as unknown as { __tokenPoll: PollState }).__tokenPoll.entries);
}

/** Stops the loop (after its current request) and returns everything it recorded. */
export async function stopTokenPoll(page: Page): Promise<PollEntry[]> {
  return page.evaluate(async () => {
    const state = (window as unknown as { __tokenPoll: PollState }).__tokenPoll;
    state.stopped = true;
    await state.done;
    return state.entries;
  });
}

/** Tokens that had already expired when they reached the page (the contract: none, ever). */
export function arrivedExpired(entries: PollEntry[]): PollEntry[] {
  return entries.filter((entry) => entry.exp !== undefined && entry.exp <= entry.at);
}
