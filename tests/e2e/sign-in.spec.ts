/**
 * Sign-in from the popup in real Chromium with the demo page's dev wallet: one canonical, fresh
 * message posted; refusals and a missing wallet said plainly; two wallets to pick from; sign-out;
 * the v1 API; and the endpoint form (https only, http:// on this computer alone, no redirects).
 */

import { StorageKeys } from '../../src/background/storage/storage-keys.ts';
import { buildSignInMessage, parseSignInMessage } from '../../src/core/eth/sign-in-message.ts';
import { DEV_WALLET_B_INFO, DEV_WALLET_INFO } from '../../tools/stack/demo/dev-wallet.ts';
import { DEV_ADDRESS, SECOND_DEV_ADDRESS } from '../support/dev-addresses.ts';
import { alarmNames, readStore } from '../support/e2e/extension-state.ts';
import { expectSignedIn, signInFromPopup } from '../support/e2e/popup.ts';
import { expect, test } from './fixtures.ts';

test('popup sign-in through the demo wallet posts one canonical, fresh message', async ({ extension, stack }) => {
  await extension.useEndpointInOptions(stack.url);
  await extension.openDemo({ autoconfirm: '1' });
  const before = Date.now();
  const popup = await signInFromPopup(extension);

  await expectSignedIn(popup);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(popup.getByTestId('token-expires')).toHaveText(/^\d+( h \d\d min|:\d\d)$/);
  const expiresAt = Number(await popup.getByTestId('token-expires').getAttribute('data-expires-at'));
  expect(expiresAt).toBeGreaterThan(Date.now());

  const signIns = stack.requests('/v2/token');
  expect(signIns).toHaveLength(1);
  const { message } = signIns[0]!.body as { message: string; signature: string };
  const { issuedAtMs, issuedAtText } = parseSignInMessage(message);
  expect(message).toBe(buildSignInMessage(DEV_ADDRESS, issuedAtText));
  // Fresh: issued during this sign-in, not reused from an earlier one.
  expect(issuedAtMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  expect(issuedAtMs).toBeLessThanOrEqual(Date.now());
  expect(stack.requests('/v1/token')).toHaveLength(0);
});

test('the wallet refusing leaves a readable error and stores nothing', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo();
  const popup = await signInFromPopup(extension);
  await demo.getByTestId('wallet-reject').click();

  await expect(popup.getByTestId('error')).toContainText(/declined/i);
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  expect(stack.requests('/v2/token')).toHaveLength(0);
  const stored = await readStore(extension);
  expect(Object.keys(stored).filter((key) => key.startsWith(StorageKeys.sessionPrefix))).toEqual([]);
});

test('a signature from another key is refused before anything is sent', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  await extension.openDemo({ autoconfirm: '1', signer: '1' });
  const popup = await signInFromPopup(extension);

  await expect(popup.getByTestId('error')).toContainText(new RegExp(`signed with ${SECOND_DEV_ADDRESS}`));
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  expect(stack.requests('/v2/token')).toHaveLength(0);
  expect(stack.requests('/v1/token')).toHaveLength(0);
});

test('no wallet on the page is said plainly', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  await extension.openDemo({ wallet: 'none' });
  const popup = await signInFromPopup(extension);
  await expect(popup.getByTestId('error')).toContainText(/No wallet found on http:\/\/127\.0\.0\.1:\d+/);
  expect(stack.requests('/v2/token')).toHaveLength(0);
});

test('a page that never used window.takoSession is reached for sign-in: the injected relay connects at once', async ({
  extension,
  stack,
}) => {
  // The relay connects to the background on the page's first message; the background reaches a
  // page that sent none by injecting the relay, which must then connect without waiting.
  await extension.useEndpoint(stack.url);
  const page = await extension.context.newPage();
  await page.route('**/plain', (route) =>
    route.fulfill({ contentType: 'text/html; charset=utf-8', body: '<!doctype html><title>plain</title><p>No script.</p>' }),
  );
  await page.goto(`${stack.url}/plain`);
  await expect.poll(() => page.evaluate(() => typeof window.takoSession)).toBe('object');
  const popup = await signInFromPopup(extension);
  // The page has no wallet: the wallet bridge in it says so, so the request reached it.
  await expect(popup.getByTestId('error')).toContainText(/No wallet found on http:\/\/127\.0\.0\.1:\d+/);
  expect(stack.requests('/v2/token')).toHaveLength(0);
});

// Guards: the person tells a page's wallets apart by their icons and checked reverse-DNS names;
// the names the wallets give themselves are the page's free text, shown nowhere in the popup.
test('with two wallets the person picks one by icon and reverse-DNS name', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  await extension.openDemo({ autoconfirm: '1', wallets: '2' });
  const popup = await signInFromPopup(extension);
  const options = popup.getByTestId('wallet-option');
  await expect(options).toHaveCount(2);
  await expect(options.locator('img')).toHaveCount(2);
  await expect(options).toHaveText([DEV_WALLET_INFO.rdns, DEV_WALLET_B_INFO.rdns]);
  const shown = await popup.evaluate(() => document.documentElement.outerHTML);
  for (const name of [DEV_WALLET_INFO.name, DEV_WALLET_B_INFO.name]) expect(shown).not.toContain(name);
  await options.filter({ hasText: DEV_WALLET_B_INFO.rdns }).click();
  await expectSignedIn(popup);
  // Dev Wallet B holds key #1.
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', SECOND_DEV_ADDRESS);
});

