/**
 * window.takoSession as a dapp sees it: consent per origin, every method after consent, the
 * sessionChanged event on allowed tabs only, connected sites in the popup, and the demo dapp
 * calling an authenticated endpoint with the token it got.
 */
import type { Page } from '@playwright/test';
import { siteOf } from '../../src/core/consent/consent.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { answerApproval, approveAccess, confirmedFrom, nextApprovalWindow } from '../support/e2e/approval-window.ts';
import { callFrom, jwtPayload, recordSessionEvents, sessionEvents } from '../support/e2e/page-api.ts';
import { expectSignedIn, signInFromPopup } from '../support/e2e/popup.ts';
import { openUrl, otherOrigin } from '../support/e2e/web-pages.ts';
import { recordWindowMessages, windowMessages } from '../support/e2e/window-messages.ts';
import { type Extension, expect, test } from './fixtures.ts';

interface SessionInfo {
  address: string;
  state: string;
  expiresAt: number;
  endpoint: string;
}

/** Lifts the cool-down that follows a refusal, in the popup, as the person would. */
async function liftCooldown(extension: Extension, origin: string): Promise<void> {
  const popup = await extension.openPage('popup.html');
  // A cool-down covers a site: for an address such as 127.0.0.1, the origin itself.
  await popup
    .locator(`[data-testid="cooldown"][data-site="${siteOf(origin)}"]`)
    .getByTestId('lift-cooldown')
    .click();
  await expect(popup.getByTestId('cooldown')).toHaveCount(0);
  await popup.close();
}

/** Counts the approval windows opened from now on. */
function countApprovalWindows(extension: Extension): () => number {
  let opened = 0;
  extension.context.on('page', (page) => {
    if (page.url().includes('/approval.html')) opened += 1;
  });
  return () => opened;
}

