/**
 * Site grants with a duration and each site's activity, in real Chromium: the duration chosen in
 * the approval window, a timed grant ending by its alarm with no page asking (its tabs get
 * accessChanged, then 4100), a grant for open tabs ending with its last tab, and the popup's
 * account of each site (when allowed, last used, tokens received; Clear activity).
 */
import type { Page } from '@playwright/test';
import { GRANT_EXPIRY_ALARM } from '../../src/background/consent/sites.ts';
import { DB_NAME, OBJECT_STORE_NAME, SessionStorageKeys, StorageKeys } from '../../src/background/storage/storage-keys.ts';
import type { GrantDuration } from '../../src/core/consent/grants.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { answerApproval } from '../../tools/dev/drive.ts';
import { DEV_ADDRESS, SECOND_DEV_ADDRESS } from '../support/dev-addresses.ts';
import { nextApprovalWindow } from '../support/e2e/approval-window.ts';
import type { Extension } from '../support/e2e/extension.ts';
import { alarmNames } from '../support/e2e/extension-state.ts';
import { callFrom, recordEvents, recordedEvents } from '../support/e2e/page-api.ts';
import { expectSignedIn, signInFromPopup } from '../support/e2e/popup.ts';
import { expect, test } from './fixtures.ts';

const DAY_MS = 86_400_000;

/** Asks for access from `page` and allows it for `duration` in the approval window. */
async function allowFor(extension: Extension, page: Page, duration: GrantDuration): Promise<void> {
  await page.bringToFront();
  const opened = nextApprovalWindow(extension);
  const access = callFrom(page, 'tako_requestAccess');
  const approval = await opened;
  await expect(approval.getByTestId('grant-duration')).toHaveValue('until-revoked');
  await approval.getByTestId('grant-duration').selectOption(duration);
  await answerApproval(approval, 'approve');
  expect(await access).toMatchObject({ result: { state: 'signed-in' } });
}

async function signedIn(extension: Extension, stackUrl: string): Promise<Page> {
  await extension.useEndpoint(stackUrl);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  await expectSignedIn(await signInFromPopup(extension));
  return demo;
}

test('a day chosen in the approval window; the site’s activity in the popup, and Clear activity', async ({ extension, stack }) => {
  const demo = await signedIn(extension, stack.url);
  const before = Date.now();
  await allowFor(extension, demo, '1d');
  for (let i = 0; i < 3; i++) expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ result: { tokenType: 'Bearer' } });

  const popup = await extension.openPage('popup.html');
  const site = popup.getByTestId('site');
  await expect(site).toHaveAttribute('data-duration', 'timed');
  const expiresAt = Number(await site.getAttribute('data-expires-at'));
  expect(expiresAt).toBeGreaterThanOrEqual(before + DAY_MS);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + DAY_MS);
  expect(await alarmNames(extension)).toContain(GRANT_EXPIRY_ALARM);
  await expect(site).toHaveAttribute('data-tokens', '3');
  expect(Number(await site.getAttribute('data-last-used'))).toBeGreaterThanOrEqual(before);
  await expect(site.getByTestId('site-activity')).toContainText('3');

  await popup.getByTestId('clear-activity').click();
  await expect(site).toHaveAttribute('data-tokens', '0');
  await expect(site).toHaveAttribute('data-last-used', '');
  await expect(popup.getByTestId('clear-activity')).toBeHidden();
  // The grant itself stays.
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ result: { tokenType: 'Bearer' } });
});

