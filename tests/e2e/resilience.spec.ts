/**
 * What goes wrong, in real Chromium against the local stack: failing refreshes back off and resume,
 * a refused refresh expires the session plainly, several accounts, tokens encrypted at rest with a
 * non-extractable key, a worker stopped in the middle of a refresh, and the browser going offline.
 */
import { readMirrorRecord } from '../../src/background/storage/session-mirror.ts';
import { DB_NAME, OBJECT_STORE_NAME, StorageKeys } from '../../src/background/storage/storage-keys.ts';
import type { ServerClock } from '../../src/core/session/server-clock.ts';
import { DEV_ADDRESS, SECOND_DEV_ADDRESS } from '../support/dev-addresses.ts';
import { allowOrigin, answerApproval, nextApprovalWindow } from '../support/e2e/approval-window.ts';
import { badgeAndNotifications, readStore, sessionCopy, storedText } from '../support/e2e/extension-state.ts';
import { obtainMetahumanToken } from '../support/e2e/options-page.ts';
import { callFrom, getTokenFrom, jwtPayload, recordSessionEvents, sessionEvents } from '../support/e2e/page-api.ts';
import { expectSignedIn, signedInAndAllowed, signInFromPopup } from '../support/e2e/popup.ts';
import { startTokenPoll, stopTokenPoll } from '../support/e2e/token-poll.ts';
import { expect, test } from './fixtures.ts';

test.use({ stackOptions: { accessTtlSec: 20 } });

test('transient failures back off (honouring Retry-After), valid tokens are served meanwhile, then the schedule resumes', async ({
  extension,
  stack,
}) => {
  const { popup, demo } = await signedInAndAllowed(extension, stack);
  const first = await getTokenFrom(demo);
  // The pair the retries end with lives 8 s, so that the schedule it resumes comes round soon.
  stack.configure({ accessTtlSec: 8 });
  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 503 });
  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 429, retryAfterSec: 3 });
  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 502 });

  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('error')).toContainText('503');
  // While refreshes fail, the current, still valid token is what pages get.
  expect(await getTokenFrom(demo)).toEqual(first);

  // The log shows a request as soon as it arrives (status null until answered): wait for the answers.
  await expect.poll(() => stack.requests('/v2/refresh_token').map((a) => a.status), { timeout: 30_000 }).toEqual([503, 429, 502, 200]);
  const attempts = stack.requests('/v2/refresh_token');
  const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
  // 1 s, then no sooner than Retry-After (3 s), then 4 s; jitter takes each down to half at most.
  expect(gaps[0]).toBeGreaterThanOrEqual(500);
  expect(gaps[1]).toBeGreaterThanOrEqual(3000);
  expect(gaps[2]).toBeGreaterThanOrEqual(2000);

  await expectSignedIn(popup);
  await expect(popup.getByTestId('error')).toBeHidden();
  const after = await getTokenFrom(demo);
  expect((after as { token: { token: string } }).token.token).not.toBe((first as { token: { token: string } }).token.token);

  // Back on the normal schedule: the next refresh comes at exp - 1.6 s (20%) of the new token, on
  // the server's clock at the latest it can be (the stored bound), not sooner.
  const newExpiry = (after as { token: { expiresAt: number } }).token.expiresAt;
  const records = await readStore(extension);
  const { session: facts } = records[Object.keys(records).find((key) => key.startsWith(StorageKeys.sessionPrefix))!] as {
    session: { clock: ServerClock };
  };
  await expect.poll(() => stack.requests('/v2/refresh_token').length, { timeout: 30_000 }).toBe(5);
  const next = stack.requests('/v2/refresh_token')[4]!;
  expect(next.at).toBeGreaterThanOrEqual(newExpiry - 1600 - facts.clock.latest.highMs);
  expect(next.at).toBeLessThan(newExpiry);
});

