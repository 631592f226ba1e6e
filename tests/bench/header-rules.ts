/**
 * What header-only access's rules cost a request: the same `fetch` of ignore_bid from a page, with
 * the header the browser adds by its session rule, against one whose header the page writes
 * itself. Two pages of the same local stack, each calling its own origin: the demo at
 * `127.0.0.1` (header-only once allowed) and the demo at `localhost` (allowed with tokens; its
 * script writes the header). Timed in the pages, in interleaved blocks, before the grant (both
 * write the header: how the two origins differ on their own) and after it (the rule adds the
 * first page's): the rule's cost is the change of the ratio.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { allowPageOrigin, answerApproval, useEndpoint } from '../../tools/dev/drive.ts';
import { extensionIdOf, launchWithExtension } from '../../tools/dev/launch.ts';
import { startStack } from '../../tools/stack/server.ts';
import { benchExtension, signInAgain } from '../support/bench/bench-extension.ts';
import { percentile, round } from '../support/bench/timing.ts';
import { HEADER_CALLS } from './flags.ts';

const IGNORE_BID = '/v2/farcaster/ignore_bid';

/**
 * `count` POSTs of ignore_bid from the page to its own origin, each timed; `token` written as the
 * header, or none. The page is brought to the front first: a tab in the back is slowed down.
 */
async function timeFetches(page: Page, count: number, token?: string): Promise<number[]> {
  await page.bringToFront();
  return page.evaluate(
    async ([n, path, bearer]) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        const response = await fetch(path, { method: 'POST', headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
        await response.arrayBuffer();
        times.push(performance.now() - start);
        if (response.status !== 200) throw new Error(`ignore_bid answered ${response.status}`);
      }
      return times;
    },
    [count, IGNORE_BID, token ?? ''] as const,
  );
}

/** Interleaved blocks of `a` and `b` (so drift affects both alike); each sample list. */
async function interleaved(a: () => Promise<number[]>, b: () => Promise<number[]>, rounds: number) {
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < rounds; i++) {
    first.push(...(await a()));
    second.push(...(await b()));
  }
  return { first, second };
}

export async function measureHeaderRules() {
  const stack = await startStack({ port: 0 });
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-bench-header-'));
  let context: BrowserContext | undefined;
  try {
    context = await launchWithExtension(profile, { extensionPath: benchExtension });
    const id = await extensionIdOf(context);
    await useEndpoint(context, id, stack.url);
    const { demo } = await signInAgain(context, id, stack);
    // The page that writes its header: the same stack as localhost, allowed with tokens.
    const writer = await context.newPage();
    await writer.goto(`http://localhost:${stack.port}/?autoconfirm=1`);
    await allowPageOrigin(context, writer);
    const { token } = await writer.evaluate(() => window.takoSession!.request({ method: 'tako_getToken' }));
    const block = 100;
    const rounds = Math.max(1, Math.ceil(HEADER_CALLS / block));
    // Warm both connections up.
    await timeFetches(demo, 50, token);
    await timeFetches(writer, 50, token);

    const before = await interleaved(
      () => timeFetches(demo, block, token),
      () => timeFetches(writer, block, token),
      rounds,
    );

    await demo.bringToFront();
    const approval = context.waitForEvent('page', (page) => page.url().includes('/approval.html'));
    await demo.getByTestId('demo-request-header-access').click();
    await answerApproval(await approval, 'approve');
    await demo.locator('[data-testid="demo-connection"][data-connected="true"]').waitFor();
    await timeFetches(demo, 50);

    const after = await interleaved(
      () => timeFetches(demo, block),
      () => timeFetches(writer, block, token),
      rounds,
    );
    const p50 = (samples: number[]) => percentile(samples, 50);
    const ratioBefore = p50(before.first) / p50(before.second);
    const ratioAfter = p50(after.first) / p50(after.second);
    return {
      calls: HEADER_CALLS,
      writtenP50Ms: round(p50(before.first)),
      otherOriginBeforeP50Ms: round(p50(before.second)),
      ruleP50Ms: round(p50(after.first)),
      ruleP90Ms: round(percentile(after.first, 90)),
      otherOriginAfterP50Ms: round(p50(after.second)),
      ratioBefore: round(ratioBefore),
      ratioAfter: round(ratioAfter),
      /** The rule's cost to the request it matches, as a factor of the request's own time. */
      ruleFactor: round(ratioAfter / ratioBefore),
    };
  } finally {
    await context?.close();
    await stack.close();
    await rm(profile, { recursive: true, force: true });
  }
}