test('consent: deny and closing the window refuse with 4001; approve allows; then every method works from the page', async ({
  extension,
  stack,
}) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const origin = stack.url;

  expect(await callFrom(demo, 'tako_getSession')).toMatchObject({ isError: true, code: 4100 });

  // Deny: the window names the origin the browser reported, and the page gets 4001.
  let approval = nextApprovalWindow(extension);
  let access = callFrom(demo, 'tako_requestAccess');
  let approvalPage = await approval;
  await expect(approvalPage.getByTestId('request-origin')).toHaveText(origin);
  await answerApproval(approvalPage, 'deny');
  expect(await access).toMatchObject({ isError: true, code: 4001 });
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ code: 4100 });
  // A refused origin is refused without a window for a while; the person lets it ask again.
  await liftCooldown(extension, origin);

  // Closing the window is a refusal too.
  await demo.bringToFront();
  approval = nextApprovalWindow(extension);
  access = callFrom(demo, 'tako_requestAccess');
  approvalPage = await approval;
  await expect(approvalPage.getByTestId('request-origin')).toHaveText(origin);
  await approvalPage.close();
  expect(await access).toMatchObject({ isError: true, code: 4001 });
  expect(await callFrom(demo, 'tako_getSession')).toMatchObject({ code: 4100 });
  await liftCooldown(extension, origin);

  // Approve while nobody is signed in: null.
  expect(await approveAccess(extension, demo)).toEqual({ result: null });
  const approvals = countApprovalWindows(extension);

  // Already allowed: resolves at once, without a window.
  expect(await callFrom(demo, 'tako_requestAccess')).toEqual({ result: null });
  // Signed out: no session, no token.
  expect(await callFrom(demo, 'tako_getSession')).toEqual({ result: null });
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ isError: true, code: 4900 });
  // Unknown methods, including names that exist on every object.
  for (const method of ['eth_accounts', 'tako_getTokens', 'TAKO_GETTOKEN', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '']) {
    expect(await callFrom(demo, method), method).toMatchObject({ isError: true, code: 4200 });
  }
  // Malformed: a method name too long for the protocol, params that cannot be sent.
  expect(await callFrom(demo, 'x'.repeat(500))).toMatchObject({ isError: true, code: -32602 });
  expect(
    await demo.evaluate(() =>
      window
        .takoSession!.request({ method: 'tako_getToken', params: { rejectedToken: (() => 1) as unknown as string } })
        .catch((e: { code: number }) => e.code),
    ),
  ).toBe(-32602);

  // tako_signIn signs in with this page's wallet (no wallet extension here), once the person has
  // confirmed that this page will see the signature.
  const signedIn = (await confirmedFrom(extension, demo, 'tako_signIn')).result as SessionInfo;
  expect(signedIn).toEqual({ address: DEV_ADDRESS, state: 'signed-in', expiresAt: expect.any(Number), endpoint: stack.url });
  expect(stack.requests('/v2/token')).toHaveLength(1);
  expect(await demo.getByTestId('wallet-status').textContent()).toMatch(/Signed request/);

  const token = (await callFrom(demo, 'tako_getToken')).result as { token: string; tokenType: string; expiresAt: number; address: string };
  expect(token).toEqual({ token: expect.any(String), tokenType: 'Bearer', expiresAt: signedIn.expiresAt, address: DEV_ADDRESS });
  const claims = jwtPayload(token.token);
  expect(claims.type).toBe('token');
  expect(claims.address.toLowerCase()).toBe(DEV_ADDRESS.toLowerCase());
  expect(claims.exp * 1000).toBe(token.expiresAt);
  expect(await callFrom(demo, 'tako_getSession')).toEqual({ result: signedIn });

  const popup = await extension.openPage('popup.html');
  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(popup.getByTestId('token-expires')).toHaveAttribute('data-expires-at', String(signedIn.expiresAt));

  // A second origin asking while signed in gets the session on approval; two calls share one window.
  const other = await openUrl(extension, `${otherOrigin(stack.port)}/?wallet=none`);
  const otherApproval = nextApprovalWindow(extension);
  const both = Promise.all([callFrom(other, 'tako_requestAccess'), callFrom(other, 'tako_requestAccess')]);
  const otherWindow = await otherApproval;
  await expect(otherWindow.getByTestId('request-origin')).toHaveText(otherOrigin(stack.port));
  await answerApproval(otherWindow, 'approve');
  expect(await both).toEqual([{ result: signedIn }, { result: signedIn }]);
  expect(approvals(), 'the sign-in confirmation, and one window for both calls').toBe(2);

  // tako_signOut, confirmed by the person: the session goes, the origin stays allowed.
  expect(await confirmedFrom(extension, demo, 'tako_signOut')).toEqual({ result: null });
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  expect(await callFrom(demo, 'tako_getSession')).toEqual({ result: null });
  expect(await callFrom(other, 'tako_getSession')).toEqual({ result: null });
  const after = await callFrom(demo, 'tako_getToken');
  expect(after).toMatchObject({ isError: true, code: 4900 });
  expect(await callFrom(demo, 'tako_requestAccess')).toEqual({ result: null });
  expect(approvals()).toBe(3);
});