test('a rejected refresh expires the session: badge, one notification, sessionChanged, 4900', async ({ extension, stack }) => {
  const { popup, demo } = await signedInAndAllowed(extension, stack);
  await recordSessionEvents(demo);
  stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'status', status: 401 });

  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'expired');
  await expect(popup.getByTestId('error')).toContainText('401');
  await expect(popup.getByTestId('sign-in')).toBeVisible();

  await expect.poll(() => sessionEvents(demo)).toContainEqual(expect.objectContaining({ state: 'expired', address: DEV_ADDRESS }));
  expect(await getTokenFrom(demo)).toEqual({ code: 4900, message: expect.stringMatching(/expired/) });
  expect(await badgeAndNotifications(extension)).toEqual({ badge: '!', notifications: [expect.stringMatching(/^expired /)] });
  // No retry storm after a permanent failure.
  expect(stack.requests('/v2/refresh_token')).toHaveLength(1);

  // Signing in again replaces the expired session.
  await popup.getByTestId('sign-in').click();
  await expectSignedIn(popup);
  await expect.poll(() => sessionEvents(demo)).toContainEqual(expect.objectContaining({ state: 'signed-in' }));
});

test.describe('a refresh token that lapsed while the browser was closed', () => {
  test.use({ stackOptions: { accessTtlSec: 4, refreshTtlSec: 6 } });

  test('becomes an honest expired session at start, without a doomed request', async ({ extension, stack }) => {
    await extension.useEndpoint(stack.url);
    await extension.openDemo({ autoconfirm: '1' });
    const popup = await signInFromPopup(extension);
    await expectSignedIn(popup);
    // The session record, whatever its format: the facts are in clear, the tokens sealed.
    const records = await readStore(extension);
    const stored = records[Object.keys(records).find((key) => key.startsWith(StorageKeys.sessionPrefix))!] as {
      session: { refreshExpMs: number };
    };
    await extension.context.close();
    stack.faults.inject('/v2/refresh_token', { count: 1000, kind: 'status', status: 503 });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, stored.session.refreshExpMs - Date.now()) + 1000));
    const refreshesBefore = stack.requests('/v2/refresh_token').length;
    await extension.restart();

    const reopened = await extension.openPage('popup.html');
    await expect(reopened.getByTestId('session')).toHaveAttribute('data-state', 'expired');
    await expect(reopened.getByTestId('error')).toContainText(/lapsed/);
    expect(await badgeAndNotifications(extension)).toEqual({ badge: '!', notifications: [expect.stringMatching(/^expired /)] });
    expect(stack.requests('/v2/refresh_token')).toHaveLength(refreshesBefore);
  });
});

for (const offsetMinutes of [10, -10]) {
  test.describe(`server clock ${offsetMinutes > 0 ? 'ahead' : 'behind'} by 10 minutes`, () => {
    const clockOffsetMs = offsetMinutes * 60_000;
    test.use({ stackOptions: { accessTtlSec: 10, clockOffsetMs } });

    test('signs in, never hands out a token the server considers expired, and does not loop', async ({ extension, stack }) => {
      const { demo } = await signedInAndAllowed(extension, stack);
      expect(stack.requests('/v2/token').map((r) => r.status)).toEqual([200]);
      const first = ((await getTokenFrom(demo)) as { token: { expiresAt: number } }).token;
      // A page asks four times a second until the server's clock is 2 s past the first token's
      // exp, each arrival timed in the page.
      await startTokenPoll(demo, 250);
      await expect.poll(() => stack.now() > first.expiresAt + 2000, { timeout: 60_000 }).toBe(true);
      const entries = await stopTokenPoll(demo);
      expect(entries.filter((entry) => entry.token === undefined)).toEqual([]);
      // Every token was alive by the server's clock when it reached the page.
      expect(entries.filter((entry) => entry.exp! <= entry.at + clockOffsetMs)).toEqual([]);
      // 10 s tokens refreshed at 8 s, sampled until 12 s: a refresh, then at least 4 s in which a
      // loop would have refreshed again and again; at most two (on a slow machine the sampling can
      // reach the next, due 16 s after sign-in). One may still be on its way when the sampling
      // ends: its answer is waited for, not taken as a failure.
      await expect.poll(() => stack.requests('/v2/refresh_token').filter((r) => r.status === null)).toEqual([]);
      const refreshes = stack.requests('/v2/refresh_token');
      expect(refreshes.length).toBeGreaterThanOrEqual(1);
      expect(refreshes.length).toBeLessThanOrEqual(2);
      expect(refreshes.map((r) => r.status)).toEqual(refreshes.map(() => 200));
    });
  });
}