test('sign-out removes the tokens from storage and the refresh alarm', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);

  const stored = await readStore(extension);
  const sessions = Object.entries(stored).filter(([key]) => key.startsWith(StorageKeys.sessionPrefix));
  expect(sessions).toHaveLength(1);
  expect(await alarmNames(extension)).toEqual([expect.stringMatching(/^refresh /)]);

  await popup.getByTestId('sign-out').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  const after = await readStore(extension);
  expect(Object.keys(after).filter((key) => key.startsWith(StorageKeys.sessionPrefix))).toEqual([]);
  expect(JSON.stringify(after)).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  expect(await alarmNames(extension)).toEqual([]);
});

test.describe('legacy v1 preset', () => {
  test('signs in on /v1/token and refreshes on /v1/refresh_token', async ({ extension, stack }) => {
    await extension.useEndpointInOptions(stack.url, 'v1');
    await extension.openDemo({ autoconfirm: '1' });
    const popup = await signInFromPopup(extension);
    await expectSignedIn(popup);
    await popup.getByTestId('refresh-now').click();
    await expect.poll(() => stack.requests('/v1/refresh_token').length).toBe(1);
    await expectSignedIn(popup);
    expect(stack.requests('/v1/token')).toHaveLength(1);
    expect(stack.requests('/v2/token')).toHaveLength(0);
    expect(stack.requests('/v2/refresh_token')).toHaveLength(0);
  });
});

test('sign-in goes on in the background when the popup closes', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo();
  const popup = await signInFromPopup(extension);
  // The wallet takes focus and the popup closes, as it does in a real browser.
  await expect(demo.getByTestId('wallet-confirm')).toBeVisible();
  await popup.close();
  await demo.getByTestId('wallet-confirm').click();

  await expect.poll(() => stack.requests('/v2/token').map((r) => r.status)).toEqual([200]);
  const reopened = await extension.openPage('popup.html');
  await expectSignedIn(reopened);
  await expect(reopened.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
});

test('the endpoint form opens only once it shows the stored choice, so a quick edit is never overwritten', async ({ extension, stack }) => {
  await extension.useEndpointInOptions(stack.url, 'v1');
  // Every state of the endpoint select from the first parse on: disabled or not, and what it shows.
  await extension.context.addInitScript(() => {
    if (!location.pathname.endsWith('/options.html')) return;
    const seen: Array<{ disabled: boolean; preset: string; baseUrl: string; version: string }> = [];
    Object.defineProperty(window, '__endpointForm', { value: seen });
    const record = () => {
      const field = (id: string) => document.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-testid="${id}"]`)!;
      const preset = field('endpoint') as HTMLSelectElement;
      seen.push({ disabled: preset.disabled, preset: preset.value, baseUrl: field('base-url').value, version: field('api-version').value });
    };
    document.addEventListener('DOMContentLoaded', record);
    new MutationObserver(record).observe(document, { subtree: true, attributes: true, attributeFilter: ['disabled'] });
  });

  const options = await extension.openPage('options.html');
  await expect(options.getByTestId('endpoint')).toBeEnabled();
  const seen = await options.evaluate(() => (window as unknown as { __endpointForm: unknown[] }).__endpointForm);
  expect(seen[0]).toMatchObject({ disabled: true });
  const opened = seen.find((state) => !(state as { disabled: boolean }).disabled);
  expect(opened).toEqual({ disabled: false, preset: 'custom', baseUrl: stack.url, version: 'v1' });
});

test('a custom base URL must be https:// (http:// only on this computer), in the form and in the background', async ({ extension }) => {
  const options = await extension.openPage('options.html');
  await expect(options.getByTestId('endpoint')).toBeEnabled();
  await options.getByTestId('endpoint').selectOption('custom');
  await options.getByTestId('base-url').fill('http://api.example.com');
  await options.getByTestId('save').click();
  await expect(options.getByTestId('options-error')).toContainText('must start with https://');
  // The background holds the same rule for a request that skips the form's check.
  const reply = await options.evaluate(() =>
    chrome.runtime.sendMessage({ type: 'save-settings', endpoint: { preset: 'custom', baseUrl: 'http://api.example.com', version: 'v2' } }),
  );
  expect(reply).toEqual({ ok: false, error: { code: -32602, message: expect.stringContaining('must start with https://') } });
  await options.reload();
  await expect(options.getByTestId('endpoint')).toBeEnabled();
  await expect(options.getByTestId('endpoint')).toHaveValue('tako-v2');
});

test('a sign-in answered with a redirect is not sent on, and says why', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  await extension.openDemo({ autoconfirm: '1' });
  stack.faults.inject('/v2/token', { count: 1, kind: 'redirect', location: '/v2/token/moved' });
  const popup = await signInFromPopup(extension);
  await expect(popup.getByTestId('error')).toContainText('answered with a redirect');
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  expect(stack.requests('/v2/token').map((r) => r.status)).toEqual([307]);
  expect(stack.requests('/v2/token/moved')).toEqual([]);
});