test('sessionChanged reaches every allowed tab on sign-in, refresh, expiry and sign-out, and never a tab that is not allowed', async ({
  extension,
  stack,
}) => {
  await extension.useEndpoint(stack.url);
  const allowed = await extension.openDemo({ autoconfirm: '1' });
  const allowedToo = await openUrl(extension, `${stack.url}/?wallet=none`);
  const stranger = await extension.context.newPage();
  await stranger.addInitScript(recordWindowMessages);
  await stranger.goto(`${otherOrigin(stack.port)}/?wallet=none`);

  expect(await approveAccess(extension, allowed)).toEqual({ result: null });
  for (const page of [allowed, allowedToo, stranger]) await recordSessionEvents(page);
  const last = async (page: Page) => (await sessionEvents(page)).at(-1) as SessionInfo | null | undefined;

  // Sign-in (from the page, with its wallet, confirmed by the person).
  const signedIn = (await confirmedFrom(extension, allowed, 'tako_signIn')).result as SessionInfo;
  for (const page of [allowed, allowedToo]) {
    await expect.poll(() => last(page)).toEqual(signedIn);
  }

  // Refresh (a longer lifetime makes the new token's expiry differ from the old one's).
  stack.configure({ accessTtlSec: 7200 });
  const popup = await extension.openPage('popup.html');
  await popup.getByTestId('refresh-now').click();
  await expect.poll(() => stack.requests('/v2/refresh_token').length).toBe(1);
  await expect(popup.getByTestId('token-expires')).not.toHaveAttribute('data-expires-at', String(signedIn.expiresAt));
  const refreshedAt = Number(await popup.getByTestId('token-expires').getAttribute('data-expires-at'));
  const refreshed = { ...signedIn, expiresAt: refreshedAt };
  for (const page of [allowed, allowedToo]) {
    await expect.poll(() => last(page)).toEqual(refreshed);
  }

  // Expiry: the refresh token is refused, so the session expires.
  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 401 });
  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'expired');
  for (const page of [allowed, allowedToo]) {
    await expect.poll(() => last(page)).toEqual({ ...refreshed, state: 'expired' });
  }

  // Sign-out.
  await popup.getByTestId('sign-out').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  for (const page of [allowed, allowedToo]) {
    await expect.poll(() => last(page)).toBeNull();
  }
  const seen = (await sessionEvents(allowed)).map((event) => event?.state ?? null);
  expect(seen).toEqual(expect.arrayContaining(['signed-in', 'expired', null]));

  // The tab of the origin nobody allowed heard nothing: no event, no message from the extension.
  expect(await sessionEvents(stranger)).toEqual([]);
  const strangerMessages = (await windowMessages(stranger)).map((message) => message.json).join('\n');
  expect(strangerMessages).not.toContain('"kind":"event"');
  expect(strangerMessages.toLowerCase()).not.toContain(DEV_ADDRESS.slice(2).toLowerCase());

  // Once allowed, the same tab does get the next change (so the silence above was the filter).
  expect(await approveAccess(extension, stranger)).toEqual({ result: null });
  await confirmedFrom(extension, allowed, 'tako_signIn');
  await expect.poll(() => last(stranger)).toMatchObject({ address: DEV_ADDRESS, state: 'signed-in' });
  await expect.poll(() => last(allowed)).toMatchObject({ address: DEV_ADDRESS, state: 'signed-in' });
});

test('connected sites are listed in the popup; revoking one takes effect on its next call', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const first = await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  const second = await openUrl(extension, `${otherOrigin(stack.port)}/?wallet=none`);

  await expect(popup.getByTestId('sites-empty')).toBeVisible();
  await expect(popup.getByTestId('site')).toHaveCount(0);
  await approveAccess(extension, first);
  await approveAccess(extension, second);

  const sites = popup.getByTestId('sites').getByTestId('site');
  await expect(sites).toHaveCount(2);
  await expect(popup.getByTestId('sites-empty')).toBeHidden();
  expect(await sites.evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.origin))).toEqual([
    stack.url,
    otherOrigin(stack.port),
  ]);
  await expect(sites.filter({ hasText: otherOrigin(stack.port) }).getByTestId('revoke')).toBeVisible();

  expect(await callFrom(second, 'tako_getToken')).toMatchObject({ result: { address: DEV_ADDRESS } });
  await recordSessionEvents(first);
  await recordSessionEvents(second);

  await popup
    .locator(`[data-testid="site"][data-origin="${otherOrigin(stack.port)}"]`)
    .getByTestId('revoke')
    .click();
  await expect(sites).toHaveCount(1);
  await expect(sites.first()).toHaveAttribute('data-origin', stack.url);

  // The very next call is refused, and says nothing of the session.
  for (const method of ['tako_getToken', 'tako_getSession', 'tako_signOut']) {
    const outcome = await callFrom(second, method);
    expect(outcome, method).toMatchObject({ isError: true, code: 4100 });
    expect(JSON.stringify(outcome).toLowerCase()).not.toContain(DEV_ADDRESS.slice(2).toLowerCase());
  }
  await expectSignedIn(popup);
  expect(await callFrom(first, 'tako_getToken')).toMatchObject({ result: { address: DEV_ADDRESS } });

  // No more events for the revoked origin; the allowed one still gets them.
  await popup.getByTestId('refresh-now').click();
  await expect.poll(async () => (await sessionEvents(first)).length).toBeGreaterThan(0);
  expect(await sessionEvents(second)).toEqual([]);

  // Asking again needs the person again.
  await second.bringToFront();
  const approval = nextApprovalWindow(extension);
  const access = callFrom(second, 'tako_requestAccess');
  await answerApproval(await approval, 'deny');
  expect(await access).toMatchObject({ isError: true, code: 4001 });
  await expect(sites).toHaveCount(1);
});