test('several accounts: follow the wallet, offer sign-in for a new one, sign out one or all', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  const second = SECOND_DEV_ADDRESS;

  // The wallet switches to an account with no session: offered, not done behind the person's back.
  await demo.getByTestId('wallet-account').selectOption({ index: 1 });
  await expect(popup.getByTestId('switch-offer')).toBeVisible();
  await expect(popup.getByTestId('switched-address')).toHaveText(second);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  await popup.getByTestId('sign-in-switched').click();
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', second);
  await expect(popup.getByTestId('account')).toHaveCount(2);
  await expect(popup.getByTestId('switch-offer')).toBeHidden();

  // Back to the first account in the wallet: its session becomes active again.
  await demo.getByTestId('wallet-account').selectOption({ index: 0 });
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  await expect(popup.locator(`[data-testid="account"][data-address="${DEV_ADDRESS}"]`)).toHaveAttribute('data-active', 'true');

  // Switch in the popup, then sign out one account, then all.
  await popup.locator(`[data-testid="account"][data-address="${second}"]`).getByTestId('use-account').click();
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', second);
  await popup.locator(`[data-testid="account"][data-address="${DEV_ADDRESS}"]`).getByTestId('sign-out-account').click();
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', second);
  await expect(popup.getByTestId('accounts-section')).toBeHidden();
  expect(Object.keys(await readStore(extension)).filter((k) => k.startsWith(StorageKeys.sessionPrefix))).toHaveLength(1);

  // The wallet is still on the first account: "Add account" signs it in again.
  await popup.getByTestId('add-account').click();
  await expect(popup.getByTestId('account')).toHaveCount(2);
  await expect(popup.getByTestId('session-address')).toHaveAttribute('data-address', DEV_ADDRESS);
  await popup.getByTestId('sign-out-all').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  expect(Object.keys(await readStore(extension)).filter((k) => k.startsWith(StorageKeys.sessionPrefix))).toHaveLength(0);
});