test('a timed grant ends by its alarm with no page asking: its tab gets accessChanged false, then 4100', async ({ extension, stack }) => {
  const demo = await signedIn(extension, stack.url);
  // Recorded from before the Allow: its accessChanged {allowed: true} is published after the page's
  // answer, and may come later than any point the test could start recording after it.
  await recordEvents(demo, 'accessChanged');
  await allowFor(extension, demo, '1d');
  await expect.poll(() => recordedEvents(demo, 'accessChanged')).toEqual([{ allowed: true }]);
  // A day cannot be waited out here: the stored grant is moved to end in 3 s, as a day later would
  // find it, and the worker is stopped so that the next one reads it from storage (the copy in
  // storage.session, which only the worker writes, is dropped with the edit: the next worker reads
  // IndexedDB, as it does after a browser start).
  const options = await extension.openPage('options.html');
  await options.evaluate(
    async ({ dbName, storeName, key, endsAt, copyKey }) => {
      await chrome.storage.session.remove(copyKey);
      await new Promise<void>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const store = open.result.transaction(storeName, 'readwrite').objectStore(storeName);
          const read = store.get(key);
          read.onsuccess = () => {
            const sites = (read.result as Array<{ expiresAt?: number }>).map((site) => ({ ...site, expiresAt: endsAt }));
            store.put(sites, key).onsuccess = () => resolve();
          };
        };
      });
    },
    {
      dbName: DB_NAME,
      storeName: OBJECT_STORE_NAME,
      key: StorageKeys.allowedOrigins,
      endsAt: Date.now() + 3_000,
      copyKey: SessionStorageKeys.sessionMirror,
    },
  );
  await extension.stopWorker();
  // The next worker (woken by the page's call) sets the alarm for the new end.
  expect(await callFrom(demo, 'tako_getSession')).toMatchObject({ result: { state: 'signed-in' } });

  await expect.poll(() => recordedEvents(demo, 'accessChanged'), { timeout: 30_000 }).toEqual([{ allowed: true }, { allowed: false }]);
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ code: TakoSessionErrorCode.Unauthorized });
  const popup = await extension.openPage('popup.html');
  await expect(popup.getByTestId('sites-empty')).toBeVisible();
});

test('a grant while a tab of the site is open: a second tab joins; once the last closes, the site asks again', async ({
  extension,
  stack,
}) => {
  const demo = await signedIn(extension, stack.url);
  await allowFor(extension, demo, 'open-tabs');
  const second = await extension.openDemo();
  expect(await callFrom(second, 'tako_getToken')).toMatchObject({ result: { tokenType: 'Bearer' } });
  await demo.close();
  expect(await callFrom(second, 'tako_getToken')).toMatchObject({ result: { tokenType: 'Bearer' } });
  const popup = await extension.openPage('popup.html');
  await expect(popup.getByTestId('site')).toHaveAttribute('data-duration', 'open-tabs');

  await second.close();
  const later = await extension.openDemo();
  expect(await callFrom(later, 'tako_getToken')).toMatchObject({ code: TakoSessionErrorCode.Unauthorized });
  await expect(popup.getByTestId('sites-empty')).toBeVisible();
});

test('a site is bound to the account named in the approval window: switching accounts changes nothing for it; moved in the popup; signed-out when its account is', async ({
  extension,
  stack,
}) => {
  const demo = await signedIn(extension, stack.url);
  const popup = await extension.openPage('popup.html');
  // A second account, signed in from the wallet's switch: it becomes the active one.
  await demo.getByTestId('wallet-account').selectOption({ index: 1 });
  await popup.getByTestId('sign-in-switched').click();
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', SECOND_DEV_ADDRESS);

  // The window names the active account and offers the other; the site is bound to the first.
  await demo.bringToFront();
  const opened = nextApprovalWindow(extension);
  const access = callFrom(demo, 'tako_requestAccess');
  const approval = await opened;
  await expect(approval.getByTestId('grant-account')).toHaveAttribute('data-address', SECOND_DEV_ADDRESS);
  await approval.getByTestId('grant-account').selectOption(DEV_ADDRESS);
  await answerApproval(approval, 'approve');
  expect(await access).toMatchObject({ result: { address: DEV_ADDRESS } });

  const token = await callFrom(demo, 'tako_getToken');
  expect(token).toMatchObject({ result: { address: DEV_ADDRESS } });
  await expect(popup.getByTestId('site')).toHaveAttribute('data-account', DEV_ADDRESS);

  // Moved to the other account in the popup.
  await popup.getByTestId('site-account').selectOption(SECOND_DEV_ADDRESS);
  await expect(popup.getByTestId('site')).toHaveAttribute('data-account', SECOND_DEV_ADDRESS);
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ result: { address: SECOND_DEV_ADDRESS } });

  // Its account signs out: 4900 signed-out for it, though the other account is still signed in.
  await popup.locator(`[data-testid="account"][data-address="${SECOND_DEV_ADDRESS}"]`).getByTestId('sign-out-account').click();
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  expect(await callFrom(demo, 'tako_getToken')).toMatchObject({
    code: TakoSessionErrorCode.NoSession,
    data: { reason: 'signed-out' },
  });
});
