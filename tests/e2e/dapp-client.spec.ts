/**
 * What a dapp relies on beyond the happy path, through the demo dapp (which makes every call with
 * the client module in src/client/) and the page API: recovering from a 401 the API gives before
 * the token's exp, one refresh for many tabs, giving up access, access events, the reasons of a
 * 4900, and waiting for the extension with and without it.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { chromiumPath } from '../../tools/dev/launch.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { approveAccess } from '../support/e2e/approval-window.ts';
import { callFrom, recordEvents, recordedEvents } from '../support/e2e/page-api.ts';
import { signedInAndAllowed } from '../support/e2e/popup.ts';
import { openUrl, otherOrigin } from '../support/e2e/web-pages.ts';
import { expect, test } from './fixtures.ts';

const IGNORE_BID = '/v2/farcaster/ignore_bid';

const recordAccessEvents = (page: Page) => recordEvents(page, 'accessChanged');
const accessEvents = (page: Page) => recordedEvents(page, 'accessChanged');

/** `tako_getToken` with `{ rejectedToken }` from a page. */
function reportRejected(page: Page, rejectedToken: string) {
  return callFrom(page, 'tako_getToken', { rejectedToken });
}

test('the API revokes the token: the client fetch gets 401, recovers with one refresh, and succeeds', async ({ extension, stack }) => {
  const { demo } = await signedInAndAllowed(extension, stack);
  // Guards: a token refused before its exp is replaced, not handed out again (SPEC: rejectedToken).
  expect(stack.revokeAccessTokens()).toBe(1);
  await demo.getByTestId('demo-call-api').click();
  const result = demo.getByTestId('demo-result');
  await expect(result).toHaveAttribute('data-status', '200');
  await expect(result).toContainText('"ignored": true');
  expect(stack.requests(IGNORE_BID).map((request) => request.status)).toEqual([401, 200]);
  expect(stack.requests('/v2/refresh_token').map((request) => request.status)).toEqual([200]);
  expect(stack.requests('/v2/token')).toHaveLength(1);
});

test('five tabs reporting the same rejected token cause one refresh; a replaced token causes none', async ({ extension, stack }) => {
  const { demo } = await signedInAndAllowed(extension, stack);
  const tabs = [demo, ...(await Promise.all(Array.from({ length: 4 }, () => extension.openDemo())))];
  const tokens = await Promise.all(tabs.map(async (tab) => ((await callFrom(tab, 'tako_getToken')).result as { token: string }).token));
  expect(new Set(tokens).size).toBe(1);
  const [rejected] = tokens as [string];
  stack.revokeAccessTokens();

  const replies = await Promise.all(tabs.map((tab) => reportRejected(tab, rejected)));
  const fresh = replies.map((reply) => (reply.result as { token: string }).token);
  expect(new Set(fresh).size).toBe(1);
  expect(fresh[0]).not.toBe(rejected);
  expect(stack.requests('/v2/refresh_token')).toHaveLength(1);

  // A tab that reports the old token late gets the current one, with no request.
  expect(await reportRejected(tabs[4]!, rejected)).toMatchObject({ result: { token: fresh[0], address: DEV_ADDRESS } });
  expect(stack.requests('/v2/refresh_token')).toHaveLength(1);

  // Bad params never force a refresh.
  for (const params of [{ rejectedToken: 7 }, { rejectedToken: fresh[0], again: true }, { rejectedToken: 'x'.repeat(9000) }]) {
    expect(await callFrom(demo, 'tako_getToken', params)).toMatchObject({ isError: true, code: TakoSessionErrorCode.InvalidParams });
  }
  expect(stack.requests('/v2/refresh_token')).toHaveLength(1);
});

