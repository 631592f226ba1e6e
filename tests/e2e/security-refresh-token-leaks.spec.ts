/**
 * Where the refresh token could leak to, searched after a full tour in real Chromium (sign-in,
 * access, tokens, an API call, a refresh, a page's own sign-in, a stranger knocking): every page's
 * DOM, script state and window messages, the content script's messages in both directions, the
 * service worker's console and the popup. It is in none of them, and no token is logged.
 */

import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { approveAccess, confirmedFrom } from '../support/e2e/approval-window.ts';
import { recordContentScriptMessages } from '../support/e2e/content-script-log.ts';
import { JWT } from '../support/e2e/leak-patterns.ts';
import { callFrom, jwtPayload, recordSessionEvents, sessionEvents } from '../support/e2e/page-api.ts';
import { expectSignedIn, signInFromPopup } from '../support/e2e/popup.ts';
import { openUrl, otherOrigin } from '../support/e2e/web-pages.ts';
import { recordWindowMessages } from '../support/e2e/window-messages.ts';
import { watchServiceWorker } from '../support/e2e/worker-watch.ts';
import { expect, test } from './fixtures.ts';

test('the refresh token appears in no page, no content-script message, no log and not in the popup', async ({ extension, stack }) => {
  // Every refresh token the stack issues, read off the wire as the service worker received it.
  const issued = new Set<string>();
  const reading: Promise<void>[] = [];
  extension.context.on('response', (response) => {
    if (!/\/v2\/(token|refresh_token)$/.test(new URL(response.url()).pathname)) return;
    reading.push(
      response.json().then(
        (body: { data?: { refresh_token?: unknown } }) => {
          if (typeof body.data?.refresh_token === 'string') issued.add(body.data.refresh_token);
        },
        () => undefined,
      ),
    );
  });
  await extension.context.addInitScript(recordWindowMessages);
  const watch = await watchServiceWorker(extension);
  const workerConsole: string[] = [];
  extension.context.on('console', (message) => {
    if (message.worker()) workerConsole.push(message.text());
  });

  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const demoRuntime = await recordContentScriptMessages(extension, demo);

  // A full tour: sign in from the popup, allow, tokens, the demo's API call, a refresh, a sign-in
  // from the page, and a stranger knocking.
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  const stranger = await openUrl(extension, `${otherOrigin(stack.port)}/?wallet=none`);
  const strangerRuntime = await recordContentScriptMessages(extension, stranger);
  expect(await approveAccess(extension, demo)).toMatchObject({ result: { address: DEV_ADDRESS } });
  await recordSessionEvents(demo);
  const firstToken = ((await callFrom(demo, 'tako_getToken')).result as { token: string }).token;
  await callFrom(demo, 'tako_getSession');
  await demo.getByTestId('demo-get-token').click();
  await demo.getByTestId('demo-call-api').click();
  await expect(demo.getByTestId('demo-result')).toHaveAttribute('data-status', '200');
  await popup.getByTestId('refresh-now').click();
  await expect.poll(() => stack.requests('/v2/refresh_token').length).toBe(1);
  expect(await confirmedFrom(extension, demo, 'tako_signIn')).toMatchObject({ result: { address: DEV_ADDRESS } });
  await callFrom(demo, 'tako_getToken');
  await callFrom(stranger, 'tako_getToken');
  await callFrom(stranger, 'tako_getSession');
  await expect.poll(async () => (await sessionEvents(demo)).length).toBeGreaterThan(1);
  const options = await extension.openPage('options.html');
  await expect(options.getByTestId('endpoint')).toHaveValue('custom');
  await popup.reload();
  await expectSignedIn(popup);

  // Every token pair the stack issued was seen (sign-ins and refreshes alike).
  await Promise.all(reading);
  const grants = [...stack.requests('/v2/token'), ...stack.requests('/v2/refresh_token')].filter((r) => r.status === 200);
  expect(grants).toHaveLength(3);
  expect(issued.size).toBe(3);
  for (const token of issued) expect(jwtPayload(token).type).toBe('refresh_token');

  // Everything the test can reach, by where it came from.
  const places: Array<[string, string]> = [];
  for (const page of extension.context.pages()) {
    for (const frame of page.frames()) {
      const label = frame.url();
      if (!/^(https?|chrome-extension):/.test(label)) continue;
      places.push([`DOM of ${label}`, await frame.content()]);
      places.push([
        `JS state of ${label}`,
        await frame.evaluate(() => {
          const state: Record<string, unknown> = {
            localStorage: { ...localStorage },
            sessionStorage: { ...sessionStorage },
            cookie: document.cookie,
            name: window.name,
          };
          for (const key of Object.keys(window)) {
            try {
              state[key] = JSON.parse(JSON.stringify((window as unknown as Record<string, unknown>)[key]) ?? 'null');
            } catch {
              // Not data (cyclic, a DOM object): nothing a token could sit in as text.
            }
          }
          return JSON.stringify(state);
        }),
      ]);
      const messages = await frame
        .evaluate(() => (window as unknown as { __windowMessages?: Array<{ json: string }> }).__windowMessages?.map((m) => m.json) ?? [])
        .catch(() => []);
      places.push([`window messages of ${label}`, messages.join('\n')]);
    }
  }
  places.push(['content script runtime messages (demo)', await demoRuntime()]);
  places.push(['content script runtime messages (stranger)', await strangerRuntime()]);
  const consoleText = [...watch.console.map((line) => line.text), ...workerConsole].join('\n');
  places.push(['service worker console', consoleText]);

  // The recorders did see token traffic, so their silence about the refresh token means something.
  const byName = Object.fromEntries(places.map(([name, text]) => [name, text]));
  expect(byName[`window messages of ${demo.url()}`]).toContain(firstToken);
  expect(byName['content script runtime messages (demo)']).toContain(firstToken);
  expect(byName['content script runtime messages (demo)']).toContain('"event":"sessionChanged"');
  expect(byName['content script runtime messages (stranger)']).toContain('"code":4100');
  expect(places.length).toBeGreaterThan(10);

  for (const [name, text] of places) {
    for (const refreshToken of issued) expect(text.includes(refreshToken), `refresh token in ${name}`).toBe(false);
    // Nor any other refresh token, should one have come from elsewhere.
    for (const jwt of text.match(JWT) ?? []) expect(jwtPayload(jwt).type, `a refresh token in ${name}`).not.toBe('refresh_token');
  }
  // No token of any kind is logged, and the popup shows none.
  expect(consoleText).not.toMatch(JWT);
  expect(await popup.content()).not.toMatch(JWT);
  expect(watch.detached).toBe(false);
  await watch.stop();
});
