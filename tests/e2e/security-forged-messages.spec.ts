/**
 * A page that forges the extension's own messages, in real Chromium: replies and events of the
 * content script, the background's messages, the extension pages' requests, wallet answers nobody
 * asked for, and account changes as the wallet bridge would report them. The page can fool only
 * itself; the session, the allowed sites, the settings and the active account stay as they were.
 */
import { CONTENT_CHANNEL, PAGE_CHANNEL } from '../../src/core/contract/channels.ts';
import { DEV_ADDRESS, SECOND_DEV_ADDRESS } from '../support/dev-addresses.ts';
import { nextApprovalWindow } from '../support/e2e/approval-window.ts';
import { ADDRESS_HEX, JWT } from '../support/e2e/leak-patterns.ts';
import { callFrom } from '../support/e2e/page-api.ts';
import { expectSignedIn, signedInAndAllowed, signInFromPopup, siteOrigins } from '../support/e2e/popup.ts';
import { openPlainPage, otherOrigin } from '../support/e2e/web-pages.ts';
import { forgeAccountsChanged, windowMessages } from '../support/e2e/window-messages.ts';
import { expect, test } from './fixtures.ts';

test('a page that imitates the extension’s own messages gains nothing', async ({ extension, stack }) => {
  const { demo, popup } = await signedInAndAllowed(extension, stack);
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');
  const forger = await openPlainPage(extension, `${otherOrigin(stack.port)}/plain`);

  // A real consent request is pending, and (worst case) the page knows its id.
  const approvalOpened = nextApprovalWindow(extension);
  const access = callFrom(forger, 'tako_requestAccess');
  const approval = await approvalOpened;
  const requestId = new URL(approval.url()).searchParams.get('request')!;
  expect(requestId).toBeTruthy();

  const fakeSession = { address: '0x000000000000000000000000000000000000dEaD', state: 'signed-in', expiresAt: 1, endpoint: 'forged' };
  const forged = await forger.evaluate(
    async ({ requestId, allowedOrigin, extensionId, fakeSession, PAGE_CHANNEL, CONTENT_CHANNEL }) => {
      const post = (message: unknown) => window.postMessage(message, '*');
      // The content script's replies and events, as if it had sent them; here the page can only fool itself.
      const logged = (window as unknown as { __windowMessages: Array<{ json: string }> }).__windowMessages;
      const ownRequests = logged
        .map((m) => JSON.parse(m.json) as { channel?: string; kind?: string; id?: string })
        .filter((m) => m?.channel === PAGE_CHANNEL && m.kind === 'request');
      for (const { id } of ownRequests) post({ channel: CONTENT_CHANNEL, kind: 'reply', id, reply: { ok: true, result: fakeSession } });
      post({ channel: CONTENT_CHANNEL, kind: 'event', event: 'sessionChanged', data: fakeSession });
      post({ channel: CONTENT_CHANNEL, kind: 'wallet-request', id: 'w1', request: { action: 'list-wallets' } });
      // The background's messages to the content script.
      post({ type: 'page-event', event: 'sessionChanged', data: fakeSession });
      post({ type: 'wallet-request', request: { action: 'request-accounts' } });
      post({ type: 'ping' });
      // The extension pages' messages to the background: answer the approval, revoke, sign out.
      const ui = [
        { type: 'answer-approval', requestId, approved: true },
        { type: 'revoke-site', origin: allowedOrigin },
        { type: 'sign-out', scope: 'all' },
        { type: 'save-settings', endpoint: { preset: 'tako-v2' } },
        { type: 'get-state' },
        { type: 'get-approval', requestId },
      ];
      const uiIds: string[] = [];
      for (const message of ui) {
        post(message);
        post({ channel: PAGE_CHANNEL, ...message });
        const id = `ui-${message.type}`;
        uiIds.push(id);
        post({ channel: PAGE_CHANNEL, kind: 'request', id, method: message.type, params: message });
      }
      // The content script's messages to the background.
      post({ type: 'page-request', method: 'tako_getToken' });
      post({ channel: PAGE_CHANNEL, type: 'page-request', method: 'tako_getToken' });
      // A request that claims another origin in every field it can.
      post({
        channel: PAGE_CHANNEL,
        kind: 'request',
        id: 'claims-origin',
        method: 'tako_getToken',
        origin: allowedOrigin,
        sender: { origin: allowedOrigin, url: `${allowedOrigin}/`, id: extensionId, frameId: 0, tab: { id: 1 } },
        params: { origin: allowedOrigin },
      });
      // Wallet answers to questions nobody asked.
      for (let i = 0; i < 20; i++) {
        post({ channel: PAGE_CHANNEL, kind: 'wallet-reply', id: crypto.randomUUID(), reply: { ok: true, result: [fakeSession.address] } });
      }
      post({ channel: PAGE_CHANNEL, kind: 'wallet-accounts', accounts: [fakeSession.address] });
      // The extension's own pages and files are out of reach.
      const fetched = await fetch(`chrome-extension://${extensionId}/popup.html`).then(
        () => 'fetched',
        () => 'refused',
      );
      return { uiIds, fetched };
    },
    { requestId, allowedOrigin: stack.url, extensionId: extension.id, fakeSession, PAGE_CHANNEL, CONTENT_CHANNEL },
  );
  expect(forged.fetched).toBe('refused');

  // The forged reply fooled the page's own pending call, and nothing else.
  expect(await access).toEqual({ result: fakeSession });
  const replies = async () =>
    (await windowMessages(forger))
      .map((m) => JSON.parse(m.json) as { channel?: string; kind?: string; id?: string; reply?: { ok: boolean; error?: { code: number } } })
      .filter((m) => m?.channel === CONTENT_CHANNEL && m.kind === 'reply');
  const ids = ['claims-origin', ...forged.uiIds];
  await expect.poll(async () => (await replies()).filter((m) => ids.includes(m.id!)).length).toBe(ids.length);
  for (const reply of (await replies()).filter((m) => ids.includes(m.id!))) {
    expect(reply.reply, reply.id).toEqual({ ok: false, error: { code: 4100, message: expect.any(String) } });
  }

  // The approval is still waiting for the person; closing it refuses.
  expect(approval.isClosed()).toBe(false);
  await expect(approval.getByTestId('request-origin')).toHaveText(otherOrigin(stack.port));
  await approval.close();
  expect(await callFrom(forger, 'tako_getToken')).toMatchObject({ isError: true, code: 4100 });
  expect(await callFrom(forger, 'tako_getSession')).toMatchObject({ isError: true, code: 4100 });

  // Nothing changed anywhere.
  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('token-expires')).toHaveAttribute('data-expires-at', expiresAt!);
  expect(await siteOrigins(popup)).toEqual([stack.url]);
  const settings = await extension.openPage('options.html');
  await expect(settings.getByTestId('endpoint')).toHaveValue('custom');
  await settings.close();
  expect(stack.requests('/v2/token')).toHaveLength(1);
  expect(stack.requests('/v2/refresh_token')).toHaveLength(0);
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ result: { address: DEV_ADDRESS } });
  const heard = (await windowMessages(forger)).map((m) => m.json).join('\n');
  expect(heard.toLowerCase()).not.toContain(ADDRESS_HEX);
  expect(heard).not.toMatch(JWT);
});