test('the demo dapp: request access, sign in, get a token and call ignore_bid with it', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const state = demo.getByTestId('demo-state');
  const errorBox = demo.getByTestId('demo-error');

  await expect(demo.getByTestId('demo-connection')).toHaveAttribute('data-connected', 'false');
  await expect(state).toHaveAttribute('data-state', 'not-connected');
  await demo.getByTestId('demo-get-token').click();
  await expect(errorBox).toHaveAttribute('data-code', '4100');
  await expect(errorBox).toContainText('Request access');

  const approval = nextApprovalWindow(extension);
  await demo.getByTestId('demo-request-access').click();
  await answerApproval(await approval, 'approve');
  await expect(demo.getByTestId('demo-connection')).toHaveAttribute('data-connected', 'true');
  await expect(state).toHaveAttribute('data-state', 'signed-out');
  await expect(errorBox).toBeHidden();

  await demo.getByTestId('demo-call-api').click();
  await expect(errorBox).toHaveAttribute('data-code', '4900');
  expect(stack.requests('/v2/farcaster/ignore_bid')).toHaveLength(0);

  // The demo signs in with its own wallet: the person first confirms that the page sees the signature.
  const signInConfirmation = nextApprovalWindow(extension);
  await demo.getByTestId('demo-sign-in').click();
  await answerApproval(await signInConfirmation, 'approve');
  await expect(state).toHaveAttribute('data-state', 'signed-in');
  await expect(demo.getByTestId('demo-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  // The sign-in also arrived as a sessionChanged event.
  await expect(demo.getByTestId('demo-events')).toHaveAttribute('data-count', /^[1-9]/);
  await expect(demo.getByTestId('demo-events')).toContainText(`signed-in ${DEV_ADDRESS}`);

  await demo.getByTestId('demo-get-token').click();
  await expect(demo.getByTestId('demo-token')).toContainText(`Bearer eyJ`);
  await expect(demo.getByTestId('demo-token')).toContainText(DEV_ADDRESS);

  await demo.getByTestId('demo-call-api').click();
  const result = demo.getByTestId('demo-result');
  await expect(result).toHaveAttribute('data-status', '200');
  await expect(result).toContainText('"ignored": true');
  await expect(result).toContainText(DEV_ADDRESS);
  const calls = stack.requests('/v2/farcaster/ignore_bid');
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({ method: 'POST', authorization: true, status: 200 });

  // A page's sign-out is a request the person confirms.
  const signOutConfirmation = nextApprovalWindow(extension);
  await demo.getByTestId('demo-sign-out').click();
  await answerApproval(await signOutConfirmation, 'approve');
  await expect(state).toHaveAttribute('data-state', 'signed-out');
  await expect(demo.getByTestId('demo-events')).toContainText('signed out');
  await demo.getByTestId('demo-call-api').click();
  await expect(errorBox).toHaveAttribute('data-code', '4900');
  expect(stack.requests('/v2/farcaster/ignore_bid')).toHaveLength(1);
});
