/**
 * The window between the refresh reply in hand and the new pair stored, timed inside the worker,
 * and what a worker stopped at a random moment of a refresh loses.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { extensionIdOf, launchWithExtension, serviceWorkerOf } from '../../tools/dev/launch.ts';
import { startStack } from '../../tools/stack/server.ts';
import { benchExtension, signIn, signInAgain } from '../support/bench/bench-extension.ts';
import { percentile, round, sleep } from '../support/bench/timing.ts';
import { SAVE_WINDOW_RUNS } from './flags.ts';

/**
 * The "stopped between the API's answer and the write" window. Part 1 times it inside the worker:
 * from the refresh reply's body in hand to the IndexedDB transaction that stores the new pair
 * committed (and to the moment that write started). Part 2 stops the worker at a uniformly random
 * moment of a refresh (from the request reaching the API to 30 ms later) and counts the pairs lost:
 * the next worker's recovery is refused and the session expires ("could not be saved").
 */
export async function measureSaveWindow() {
  const stack = await startStack({ port: 0, accessTtlSec: 3600 });
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-bench-window-'));
  const context = await launchWithExtension(profile, { extensionPath: benchExtension });
  try {
    const id = await extensionIdOf(context);
    let { popup } = await signIn(context, id, stack);
    const refreshNow = (page: Page) => page.evaluate(() => chrome.runtime.sendMessage({ type: 'refresh-now' }).catch(() => undefined));

    // Part 1: timed inside the worker.
    const worker = await serviceWorkerOf(context);
    await worker.evaluate(() => {
      const marks: Array<{ read: number; put?: number; commit?: number }> = [];
      (self as unknown as { __saveMarks: typeof marks }).__saveMarks = marks;
      const originalFetch = self.fetch.bind(self);
      self.fetch = async (input, init) => {
        const response = await originalFetch(input, init);
        if (!String(input).endsWith('/refresh_token')) return response;
        const text = response.text.bind(response);
        response.text = async () => {
          const body = await text();
          marks.push({ read: performance.now() });
          return body;
        };
        return response;
      };
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        const record = value as { session?: { refreshStartedAtMs?: number } } | null;
        const mark = marks.at(-1);
        if (
          typeof key === 'string' &&
          key.startsWith('session/') &&
          record?.session &&
          record.session.refreshStartedAtMs === undefined &&
          mark &&
          mark.put === undefined
        ) {
          mark.put = performance.now();
          this.transaction.addEventListener('complete', () => (mark.commit = performance.now()));
        }
        return put.call(this, value, key);
      };
    });
    for (let i = 0; i < SAVE_WINDOW_RUNS; i++) await refreshNow(popup);
    const marks = await worker.evaluate(
      () => (self as unknown as { __saveMarks: Array<{ read: number; put?: number; commit?: number }> }).__saveMarks,
    );
    const complete = marks.filter((m) => m.put !== undefined && m.commit !== undefined);
    const toWrite = complete.map((m) => m.put! - m.read);
    const toCommit = complete.map((m) => m.commit! - m.read);

    // Part 2: stops at random moments.
    const outcomes = { stops: 0, saved: 0, lost: 0, recovered: 0 };
    for (let i = 0; i < SAVE_WINDOW_RUNS; i++) {
      const before = stack.requests('/v2/refresh_token').length;
      void refreshNow(popup);
      while (stack.requests('/v2/refresh_token').length === before) await new Promise((resolve) => setImmediate(resolve));
      await sleep(Math.random() * 30);
      const cdp = await context.newCDPSession(popup);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      await cdp.detach();
      outcomes.stops++;
      // The next worker settles whatever was cut off; the popup shows the outcome.
      await popup.reload();
      const session = popup.getByTestId('session');
      await popup.waitForFunction(() => {
        const state = document.querySelector('[data-testid="session"]')?.getAttribute('data-state');
        return state === 'signed-in' || state === 'expired';
      });
      const after = stack.requests('/v2/refresh_token').slice(before);
      // Let a recovery refresh, if the worker is sending one, finish before classifying.
      while (stack.requests('/v2/refresh_token').some((r) => r.status === null)) await sleep(10);
      await popup.reload();
      const state = await session.getAttribute('data-state');
      if (state === 'expired') {
        outcomes.lost++;
        await popup.close();
        ({ popup } = await signInAgain(context, id, stack));
      } else if (after.length > 1) {
        outcomes.recovered++;
      } else {
        outcomes.saved++;
      }
    }
    const p = (values: number[], q: number) => (values.length ? round(percentile(values, q)) : null);
    return {
      refreshesTimed: complete.length,
      replyToWriteStartP50Ms: p(toWrite, 50),
      replyToCommitP50Ms: p(toCommit, 50),
      replyToCommitP99Ms: p(toCommit, 99),
      ...outcomes,
    };
  } finally {
    await context.close();
    await stack.close();
    await rm(profile, { recursive: true, force: true });
  }
}