// Guards: the session tokens are sealed at rest (record format 3) with a key that WebCrypto made
// non-extractable: the extension can open them, nobody can export the key, and neither token is
// readable in the stored bytes.
test('session tokens are stored encrypted with a non-extractable AES-GCM key', async ({ extension, stack }) => {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  await allowOrigin(extension, demo);
  const handedOut = ((await getTokenFrom(demo)) as { token: { token: string } }).token.token;

  const page = await extension.openPage('options.html');
  const inspection = await page.evaluate(
    async ({ dbName, storeName, sessionPrefix, vaultKey }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const read = <T>(request: IDBRequest<T>) =>
        new Promise<T>((resolve, reject) => {
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      const store = db.transaction(storeName).objectStore(storeName);
      const keys = (await read(store.getAllKeys())).map(String);
      const values = await read(store.getAll());
      const sessionKey = keys.find((k) => k.startsWith(sessionPrefix))!;
      const record = values[keys.indexOf(sessionKey)] as {
        format: number;
        session: Record<string, unknown>;
        tokens: { alg: string; iv: Uint8Array<ArrayBuffer>; data: ArrayBuffer };
      };
      const key = values[keys.indexOf(vaultKey)] as CryptoKey;
      // The extension itself can use the key (that is how it refreshes), but nobody can export it.
      const context = sessionKey.slice(sessionPrefix.length);
      const plain = new TextDecoder().decode(
        await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: record.tokens.iv, additionalData: new TextEncoder().encode(context) },
          key,
          record.tokens.data,
        ),
      );
      const exportable = await crypto.subtle.exportKey('raw', key).then(
        () => true,
        () => false,
      );
      // Every stored byte, as text, to search for the tokens in clear.
      const dump = JSON.stringify(values, (_, value) =>
        value instanceof ArrayBuffer || ArrayBuffer.isView(value)
          ? Array.from(new Uint8Array(value instanceof ArrayBuffer ? value : value.buffer))
              .map((b) => String.fromCharCode(b))
              .join('')
          : value,
      );
      db.close();
      return {
        format: record.format,
        sessionFields: Object.keys(record.session),
        alg: record.tokens.alg,
        keyType: key.type,
        extractable: key.extractable,
        algorithm: key.algorithm,
        exportable,
        plain,
        dump,
      };
    },
    { dbName: DB_NAME, storeName: OBJECT_STORE_NAME, sessionPrefix: StorageKeys.sessionPrefix, vaultKey: StorageKeys.vaultKey },
  );
  await page.close();
  expect(inspection).toMatchObject({
    format: 3,
    alg: 'AES-GCM',
    keyType: 'secret',
    extractable: false,
    algorithm: { name: 'AES-GCM', length: 256 },
    exportable: false,
  });
  expect(inspection.sessionFields).not.toContain('accessToken');
  expect(inspection.sessionFields).not.toContain('refreshToken');
  const tokens = JSON.parse(inspection.plain) as { accessToken: string; refreshToken: string };
  expect(jwtPayload(tokens.accessToken)).toMatchObject({ type: 'token', address: DEV_ADDRESS });
  expect(jwtPayload(tokens.refreshToken)).toMatchObject({ type: 'refresh_token', address: DEV_ADDRESS });
  for (const token of [handedOut, tokens.accessToken, tokens.refreshToken]) {
    for (const part of token.split('.')) expect(inspection.dump).not.toContain(part);
  }
});

/** Any JWT (header.payload.signature, base64url JSON objects): whichever token it is. */
const JWT_SHAPED = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/;

// Guards: nothing secret is readable anywhere in the extension's IndexedDB: not the access tokens
// the page got, not the refresh tokens (any JWT-shaped string, and every part of the refresh token
// the stack received), not the MetaHuman token; after sign-in, after a refresh and after a
// MetaHuman token.
test('no token is readable in IndexedDB after sign-in, a refresh and a MetaHuman token', async ({ extension, stack }) => {
  const { popup, demo } = await signedInAndAllowed(extension, stack);
  const seen: string[] = [];
  const expectNothingReadable = async (when: string) => {
    const text = await storedText(extension);
    expect(text, when).not.toMatch(JWT_SHAPED);
    for (const secret of seen) {
      // Parts long enough not to occur by chance (a UUID's 4-digit groups could be in a timestamp).
      for (const part of secret.split(/[.-]/).filter((p) => p.length >= 8)) {
        expect(text.includes(part), `${when}: a part of a token is readable`).toBe(false);
      }
    }
  };

  const first = (await getTokenFrom(demo)) as { token: { token: string } };
  seen.push(first.token.token);
  await expectNothingReadable('after sign-in');

  await popup.getByTestId('refresh-now').click();
  await expect.poll(() => stack.requests('/v2/refresh_token').some((request) => request.status === 200)).toBe(true);
  // The refresh token the extension sent, as the stack received it.
  seen.push(...stack.requests('/v2/refresh_token').map((request) => (request.body as { refresh_token: string }).refresh_token));
  await expect.poll(async () => ((await getTokenFrom(demo)) as { token: { token: string } }).token.token).not.toBe(first.token.token);
  seen.push(((await getTokenFrom(demo)) as { token: { token: string } }).token.token);
  await expectNothingReadable('after a refresh');

  const options = await extension.openPage('options.html');
  await obtainMetahumanToken(options, stack.url);
  await options.close();
  await demo.bringToFront();
  const approval = nextApprovalWindow(extension);
  const call = demo.evaluate(() => window.takoSession!.request({ method: 'metahuman_getToken' }));
  await answerApproval(await approval, 'approve');
  const { token: metahumanToken } = await call;
  expect(metahumanToken).toMatch(/^[0-9a-f]{8}-/);
  seen.push(metahumanToken);
  await expectNothingReadable('after a MetaHuman token');
});

