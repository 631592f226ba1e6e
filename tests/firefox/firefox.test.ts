/**
 * The same extension in real Firefox ESR (the Firefox build: an event page instead of a service
 * worker), against the local stack over real HTTP: the page API at document_start, consent, sign-in
 * from the popup with the demo page's dev wallet, tokens for allowed pages only, and a session that
 * keeps refreshing across a stopped background and a browser restart.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REFRESH_ALARM_PREFIX } from '../../src/background/session/keys.ts';
import { PERSONAL_DATA_COLLECTION } from '../../src/core/api/metahuman.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { byTestId, launchFirefoxWithExtension, useEndpointInFirefox } from '../../tools/dev/firefox.ts';
import { PROBE_PAGE_PATH, type Stack, startStack } from '../../tools/stack/server.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { answerAccess, callFrom, expectSignedIn, refreshesAnswered, signInFromPopup } from '../support/firefox.ts';

function jwtExpMs(token: string): number {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number }).exp * 1000;
}

describe('Firefox', () => {
  let stack: Stack;
  const profiles: string[] = [];
  const newProfile = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tako-session-firefox-'));
    profiles.push(dir);
    return dir;
  };
  // 10 s tokens: the refresh falls due 2 s before expiry (a fifth of the lifetime), so the
  // refresh tests wait seconds, not half a minute.
  const ACCESS_TTL_SEC = 10;
  const REFRESH_LEAD_MS = 2_000;
  before(async () => {
    stack = await startStack({ port: 0, accessTtlSec: ACCESS_TTL_SEC });
  });
  after(async () => {
    await stack.close();
    await Promise.all(profiles.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  // Deadlines so that a broken product fails the run instead of hanging it.
  test('the page API at document_start, consent, popup sign-in, and tokens for allowed pages only', { timeout: 150_000 }, async () => {
    const firefox = await launchFirefoxWithExtension(await newProfile());
    try {
      // Defined before the page's first script, and announced to a listener that came earlier.
      const probe = await firefox.browser.newPage();
      await probe.evaluateOnNewDocument(() => {
        window.addEventListener('takoSession#initialized', () => {
          (window as unknown as { initializedFired: boolean }).initializedFired = true;
        });
      });
      await probe.goto(`${stack.url}${PROBE_PAGE_PATH}`);
      assert.deepEqual(
        await probe.evaluate(() => ({
          atFirstScript: (window as unknown as { probe: { atFirstScript: string } }).probe.atFirstScript,
          initializedFired: (window as unknown as { initializedFired?: boolean }).initializedFired,
        })),
        { atFirstScript: 'object', initializedFired: true },
      );

      await useEndpointInFirefox(firefox, stack.url);
      const demo = await firefox.openPage(`${stack.url}/?autoconfirm=1`);
      // Another origin (same server, other name) that the person will refuse.
      const stranger = await firefox.openPage(`http://localhost:${stack.port}${PROBE_PAGE_PATH}`);
      assert.equal((await callFrom(stranger, 'tako_getSession')).code, TakoSessionErrorCode.Unauthorized);
      assert.equal((await answerAccess(firefox, stranger, 'deny')).code, TakoSessionErrorCode.UserRejected);

      // The popup signs in with the wallet of the web page used last: the demo's.
      await demo.bringToFront();
      const popup = await signInFromPopup(firefox);
      const address = await (await byTestId(popup, 'session-address')).evaluate((node) => (node as HTMLElement).dataset.address);
      assert.equal(address, DEV_ADDRESS);
      assert.equal(stack.requests('/v2/token').length, 1);

      const allowed = (await answerAccess(firefox, demo, 'approve')).result as { address: string; state: string; endpoint: string };
      assert.deepEqual([allowed.address, allowed.state, allowed.endpoint], [DEV_ADDRESS, 'signed-in', stack.url]);
      const { result } = await callFrom(demo, 'tako_getToken');
      const token = result as { token: string; tokenType: string; expiresAt: number; address: string };
      assert.equal(token.tokenType, 'Bearer');
      assert.equal(token.address, DEV_ADDRESS);
      assert.equal(jwtExpMs(token.token), token.expiresAt);
      assert.ok(token.expiresAt > Date.now());

      // The refused origin still gets nothing, and gives nothing away.
      const refused = await callFrom(stranger, 'tako_getToken');
      assert.equal(refused.code, TakoSessionErrorCode.Unauthorized);
      assert.doesNotMatch(JSON.stringify(refused), /0x[0-9a-f]{40}/i);
    } finally {
      await firefox.close();
    }
  });

  test('the session refreshes across a stopped background and a browser restart; the MetaHuman token survives', {
    timeout: 240_000,
  }, async () => {
    const profile = await newProfile();
    let firefox = await launchFirefoxWithExtension(profile, { prefs: { 'extensions.webextOptionalPermissionPrompts': false } });
    let firstExpiry: number;
    let secondExpiry: number;
    try {
      await useEndpointInFirefox(firefox, stack.url);
      await firefox.openPage(`${stack.url}/?autoconfirm=1`);
      stack.clearRequests();
      const popup = await signInFromPopup(firefox);
      firstExpiry = Number(await (await byTestId(popup, 'token-expires')).evaluate((node) => (node as HTMLElement).dataset.expiresAt));

      // A MetaHuman SDK token from the options page.
      const options = await firefox.openExtensionPage('options.html');
      await byTestId(options, 'mh-base-url');
      await options.$eval('[data-testid="mh-base-url"]', (node) => ((node as HTMLInputElement).value = ''));
      await options.type('[data-testid="mh-base-url"]', stack.url);
      await options.type('[data-testid="mh-name"]', 'Ada Lovelace');
      await options.type('[data-testid="mh-mail"]', 'ada@example.com');
      // The sign-in's authentication data goes to the Tako API from install on; consent to send the
      // name and e-mail is asked for as they are sent (this profile says yes to every prompt).
      const dataConsent = () =>
        options.evaluate(`browser.permissions.getAll().then((all) => all.data_collection ?? [])`) as Promise<string[]>;
      assert.deepEqual(await dataConsent(), ['authenticationInfo']);
      await options.click('[data-testid="mh-get-token"]');
      await byTestId(options, 'mh-token', ':not(:empty)');
      assert.equal(stack.requests('/auth/token').length, 1);
      assert.deepEqual((await dataConsent()).sort(), ['authenticationInfo', PERSONAL_DATA_COLLECTION]);

      // The background is stopped; the refresh alarm (at exp - 2 s) starts it again.
      await firefox.stopBackground();
      assert.deepEqual(await refreshesAnswered(stack, 1), [200]);
      const refreshed = await byTestId(popup, 'token-expires', `:not([data-expires-at="${firstExpiry}"]):not([data-expires-at=""])`);
      secondExpiry = Number(await refreshed.evaluate((node) => (node as HTMLElement).dataset.expiresAt));
    } finally {
      await firefox.close();
    }

    // Closed across the next refresh time: the alarm does not survive a Firefox restart, so the
    // refresh that fell due must run at start, and the alarm must be made again.
    assert.ok(secondExpiry > firstExpiry);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, secondExpiry - REFRESH_LEAD_MS - Date.now()) + 500));
    firefox = await launchFirefoxWithExtension(profile, { install: false });
    try {
      assert.deepEqual(await refreshesAnswered(stack, 2), [200, 200]);
      const popup = await firefox.openExtensionPage('popup.html');
      await expectSignedIn(popup);
      await byTestId(popup, 'token-expires', `:not([data-expires-at="${secondExpiry}"]):not([data-expires-at="${firstExpiry}"])`);
      const alarms = await popup.evaluate(async () => (await browser.alarms.getAll()).map((alarm) => alarm.name));
      assert.equal(alarms.filter((name) => name.startsWith(REFRESH_ALARM_PREFIX)).length, 1);
      assert.equal(stack.requests('/v2/token').length, 1);

      const options = await firefox.openExtensionPage('options.html');
      const shown = await (await byTestId(options, 'mh-token', ':not(:empty)')).evaluate((node) => node.textContent);
      assert.match(shown!, /^[0-9a-f]{8}-••••-••••-••••-••••••••[0-9a-f]{4}$/);
      assert.equal(stack.requests('/auth/token').length, 1);
    } finally {
      await firefox.close();
    }
  });
});
