/**
 * A page the person did not allow, asking for the session anyway, in real Chromium: an origin
 * nobody allowed or one that was revoked, a sandboxed page (an opaque origin, even at an allowed
 * origin's URL) that skips the page world and posts to the relay itself, and a cross-origin iframe
 * inside an allowed page. Each is refused and learns nothing of the session.
 */
import type { Page } from '@playwright/test';
import { CONTENT_CHANNEL, PAGE_CHANNEL } from '../../src/core/contract/channels.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { recordContentScriptMessages } from '../support/e2e/content-script-log.ts';
import { ADDRESS_HEX, JWT } from '../support/e2e/leak-patterns.ts';
import { callFrom, jwtPayload, recordSessionEvents, sessionEvents } from '../support/e2e/page-api.ts';
import { expectSignedIn, signedInAndAllowed, siteOrigins } from '../support/e2e/popup.ts';
import { openPlainPage, otherOrigin } from '../support/e2e/web-pages.ts';
import { recordWindowMessages, windowMessages } from '../support/e2e/window-messages.ts';
import { expect, test } from './fixtures.ts';

test('an origin nobody allowed, and one that was revoked, get 4100 for every method and learn nothing', async ({ extension, stack }) => {
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');
  const stranger = await openPlainPage(extension, `${otherOrigin(stack.port)}/plain`);
  await recordSessionEvents(stranger);
  const approvalsOpened: string[] = [];
  extension.context.on('page', (page) => approvalsOpened.push(page.url()));

  const methods = [
    'tako_getToken',
    'tako_getSession',
    'tako_signIn',
    'tako_signOut',
    'metahuman_getToken',
    'tako_unknown',
    'eth_requestAccounts',
    'constructor',
    '__proto__',
  ];
  const probe = async (page: Page) => {
    for (const method of methods) {
      for (const params of [[], [{ origin: stack.url }]] as const) {
        const outcome = await callFrom(page, method, ...params);
        expect(outcome, method).toEqual({ isError: true, code: 4100, message: expect.any(String) });
        expect(JSON.stringify(outcome).toLowerCase(), method).not.toContain(ADDRESS_HEX);
      }
    }
  };

  await probe(stranger);
  // Nothing of the session reached the page by any path: replies, events, the DOM.
  const heard = (await windowMessages(stranger)).map((m) => m.json).join('\n');
  expect(heard).toContain('"code":4100');
  expect(heard.toLowerCase()).not.toContain(ADDRESS_HEX);
  expect(heard).not.toMatch(JWT);
  expect(heard).not.toContain('"kind":"wallet-request"');
  expect((await stranger.content()).toLowerCase()).not.toContain(ADDRESS_HEX);

  // A sandboxed page has an opaque origin, even at the allowed origin's URL: refused at once.
  const sandboxed = await openPlainPage(extension, `${stack.url}/sandboxed`, '<p>Sandboxed.</p>', {
    'Content-Security-Policy': 'sandbox allow-scripts',
  });
  for (const method of ['tako_requestAccess', 'tako_getSession', 'tako_getToken']) {
    expect(await callFrom(sandboxed, method), method).toEqual({ isError: true, code: 4100, message: expect.any(String) });
  }

  // And it changed nothing: same session, no sign-in, no sign-out, no window.
  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('token-expires')).toHaveAttribute('data-expires-at', expiresAt!);
  expect(stack.requests('/v2/token')).toHaveLength(1);
  expect(await siteOrigins(popup)).toEqual([stack.url]);

  // Revoked: the demo's origin was allowed and is revoked in the popup.
  await popup.locator(`[data-testid="site"][data-origin="${stack.url}"]`).getByTestId('revoke').click();
  await expect(popup.getByTestId('site')).toHaveCount(0);
  await demo.evaluate(recordWindowMessages);
  await recordSessionEvents(demo);
  await probe(demo);
  const heardAfterRevoke = (await windowMessages(demo)).map((m) => m.json).join('\n');
  expect(heardAfterRevoke).toContain('"code":4100');
  expect(heardAfterRevoke.toLowerCase()).not.toContain(ADDRESS_HEX);
  expect(heardAfterRevoke).not.toMatch(JWT);

  // A refresh now tells no one: neither page is allowed. (A longer lifetime makes the new token's
  // expiry differ from the old one's, whole seconds being all a JWT has, so the popup shows it.)
  stack.configure({ accessTtlSec: 7200 });
  await popup.getByTestId('refresh-now').click();
  await expect.poll(() => stack.requests('/v2/refresh_token').length).toBe(1);
  await expect(popup.getByTestId('token-expires')).not.toHaveAttribute('data-expires-at', expiresAt!);
  expect(await sessionEvents(stranger)).toEqual([]);
  expect(await sessionEvents(demo)).toEqual([]);
  await expectSignedIn(popup);
  expect(stack.requests('/v2/token')).toHaveLength(1);
  expect(approvalsOpened.filter((url) => url.includes('/approval.html'))).toEqual([]);
});