test('accessChanged on approval and on self-revoke reaches every tab of the origin and no other; then 4100', async ({
  extension,
  stack,
}) => {
  const { demo } = await signedInAndAllowed(extension, stack);
  const sameOrigin = await extension.openDemo();
  // Another origin, allowed too: it must hear nothing of the demo's access.
  const other = await openUrl(extension, `${otherOrigin(stack.port)}/`);
  await Promise.all([recordAccessEvents(demo), recordAccessEvents(sameOrigin), recordAccessEvents(other)]);
  expect(await approveAccess(extension, other)).toMatchObject({ result: { address: DEV_ADDRESS } });
  await expect.poll(() => accessEvents(other)).toEqual([{ allowed: true }]);

  // The demo gives up its own access through the client.
  await demo.getByTestId('demo-revoke-access').click();
  await expect.poll(() => accessEvents(demo)).toEqual([{ allowed: false }]);
  await expect.poll(() => accessEvents(sameOrigin)).toEqual([{ allowed: false }]);
  await expect(demo.getByTestId('demo-connection')).toHaveAttribute('data-connected', 'false');
  expect(await callFrom(sameOrigin, 'tako_getToken')).toMatchObject({ isError: true, code: TakoSessionErrorCode.Unauthorized });
  // The other origin heard only its own approval, and still works.
  expect(await accessEvents(other)).toEqual([{ allowed: true }]);
  expect(await callFrom(other, 'tako_getToken')).toMatchObject({ result: { address: DEV_ADDRESS } });

  // Allowed again: both demo tabs hear it.
  expect(await approveAccess(extension, demo)).toMatchObject({ result: { address: DEV_ADDRESS } });
  await expect.poll(() => accessEvents(sameOrigin)).toEqual([{ allowed: false }, { allowed: true }]);
  await expect.poll(() => accessEvents(demo)).toEqual([{ allowed: false }, { allowed: true }]);
});

test('a 4900 says why: signed-out, expired (refresh refused), refresh-failing (a reported token whose refresh fails)', async ({
  extension,
  stack,
}) => {
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const noSession = (reason: string) => ({ isError: true, code: TakoSessionErrorCode.NoSession, data: { reason } });

  // The API refuses the reported token and its refresh fails for now (503): refresh-failing.
  const { token } = (await callFrom(demo, 'tako_getToken')).result as { token: string };
  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 503 });
  expect(await reportRejected(demo, token)).toMatchObject(noSession('refresh-failing'));
  await demo.getByTestId('demo-get-token').click();
  await expect(demo.getByTestId('demo-token')).toContainText('Bearer eyJ');
  // The failure is retried on its backoff and succeeds; the next fault is for the refresh below.
  await expect.poll(() => stack.requests('/v2/refresh_token').map((request) => request.status)).toEqual([503, 200]);
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-in');

  // The refresh is refused (401): the session expired.
  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 401 });
  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'expired');
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject(noSession('expired'));
  await demo.getByTestId('demo-get-token').click();
  await expect(demo.getByTestId('demo-error')).toHaveAttribute('data-reason', 'expired');

  // Signed out: signed-out.
  await popup.getByTestId('sign-out').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject(noSession('signed-out'));
});

test('the client waits for the extension: connected with it, a clear error without it', async ({ extension, stack }) => {
  const withExtension = await extension.openDemo();
  await expect(withExtension.getByTestId('demo-connection')).toHaveAttribute('data-connected', 'false');
  await expect(withExtension.getByTestId('demo-connection')).toContainText('Not connected');

  // The same page in a browser without the extension: the wait ends with the client's error.
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tako-session-bare-'));
  const bare = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await bare.newPage();
    await page.goto(`${stack.url}/?waitMs=500`);
    await expect(page.getByTestId('demo-connection')).toHaveAttribute('data-connected', 'false');
    await expect(page.getByTestId('demo-connection')).toContainText('did not appear within 500 ms');
    expect(await page.evaluate(() => typeof window.takoSession)).toBe('undefined');
  } finally {
    await bare.close();
    await rm(profile, { recursive: true, force: true });
  }
});