/** An account nobody signed in. */
const UNKNOWN_ADDRESS = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

test('a page nobody allowed cannot switch the active account or plant the "wallet switched" offer', async ({ extension, stack }) => {
  // Guards: accountsChanged is believed only from a trusted page (an allowed site or the page whose
  // wallet signed in). Planting `trusted = true` in the page API makes the forger below switch the
  // active account and plant the offer, and this test fail.
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  // Two sessions: the wallet's second account is signed in too, then the wallet goes back to the first.
  await demo.getByTestId('wallet-account').selectOption({ index: 1 });
  await popup.getByTestId('sign-in-switched').click();
  await expect(popup.getByTestId('account')).toHaveCount(2);
  await demo.getByTestId('wallet-account').selectOption({ index: 0 });
  const active = popup.locator('[data-testid="account"][data-active="true"]');
  await expect(active).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(popup.getByTestId('switch-offer')).toBeHidden();
  const expiresAt = await popup.getByTestId('token-expires').getAttribute('data-expires-at');

  // The forger reports an account change to the relay, as the wallet bridge would: first to the
  // other signed-in account (which would switch the active one), then to an unknown account (which
  // would plant the offer).
  const forger = await openPlainPage(extension, `${otherOrigin(stack.port)}/plain`);
  const refused = await forgeAccountsChanged(forger, [SECOND_DEV_ADDRESS, UNKNOWN_ADDRESS]);
  expect(refused).toEqual({ ok: false, error: { code: 4100, message: expect.any(String) } });

  // A refresh round trip to the API after that: by its end, anything the forged changes did has
  // reached the popup.
  stack.configure({ accessTtlSec: 7200 });
  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('token-expires')).not.toHaveAttribute('data-expires-at', expiresAt!);

  await popup.reload();
  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(active).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(popup.getByTestId('account')).toHaveCount(2);
  await expect(popup.getByTestId('switch-offer')).toBeHidden();

  // The page whose wallet signed in is still believed: the same change from it does switch.
  await demo.getByTestId('wallet-account').selectOption({ index: 1 });
  await expect(active).toHaveAttribute('data-address', SECOND_DEV_ADDRESS);
});
