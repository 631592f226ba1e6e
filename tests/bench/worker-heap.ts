/**
 * The service worker's JS heap after sign-in and after a day's worth of refreshes: what the worker
 * keeps as it runs.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { extensionIdOf, launchWithExtension } from '../../tools/dev/launch.ts';
import { startStack } from '../../tools/stack/server.ts';
import { benchExtension, signIn } from '../support/bench/bench-extension.ts';
import { sleep } from '../support/bench/timing.ts';
import { startTokenPoll, stopTokenPoll } from '../support/e2e/token-poll.ts';
import { WORKER_REFRESHES } from './flags.ts';

/**
 * A CDP session to the extension's service worker. Playwright opens sessions to pages only, so
 * this attaches to the worker's target through a page's session (the non-flat form: commands
 * and replies travel inside Target.sendMessageToTarget / receivedMessageFromTarget). Attached
 * DevTools also keep the worker from being stopped while idle, so every reading is of one worker.
 */
async function workerSession(context: BrowserContext, page: Page, id: string) {
  const cdp = await context.newCDPSession(page);
  const { targetInfos } = await cdp.send('Target.getTargets');
  const target = targetInfos.find((info) => info.type === 'service_worker' && info.url.startsWith(`chrome-extension://${id}/`));
  if (!target) throw new Error('the extension has no service worker target');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  const waiting = new Map<number, (reply: { result?: unknown; error?: { message: string } }) => void>();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const reply = JSON.parse(event.message) as { id?: number; result?: unknown; error?: { message: string } };
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply);
  });
  let next = 0;
  const send = async <T>(method: string, params: object = {}): Promise<T> => {
    const messageId = ++next;
    const reply = new Promise<{ result?: unknown; error?: { message: string } }>((resolve) => waiting.set(messageId, resolve));
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: messageId, method, params }) });
    const { result, error } = await reply;
    if (error) throw new Error(`${method}: ${error.message}`);
    return result as T;
  };
  /** The worker's JS heap in use after a full GC, in KB. */
  const heapKb = async () => {
    await send('HeapProfiler.collectGarbage');
    return Math.round((await send<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize / 1024);
  };
  return { send, heapKb, detach: () => cdp.detach() };
}

/**
 * The worker's JS heap after sign-in, and after WORKER_REFRESHES refreshes of 10 s tokens driven
 * by its alarms (one every 8 s) while a page asks for a token every second. 26 refreshes is a day
 * of 1-hour tokens (one every 55 minutes); the tokens are short so that it takes minutes.
 */
export async function measureWorkerHeap() {
  const lifetimeSec = 10;
  const stack = await startStack({ port: 0 });
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-bench-heap-'));
  const context = await launchWithExtension(profile, { extensionPath: benchExtension });
  try {
    const id = await extensionIdOf(context);
    const { demo, popup } = await signIn(context, id, stack);
    const worker = await workerSession(context, popup, id);
    // Marks this worker, to tell at the end whether the same one is still running.
    await worker.send('Runtime.evaluate', { expression: 'self.__benchHeapMark = true' });
    const afterSignInKb = await worker.heapKb();
    stack.configure({ accessTtlSec: lifetimeSec });
    await popup.getByTestId('refresh-now').click();
    await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor();
    const before = stack.requests('/v2/refresh_token').length;
    await startTokenPoll(demo, 1000);
    const deadline = Date.now() + WORKER_REFRESHES * (lifetimeSec - 2) * 1000 * 2 + 30_000;
    while (stack.requests('/v2/refresh_token').length - before < WORKER_REFRESHES && Date.now() < deadline) await sleep(500);
    const entries = await stopTokenPoll(demo);
    const refreshes = stack.requests('/v2/refresh_token').length - before;
    const afterRefreshesKb = await worker.heapKb();
    const { result } = await worker.send<{ result: { value?: unknown } }>('Runtime.evaluate', {
      expression: 'self.__benchHeapMark === true',
      returnByValue: true,
    });
    await worker.detach();
    return {
      afterSignInKb,
      afterRefreshesKb,
      refreshes,
      tokenLifetimeSec: lifetimeSec,
      tokensServed: entries.filter((e) => e.token !== undefined).length,
      sameWorker: result.value === true,
    };
  } finally {
    await context.close();
    await stack.close();
    await rm(profile, { recursive: true, force: true });
  }
}
