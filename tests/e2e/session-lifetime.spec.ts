/**
 * Session lifetimes in real Chromium: chosen in the options page, enforced by the background with
 * no page open: a browser restart ends a "browser-close" session (a stopped worker does not), and
 * a maximum age ends a session however often it was refreshed. Pages get `sessionChanged` null and
 * 4900 `timed-out`; the popup says why and when.
 *
 * The idle lifetime is not driven here: headless Chromium reports the computer `active` whatever
 * happens (no input device), so its rule is tested in Node (tests/unit/session-lifetime.test.ts).
 */

import type { Page } from '@playwright/test';
import { REFRESH_ALARM_PREFIX } from '../../src/background/session/keys.ts';
import { LIFETIME_ALARM } from '../../src/background/session/lifetimes.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { approveAccess } from '../support/e2e/approval-window.ts';
import type { Extension } from '../support/e2e/extension.ts';
import { alarmNames } from '../support/e2e/extension-state.ts';
import { callFrom, recordSessionEvents, sessionEvents } from '../support/e2e/page-api.ts';
import { expectSignedIn, signInFromPopup } from '../support/e2e/popup.ts';
import { expect, test } from './fixtures.ts';

async function signInAndAllowDemo(extension: Extension): Promise<{ demo: Page; popup: Page }> {
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  await approveAccess(extension, demo);
  return { demo, popup };
}

test('the options page saves a lifetime per endpoint and shows it again; a number out of range is refused', async ({
  extension,
  stack,
}) => {
  await extension.useEndpointInOptions(stack.url);
  const options = await extension.openPage('options.html');
  const lifetime = options.getByTestId('session-lifetime');
  await expect(lifetime).toBeEnabled();
  await expect(lifetime).toHaveValue('stay');
  await expect(options.getByTestId('idle-minutes')).toBeHidden();

  await lifetime.selectOption('idle');
  await options.getByTestId('idle-minutes').fill('0');
  await options.getByTestId('save').click();
  await expect(options.getByTestId('options-error')).toContainText('1');
  await expect(options.getByTestId('idle-minutes')).toHaveAttribute('aria-invalid', 'true');
  let settings = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'get-settings' }));
  // Nothing saved: the endpoint keeps the lifetime its first save gave it.
  expect(Object.values(settings.result.lifetimes)).toEqual([{ kind: 'stay' }]);

  await options.getByTestId('idle-minutes').fill('20');
  await options.getByTestId('save').click();
  await expect(options.getByTestId('options-status')).toContainText(stack.url);
  settings = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'get-settings' }));
  expect(Object.values(settings.result.lifetimes)).toEqual([{ kind: 'idle', idleSeconds: 1200 }]);

  await options.reload();
  await expect(options.getByTestId('session-lifetime')).toHaveValue('idle');
  await expect(options.getByTestId('idle-minutes')).toHaveValue('20');
  await expect(options.getByTestId('max-age-days')).toBeHidden();
});

test('browser-close: a stopped worker keeps the session; a browser restart ends it, says why, and pages get timed-out', async ({
  extension,
  stack,
}) => {
  await extension.useEndpoint(stack.url, 'v2', { kind: 'browser-close' });
  await signInAndAllowDemo(extension);

  await extension.stopWorker();
  const popup = await extension.openPage('popup.html');
  await expectSignedIn(popup);

  await extension.restart();
  const after = await extension.openPage('popup.html');
  await expect(after.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  await expect(after.getByTestId('session-ended')).toHaveAttribute('data-rule', 'browser-close');
  await expect(after.getByTestId('session-ended')).toBeVisible();
  const demo = await extension.openDemo();
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({
    code: TakoSessionErrorCode.NoSession,
    data: { reason: 'timed-out' },
  });
  expect(stack.requests('/v2/refresh_token')).toHaveLength(0);

  // Signing in again starts afresh: the popup no longer speaks of the last ending.
  await demo.close();
  const again = await extension.openDemo({ autoconfirm: '1' });
  const popupAgain = await signInFromPopup(extension);
  await expectSignedIn(popupAgain);
  await expect(popupAgain.getByTestId('session-ended')).toBeHidden();
  await popupAgain.getByTestId('sign-out').click();
  await expect(popupAgain.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  await expect(popupAgain.getByTestId('session-ended')).toBeHidden();
  expect(await callFrom(again, 'tako_getToken')).toMatchObject({ data: { reason: 'signed-out' } });
});

test.describe('max-age', () => {
  // Tokens of 4 s refresh about every 3 s: the session is refreshed while its age runs out.
  test.use({ stackOptions: { accessTtlSec: 4 } });

  test('refreshed all along, the session ends at its maximum age with no page open; pages get null, then timed-out', async ({
    extension,
    stack,
  }) => {
    await extension.useEndpoint(stack.url, 'v2', { kind: 'max-age', maxAgeSeconds: 9 });
    const { demo, popup } = await signInAndAllowDemo(extension);
    await recordSessionEvents(demo);
    await expect(popup.getByTestId('session-lapses')).toBeVisible();
    expect(await alarmNames(extension)).toContain(LIFETIME_ALARM);

    await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out', { timeout: 20_000 });
    await expect(popup.getByTestId('session-ended')).toHaveAttribute('data-rule', 'max-age');
    await expect(popup.getByTestId('session-ended')).toBeVisible();
    expect(stack.requests('/v2/refresh_token').length).toBeGreaterThan(0);
    await expect.poll(() => sessionEvents(demo)).toContainEqual(null);
    expect(await callFrom(demo, 'tako_getToken')).toMatchObject({
      code: TakoSessionErrorCode.NoSession,
      data: { reason: 'timed-out' },
    });
    // Nothing is refreshed after the end: the session's alarms are gone.
    const refreshes = stack.requests('/v2/refresh_token').length;
    expect((await alarmNames(extension)).filter((name) => name.startsWith(REFRESH_ALARM_PREFIX))).toEqual([]);
    expect(stack.requests('/v2/refresh_token')).toHaveLength(refreshes);
  });
});
