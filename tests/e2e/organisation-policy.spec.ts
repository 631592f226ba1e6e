/**
 * An organisation's policy in real Chromium, from a policy file as an administrator writes it
 * (`3rdparty` extension settings, checked against the manifest's managed schema): the options page
 * shows what is locked, a blocked site is refused without a window, an allowed one is served
 * without one and cannot be revoked.
 */
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { callFrom } from '../support/e2e/page-api.ts';
import { openPlainPage, otherOrigin } from '../support/e2e/web-pages.ts';
import { expect, test } from './fixtures.ts';

test.use({
  policy: {
    forStack: (stack) => ({
      endpoint: stack.url,
      sessionLifetime: 'idle',
      idleMinutes: 30,
      allowedSites: [stack.url],
      blockedSites: [otherOrigin(stack.port)],
      metahumanToken: false,
    }),
  },
});

test('the policy locks the endpoint, the lifetime and the MetaHuman token; a blocked site gets 4100 with no window; an allowed one asks nothing', async ({
  extension,
  stack,
}) => {
  const options = await extension.openPage('options.html');
  await expect(options.getByTestId('policy-notice')).toBeVisible();
  await expect(options.getByTestId('endpoint-locked')).toBeVisible();
  await expect(options.getByTestId('endpoint')).toHaveValue('custom');
  await expect(options.getByTestId('endpoint')).toBeDisabled();
  await expect(options.getByTestId('base-url')).toHaveValue(stack.url);
  await expect(options.getByTestId('lifetime-locked')).toBeVisible();
  await expect(options.getByTestId('session-lifetime')).toHaveValue('idle');
  await expect(options.getByTestId('session-lifetime')).toBeDisabled();
  await expect(options.getByTestId('idle-minutes')).toHaveValue('30');
  await expect(options.getByTestId('mh-locked')).toBeVisible();
  await expect(options.getByTestId('mh-get-token')).toBeDisabled();
  await expect(options.getByTestId('policy-problems')).toBeHidden();
  // The wallet extension is still the person's to set: saving it keeps the locked settings.
  await options.getByTestId('save').click();
  await expect(options.getByTestId('options-status')).toContainText(stack.url);

  const windowsBefore = extension.context.pages().length;
  const blocked = await openPlainPage(extension, `${otherOrigin(stack.port)}/blocked`);
  await blocked.bringToFront();
  const refused = await callFrom(blocked, 'tako_requestAccess');
  expect(refused).toMatchObject({ isError: true, code: TakoSessionErrorCode.Unauthorized, message: /organisation/ });
  const subdomain = await openPlainPage(extension, `http://a.localhost:${stack.port}/blocked`);
  expect(await callFrom(subdomain, 'tako_requestAccess')).toMatchObject({ code: TakoSessionErrorCode.Unauthorized });

  // The allowed site is served at once: nobody is signed in yet, which it may now learn.
  const demo = await extension.openDemo();
  expect(await callFrom(demo, 'tako_requestAccess')).toMatchObject({ result: null });
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ code: TakoSessionErrorCode.NoSession, data: { reason: 'signed-out' } });
  expect(await callFrom(demo, 'metahuman_getToken')).toMatchObject({ code: TakoSessionErrorCode.Unauthorized, message: /organisation/ });
  expect(await callFrom(demo, 'tako_revokeAccess')).toMatchObject({ isError: true, message: /organisation/ });
  expect(await callFrom(demo, 'tako_getSession')).toMatchObject({ result: null });
  // No approval window opened for any of it (the three pages above are the only new ones).
  expect(extension.context.pages().filter((page) => page.url().includes('/approval.html'))).toEqual([]);
  expect(extension.context.pages().length).toBe(windowsBefore + 3);

  const popup = await extension.openPage('popup.html');
  const site = popup.getByTestId('site').filter({ has: popup.getByText(stack.url, { exact: true }) });
  await expect(site).toHaveAttribute('data-by-policy', 'true');
  await expect(site.getByTestId('revoke')).toHaveCount(0);
  await expect(popup.getByTestId('site')).toHaveCount(1);
});
