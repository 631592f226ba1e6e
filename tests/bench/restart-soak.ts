/**
 * Browser restarts across refresh times with bursts of server errors: no token reaches a page
 * already expired.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { extensionIdOf, launchWithExtension, serviceWorkerOf } from '../../tools/dev/launch.ts';
import { startStack } from '../../tools/stack/server.ts';
import { benchExtension, signIn, signInAgain } from '../support/bench/bench-extension.ts';
import { sleep } from '../support/bench/timing.ts';
import { arrivedExpired, startTokenPoll, stopTokenPoll, tokenPollEntries } from '../support/e2e/token-poll.ts';
import { RESTART_CYCLES } from './flags.ts';

/** The token a page gets now (the demo page must be allowed). */
async function currentToken(page: Page): Promise<{ token: string; expiresAt: number }> {
  return page.evaluate(() => window.takoSession!.request({ method: 'tako_getToken' }));
}

/**
 * Restart soak: RESTART_CYCLES browser restarts across refresh times with 5xx bursts. Each cycle
 * closes the browser right after a refresh, injects 0 to 3 failures (500/502/503) for the next
 * refreshes, starts the browser again at a random moment from 4 s before the refresh is due to 1 s
 * after the token expired, and has a page ask for a token every 200 ms until it gets the next token.
 * Counts tokens that reached the page already expired (target 0).
 */
export async function measureRestartSoak() {
  const lifetimeSec = 10; // refresh due 2 s before exp; hand-out minimum 1 s, 0.5 s while failing
  const stack = await startStack({ port: 0, accessTtlSec: lifetimeSec });
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-bench-restart-'));
  let context = await launchWithExtension(profile, { extensionPath: benchExtension });
  const totals = { cycles: 0, tokens: 0, expiredReceived: 0, refreshFailing: 0, otherRefusals: 0, injected5xx: 0, sessionsLost: 0 };
  const worstMarginMs: number[] = [];
  try {
    const id = await extensionIdOf(context);
    let { demo } = await signIn(context, id, stack);
    for (let cycle = 0; cycle < RESTART_CYCLES; cycle++) {
      const before = await currentToken(demo);
      await context.close();
      const burst = Math.floor(Math.random() * 4);
      for (let i = 0; i < burst; i++) {
        stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: [500, 502, 503][i % 3]! });
      }
      totals.injected5xx += burst;
      // From 4 s before the refresh is due (exp - 2 s) to 1 s after the token expired: the
      // page's first request lands before, at or after the refresh time.
      const restartAt = before.expiresAt - 6000 + Math.random() * 7000;
      await sleep(Math.max(0, restartAt - Date.now()));
      context = await launchWithExtension(profile, { extensionPath: benchExtension });
      await serviceWorkerOf(context);
      demo = await context.newPage();
      await demo.goto(`${stack.url}/`);
      await startTokenPoll(demo);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const entries = await tokenPollEntries(demo);
        if (entries.some((e) => e.token !== undefined && e.token !== before.token) || entries.some((e) => e.reason === 'expired')) break;
        await sleep(100);
      }
      const entries = await stopTokenPoll(demo);
      stack.faults.clear();
      totals.cycles++;
      totals.tokens += entries.filter((e) => e.token !== undefined).length;
      totals.expiredReceived += arrivedExpired(entries).length;
      totals.refreshFailing += entries.filter((e) => e.reason === 'refresh-failing').length;
      totals.otherRefusals += entries.filter((e) => e.code !== undefined && e.reason !== 'refresh-failing').length;
      const margins = entries.filter((e) => e.exp !== undefined).map((e) => e.exp! - e.at);
      if (margins.length > 0) worstMarginMs.push(Math.min(...margins));
      if (!entries.some((e) => e.token !== undefined && e.token !== before.token)) {
        totals.sessionsLost++;
        ({ demo } = await signInAgain(context, id, stack));
      }
    }
  } finally {
    await context.close();
    await stack.close();
    await rm(profile, { recursive: true, force: true });
  }
  return { ...totals, lowestMarginOnArrivalMs: worstMarginMs.length ? Math.min(...worstMarginMs) : null };
}