// Guards the copy a woken worker answers from (storage.session): kept in step with IndexedDB in
// the real browser, so a stopped worker hands out the rotated pair, and emptied of tokens at
// sign-out. With the copy not updated by a refresh, the stopped worker hands out the old token.
test('a stopped worker answers from the copy in storage.session: the pair after a refresh, no token after sign-out', async ({
  extension,
  stack,
}) => {
  const { popup, demo } = await signedInAndAllowed(extension, stack);
  const tokenIn = async () => readMirrorRecord(await sessionCopy(extension, popup))?.sessions[0]?.accessToken;
  const first = (await getTokenFrom(demo)) as { token: { token: string } };
  await expect.poll(tokenIn).toBe(first.token.token);

  await popup.getByTestId('refresh-now').click();
  await expect.poll(() => stack.requests('/v2/refresh_token').map((request) => request.status)).toEqual([200]);
  await expect.poll(tokenIn).not.toBe(first.token.token);
  const copied = await tokenIn();
  await extension.stopWorker();
  const woken = (await getTokenFrom(demo)) as { token: { token: string } };
  expect(woken.token.token).toBe(copied);
  expect(jwtPayload(woken.token.token).exp).toBeGreaterThanOrEqual(jwtPayload(first.token.token).exp);

  await popup.reload();
  await popup.getByTestId('sign-out').click();
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', 'signed-out');
  await expect.poll(async () => readMirrorRecord(await sessionCopy(extension, popup))?.sessions).toEqual([]);
  const copy = JSON.stringify(await sessionCopy(extension, popup));
  for (const token of [first.token.token, woken.token.token]) expect(copy.includes(token.split('.')[1]!)).toBe(false);
});

