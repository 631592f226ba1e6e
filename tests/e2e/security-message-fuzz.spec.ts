/**
 * A storm of random and malformed messages from two pages at once, one allowed and one not, in
 * real Chromium: the fuzzer (tests/support/e2e/page-fuzzer.ts) runs in each page, and afterwards
 * every request was answered once, with a documented outcome, the allowed page is still served,
 * the stranger still refused, and the service worker neither threw nor logged an error.
 */
import { CONTENT_CHANNEL, PAGE_CHANNEL } from '../../src/core/contract/channels.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { nextApprovalWindow } from '../support/e2e/approval-window.ts';
import { callFrom, jwtPayload } from '../support/e2e/page-api.ts';
import { fuzzInPage } from '../support/e2e/page-fuzzer.ts';
import { expectSignedIn, signedInAndAllowed, siteOrigins } from '../support/e2e/popup.ts';
import { openPlainPage, otherOrigin } from '../support/e2e/web-pages.ts';
import { watchServiceWorker } from '../support/e2e/worker-watch.ts';
import { expect, test } from './fixtures.ts';

test('5,500 random and malformed messages leave the extension serving allowed origins, with no error in the worker', async ({
  extension,
  stack,
}) => {
  test.setTimeout(180_000);
  const watch = await watchServiceWorker(extension);
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');
  const stranger = await openPlainPage(extension, `${otherOrigin(stack.port)}/plain`);
  const approvalsOpened: string[] = [];
  extension.context.on('page', (page) => approvalsOpened.push(page.url()));

  // The watch sees what it should: a probe exception and a probe log line.
  const worker = await extension.worker();
  await worker.evaluate(() => {
    console.log('watch probe');
    setTimeout(() => {
      throw new Error('watch probe');
    });
  });
  await expect.poll(() => watch.exceptions.some((e) => e.includes('watch probe'))).toBe(true);
  expect(watch.console.some((line) => line.text === 'watch probe')).toBe(true);
  watch.exceptions.length = 0;

  const common = { PAGE_CHANNEL, CONTENT_CHANNEL, deadlineMs: 60_000 };
  // Methods that answer without asking the person. metahuman_getToken asks an allowed site's
  // person (a window); from the stranger it is one more refusal.
  const readOnly = ['tako_getToken', 'tako_getSession', 'tako_nope', '__proto__', 'constructor', 'toString'];
  const [allowedReport, strangerReport] = await Promise.all([
    demo.evaluate(fuzzInPage, { ...common, seed: 0x7a4b0, count: 4000, methods: [...readOnly, 'tako_requestAccess'] }),
    stranger.evaluate(fuzzInPage, { ...common, seed: 0x5e55, count: 1500, methods: [...readOnly, 'metahuman_getToken'] }),
  ]);
  test.info().annotations.push({
    type: 'fuzz',
    description: JSON.stringify({ allowedReport: { ...allowedReport, tokens: allowedReport.tokens.length }, strangerReport }),
  });

  expect(allowedReport.posted + strangerReport.posted).toBeGreaterThanOrEqual(5000);
  for (const report of [allowedReport, strangerReport]) {
    expect(report.expectedReplies).toBeGreaterThan(500);
    expect(report.missingReplies).toEqual([]);
    expect(report.duplicateReplies).toEqual([]);
    expect(report.badApiCalls).toEqual([]);
  }
  // The allowed page got real answers and the documented errors; the stranger got refusals only.
  expect(Object.keys(allowedReport.outcomes).sort()).toEqual(expect.arrayContaining(['ok', '4200', '-32602']));
  for (const code of Object.keys(allowedReport.outcomes)) expect(['ok', '4200', '4900', '-32602']).toContain(code);
  for (const code of Object.keys(strangerReport.outcomes)) expect(['4100', '-32602']).toContain(code);
  expect(strangerReport.outcomes['4100']).toBeGreaterThan(0);
  expect(strangerReport.tokens).toEqual([]);
  // Every token handed out in the storm was the one live token.
  expect(allowedReport.tokens.length).toBe(1);
  expect(jwtPayload(allowedReport.tokens[0]!).address.toLowerCase()).toBe(DEV_ADDRESS.toLowerCase());

  // A flood of consent requests from the stranger opens one window; closing it answers them all.
  const approvalOpened = nextApprovalWindow(extension);
  const asked = stranger.evaluate(async () => {
    const calls = Array.from({ length: 200 }, () =>
      window.takoSession!.request({ method: 'tako_requestAccess' }).then(
        () => 0,
        (e: { code: number }) => e.code,
      ),
    );
    return Promise.all(calls);
  });
  await (await approvalOpened).close();
  expect(new Set(await asked)).toEqual(new Set([4001]));
  expect(approvalsOpened.filter((url) => url.includes('/approval.html'))).toHaveLength(1);

  // Still serving: the allowed page gets a working token, the stranger still nothing.
  const { result } = await callFrom(demo, 'tako_getToken');
  const token = (result as { token: string }).token;
  expect(token).toBe(allowedReport.tokens[0]);
  const status = await demo.evaluate(
    async (bearer) => (await fetch('/v2/farcaster/ignore_bid', { method: 'POST', headers: { Authorization: `Bearer ${bearer}` } })).status,
    token,
  );
  expect(status).toBe(200);
  expect(await callFrom(demo, 'tako_getSession')).toMatchObject({ result: { address: DEV_ADDRESS, state: 'signed-in' } });
  expect(await callFrom(stranger, 'tako_getSession')).toMatchObject({ isError: true, code: 4100 });
  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('token-expires')).toHaveAttribute('data-expires-at', expiresAt!);
  expect(await siteOrigins(popup)).toEqual([stack.url]);
  expect(stack.requests('/v2/token')).toHaveLength(1);

  // And the worker never threw, never logged an error, and was watched the whole time.
  expect(watch.detached).toBe(false);
  expect(watch.exceptions).toEqual([]);
  expect(watch.console.filter((line) => line.type === 'error')).toEqual([]);
  await watch.stop();
});
