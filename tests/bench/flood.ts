/**
 * An allowed page's cached `tako_getToken` while a page that is not allowed floods its relay with
 * 8 MB messages, against the same calls without the flood.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { PAGE_CHANNEL } from '../../src/core/contract/channels.ts';
import type { Stack } from '../../tools/stack/server.ts';
import { chromiumTab } from '../support/bench/chromium.ts';
import { percentile, round, timeCalls } from '../support/bench/timing.ts';
import { FLOOD_CALLS } from './flags.ts';

/** The size of each message of the flood. */
const FLOOD_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * An allowed page's cached getToken, with and without a page that is not allowed posting 8 MB
 * requests to its relay as fast as it can (the relay refuses each, -32602, before the worker).
 * Blocks alternate between quiet and flooded so that drift affects both alike.
 */
export async function measureFlood(context: BrowserContext, stack: Stack, demo: Page) {
  // Another origin for the same server: localhost is not the allowed 127.0.0.1.
  const flooder = await context.newPage();
  await flooder.goto(`${stack.url.replace('127.0.0.1', 'localhost')}/`);
  await flooder.waitForFunction(() => window.takoSession !== undefined);
  await flooder.evaluate(
    ({ channel, bytes }) => {
      const state = { on: false, sent: 0, refused: 0 };
      (window as unknown as { flood: typeof state }).flood = state;
      const big = 'x'.repeat(bytes);
      window.addEventListener('message', (event) => {
        const data = event.data as { kind?: string; reply?: { error?: { code?: number } } } | null;
        if (data?.kind === 'reply' && data.reply?.error?.code === -32602) state.refused++;
      });
      // No named function here: tsx would wrap it in a helper the page does not have.
      // Each tick posts for 50 ms without a break: the page floods as fast as its own thread lets it.
      setInterval(() => {
        for (const start = performance.now(); state.on && performance.now() - start < 50; ) {
          window.postMessage({ channel, kind: 'request', id: `flood${state.sent++}`, method: 'tako_getToken', params: big }, '*');
        }
      }, 0);
    },
    { channel: PAGE_CHANNEL, bytes: FLOOD_MESSAGE_BYTES },
  );
  const setFlood = (on: boolean) => flooder.evaluate((value) => ((window as unknown as { flood: { on: boolean } }).flood.on = value), on);
  const allowed = chromiumTab(demo);
  await timeCalls(allowed, 'tako_getToken', 50);
  const quiet: number[] = [];
  const flooded: number[] = [];
  const block = 50;
  for (let done = 0; done < FLOOD_CALLS; done += block) {
    await setFlood(false);
    quiet.push(...(await timeCalls(allowed, 'tako_getToken', Math.min(block, FLOOD_CALLS - done))));
    await setFlood(true);
    flooded.push(...(await timeCalls(allowed, 'tako_getToken', Math.min(block, FLOOD_CALLS - done))));
  }
  await setFlood(false);
  const { sent, refused } = await flooder.evaluate(() => (window as unknown as { flood: { sent: number; refused: number } }).flood);
  await flooder.close();
  const quietP90 = percentile(quiet, 90);
  const floodedP90 = percentile(flooded, 90);
  return {
    calls: FLOOD_CALLS,
    quietP90Ms: round(quietP90),
    floodedP90Ms: round(floodedP90),
    ratioP90: round(floodedP90 / quietP90),
    messagesSent: sent,
    refused,
  };
}