test.describe('a worker stopped in the middle of a refresh', () => {
  // Hour-long tokens: the next proactive refresh is 55 minutes away, so only the start-up
  // recovery of an interrupted refresh can send the request these tests wait for.
  test.use({ stackOptions: { accessTtlSec: 3600 } });

  // Guards the start-up recovery: a refresh cut off before the API answered is sent again at
  // once by the next worker, which stores the new pair. Without the recovery no second request
  // is ever sent within the test and it fails.
  test('before the API answered: the next worker refreshes at once and the session goes on', async ({ extension, stack }) => {
    const { popup, demo } = await signedInAndAllowed(extension, stack);
    const first = (await getTokenFrom(demo)) as { token: { token: string } };

    // Stopped after the reply was stored: the new pair is there and works.
    await popup.getByTestId('refresh-now').click();
    await expect.poll(() => stack.requests('/v2/refresh_token').map((r) => r.status)).toEqual([200]);
    await expect(popup.getByTestId('error')).toBeHidden();
    await expectSignedIn(popup);
    await extension.stopWorker();
    const stored = (await getTokenFrom(demo)) as { token: { token: string } };
    expect(stored.token.token).not.toBe(first.token.token);

    // Stopped while the request is held by the server, before it acted on it.
    stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'delay', delayMs: 600_000 });
    await popup.reload();
    await popup.getByTestId('refresh-now').click();
    await expect.poll(() => stack.requests('/v2/refresh_token').length).toBe(2);
    await extension.stopWorker();

    // Any event starts a fresh worker; it finds the refresh cut off and sends it again.
    const reopened = await extension.openPage('popup.html');
    await expect.poll(() => stack.requests('/v2/refresh_token').map((r) => r.status)).toEqual([200, null, 200]);
    await expectSignedIn(reopened);
    await expect(reopened.getByTestId('error')).toBeHidden();
    const reply = (await getTokenFrom(demo)) as { token: { token: string } };
    expect(reply.token.token).not.toBe(stored.token.token);
    const call = await demo.evaluate(
      async ([url, token]) => (await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status,
      [`${stack.url}/v2/farcaster/ignore_bid`, reply.token.token] as const,
    );
    expect(call).toBe(200);
    // And the stored refresh token is the live one.
    await reopened.getByTestId('refresh-now').click();
    await expect.poll(() => stack.requests('/v2/refresh_token').map((r) => r.status)).toEqual([200, null, 200, 200]);
  });

  // Guards the person being told when the rotated pair was lost: the API acted on the refresh
  // (rotating the pair) but the worker stopped before the new pair was written. The next worker
  // settles the cut-off refresh at once, the API refuses the spent refresh token, and the
  // session expires saying so plainly, on the badge, in a notification and to allowed pages.
  test('after the API answered, before the pair was written: expired, "could not be saved: sign in again"', async ({
    extension,
    stack,
  }) => {
    const { popup, demo } = await signedInAndAllowed(extension, stack);
    await recordSessionEvents(demo);
    stack.faults.inject('/v2/refresh_token', { count: 1, kind: 'delay-reply', delayMs: 600_000 });
    await popup.getByTestId('refresh-now').click();
    // The server has rotated the pair; its answer has not reached the worker.
    await expect.poll(() => stack.requests('/v2/refresh_token').map((r) => r.status)).toEqual([200]);
    await extension.stopWorker();

    const reopened = await extension.openPage('popup.html');
    await expect.poll(() => stack.requests('/v2/refresh_token').map((r) => r.status)).toEqual([200, 401]);
    await expect(reopened.getByTestId('session')).toHaveAttribute('data-state', 'expired');
    await expect(reopened.getByTestId('error')).toHaveText(/The session could not be saved: sign in again/);
    await expect(reopened.getByTestId('sign-in')).toBeVisible();
    await expect.poll(() => badgeAndNotifications(extension)).toEqual({ badge: '!', notifications: [expect.stringMatching(/^expired /)] });
    await expect.poll(() => sessionEvents(demo)).toContainEqual(expect.objectContaining({ state: 'expired', address: DEV_ADDRESS }));
    expect(await callFrom(demo, 'tako_getToken')).toMatchObject({ isError: true, code: 4900, data: { reason: 'expired' } });
  });
});

test('offline: retries back off instead of storming, and resume when the browser is back online', async ({ extension, stack }) => {
  const { popup, demo } = await signedInAndAllowed(extension, stack);
  const token = await getTokenFrom(demo);
  await extension.context.setOffline(true);
  await popup.getByTestId('refresh-now').click();
  await expect(popup.getByTestId('error')).toContainText(/Could not reach/);
  await popup.waitForTimeout(6000);
  const failures = () =>
    readStore(extension).then((stored) =>
      Object.values(stored)
        .map((v) => (v as { session?: { failures: number } }).session?.failures)
        .find((f) => f !== undefined),
    );
  // 6 s of backoff from 1 s doubling: a handful of attempts, not a storm.
  const attempts = (await failures())!;
  expect(attempts).toBeGreaterThanOrEqual(2);
  expect(attempts).toBeLessThanOrEqual(4);
  expect(stack.requests('/v2/refresh_token')).toHaveLength(0);
  // The still-valid token keeps being served.
  expect(await getTokenFrom(demo)).toEqual(token);

  await extension.context.setOffline(false);
  await expect.poll(() => stack.requests('/v2/refresh_token').map((r) => r.status)).toEqual([200]);
  await expect.poll(failures).toBe(0);
  await expectSignedIn(popup);
});