test('a sandboxed page that posts to the relay directly is refused by the background', async ({ extension, stack }) => {
  // Guards: the background refuses a sender whose origin is opaque ("null"), even at an allowed
  // origin's URL. The page world refuses sandboxed pages too, so this page skips it and talks to the
  // relay itself; bypassing the background's check lets it read the token and sign the person out.
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');
  const sandboxed = await openPlainPage(extension, `${stack.url}/sandboxed-relay`, '<p>Sandboxed.</p>', {
    'Content-Security-Policy': 'sandbox allow-scripts',
  });
  expect(await sandboxed.evaluate(() => window.origin)).toBe('null');

  // The relay's replies go to the page's own origin, which an opaque document does not have, so the
  // page never reads them: what the background answered is read in the content script's world.
  const relayLog = await recordContentScriptMessages(extension, sandboxed);
  const methods = ['tako_getToken', 'tako_getSession', 'tako_signOut', 'tako_requestAccess'];
  await sandboxed.evaluate(
    ({ PAGE_CHANNEL, methods }) => {
      // In this order, so that sign-out comes after the reads.
      for (const method of methods) window.postMessage({ channel: PAGE_CHANNEL, kind: 'request', id: method, method }, '*');
    },
    { PAGE_CHANNEL, methods },
  );
  const answers = async () =>
    (await relayLog())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as [string, unknown])
      .filter(([direction]) => direction === 'reply')
      .map(([, reply]) => reply);
  await expect.poll(async () => (await answers()).length).toBe(methods.length);
  // The background does not answer an opaque sender at all (the relay then refuses with 4100).
  expect(await answers()).toEqual(methods.map(() => null));
  expect(await relayLog()).not.toMatch(JWT);
  expect((await relayLog()).toLowerCase()).not.toContain(ADDRESS_HEX);

  // Still signed in, same token, and the allowed page still gets it.
  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('token-expires')).toHaveAttribute('data-expires-at', expiresAt!);
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ result: { address: DEV_ADDRESS } });
});

test('a cross-origin iframe cannot get the top page’s token', async ({ extension, stack }) => {
  const { popup } = await signedInAndAllowed(extension, stack);
  const frameUrl = `${otherOrigin(stack.port)}/frame`;
  await extension.context.route(frameUrl, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><p>frame</p>' }));
  // The top page is on the allowed origin; the frame is not.
  const top = await openPlainPage(extension, `${stack.url}/with-frame`, `<iframe src="${frameUrl}"></iframe>`);
  await recordSessionEvents(top);
  await expect.poll(() => top.frames().length).toBe(2);
  const frame = top.frames().find((f) => f.url() === frameUrl)!;
  await frame.waitForLoadState();
  const approvalsOpened: string[] = [];
  extension.context.on('page', (page) => approvalsOpened.push(page.url()));

  const attempts = await frame.evaluate(
    async ({ PAGE_CHANNEL, CONTENT_CHANNEL }) => {
      const own = typeof (window as { takoSession?: unknown }).takoSession;
      let reachTop: string;
      try {
        reachTop = typeof (window.top as unknown as { takoSession?: unknown }).takoSession;
      } catch (error) {
        reachTop = (error as Error).name;
      }
      // Ask the top page's relay directly, as the page world would.
      for (const method of ['tako_getToken', 'tako_getSession', 'tako_requestAccess']) {
        window.top!.postMessage({ channel: PAGE_CHANNEL, kind: 'request', id: `frame-${method}`, method }, '*');
      }
      window.top!.postMessage(
        { channel: CONTENT_CHANNEL, kind: 'wallet-request', id: 'frame-w', request: { action: 'list-wallets' } },
        '*',
      );
      return { own, reachTop };
    },
    { PAGE_CHANNEL, CONTENT_CHANNEL },
  );
  // The page world runs in top frames only, and the top page's object is out of reach.
  expect(attempts).toEqual({ own: 'undefined', reachTop: 'SecurityError' });

  // The top page itself gets its token.
  const outcome = await callFrom(top, 'tako_getToken');
  const token = (outcome.result as { token: string }).token;
  expect(jwtPayload(token).type).toBe('token');

  // A refresh reaches the top page, not the frame.
  await popup.getByTestId('refresh-now').click();
  await expect.poll(async () => (await sessionEvents(top)).length).toBeGreaterThan(0);

  const topHeard = await windowMessages(top);
  // The relay ignored what came from the frame: no reply to any of its ids, no wallet request.
  expect(topHeard.filter((m) => !m.fromSelf).length).toBe(4);
  expect(topHeard.filter((m) => m.fromSelf && /"id":"frame-/.test(m.json))).toEqual([]);
  expect(topHeard.some((m) => m.json.includes(token))).toBe(true);
  const frameHeard = (await windowMessages(frame)).map((m) => m.json).join('\n');
  expect(frameHeard).not.toContain(token);
  expect(frameHeard).not.toMatch(JWT);
  expect(frameHeard.toLowerCase()).not.toContain(ADDRESS_HEX);
  expect(frameHeard).not.toContain(CONTENT_CHANNEL);
  expect(approvalsOpened.filter((url) => url.includes('/approval.html'))).toEqual([]);
});
