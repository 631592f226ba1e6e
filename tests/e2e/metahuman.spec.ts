/**
 * The MetaHuman token in real Chromium: obtained through the options page (one form POST, shown
 * masked, stored), replaced only with the person's yes, handed to a page with `metahuman_getToken`
 * only once the site is allowed for it, and kept across a browser restart.
 */
import type { Page } from '@playwright/test';
import { StorageKeys } from '../../src/background/storage/storage-keys.ts';
import type { UiReplies } from '../../src/core/contract/ui-protocol.ts';
import type { Stack } from '../../tools/stack/server.ts';
import { allowOrigin, answerApproval, nextApprovalWindow } from '../support/e2e/approval-window.ts';
import { readStore, storedText } from '../support/e2e/extension-state.ts';
import { type Extension, expect, test } from './fixtures.ts';

const ADA = { name: 'Ada Lovelace', mail: 'ada@example.com', comment: 'end-to-end test' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MASKED = /^[0-9a-f]{8}-••••-••••-••••-••••••••[0-9a-f]{4}$/;

interface TokenRecord {
  v: number;
  token: string;
  obtainedAt: number;
  baseUrl: string;
  name: string;
  mail: string;
}

/**
 * The stored token as the background reads it back (it is sealed at rest, so the database alone
 * does not show it): what the options page is given.
 */
async function storedRecord(extension: Extension): Promise<TokenRecord | undefined> {
  const page = await extension.openPage('options.html');
  const view = await page.evaluate(
    () => chrome.runtime.sendMessage({ type: 'get-metahuman' }) as Promise<{ ok: true; result: UiReplies['get-metahuman'] }>,
  );
  await page.close();
  const token = view.result.token;
  return token
    ? { v: 1, token: token.token, obtainedAt: token.obtainedAt, baseUrl: token.baseUrl, name: token.name, mail: token.mail }
    : undefined;
}

function maskOf(token: string): string {
  return `${token.slice(0, 8)}-••••-••••-••••-••••••••${token.slice(-4)}`;
}

/** The options page with the MetaHuman section pointed at the local stack and the form filled in. */
async function fillForm(extension: Extension, stack: Stack, fields: Partial<typeof ADA> = ADA): Promise<Page> {
  const page = await extension.openPage('options.html');
  await expect(page.getByTestId('mh-base-url')).not.toHaveValue('');
  await page.getByTestId('mh-base-url').fill(stack.url);
  await page.getByTestId('mh-name').fill(fields.name ?? '');
  await page.getByTestId('mh-mail').fill(fields.mail ?? '');
  await page.getByTestId('mh-comment').fill(fields.comment ?? '');
  return page;
}

/** Gets a first token through the options page; returns the page and the stored token. */
async function obtainFirstToken(extension: Extension, stack: Stack): Promise<{ page: Page; token: string }> {
  const page = await fillForm(extension, stack);
  await page.getByTestId('mh-get-token').click();
  await expect(page.getByTestId('mh-token')).toHaveText(MASKED);
  const record = await storedRecord(extension);
  expect(record?.token).toMatch(UUID);
  return { page, token: record!.token };
}

function metahumanTokenFrom(page: Page) {
  return page.evaluate(async () => {
    try {
      return { result: await window.takoSession!.request({ method: 'metahuman_getToken' }) };
    } catch (error) {
      return { code: (error as { code: number }).code, message: (error as Error).message };
    }
  });
}

/** `metahuman_getToken` from `page`, approved in the window it opens. */
async function approveMetahuman(extension: Extension, page: Page) {
  await page.bringToFront();
  const opened = nextApprovalWindow(extension);
  const call = metahumanTokenFrom(page);
  const approval = await opened;
  await expect(approval.getByTestId('request-scope')).toHaveAttribute('data-scope', 'metahuman');
  await answerApproval(approval, 'approve');
  return call;
}

test('obtains a token through the options page: one form POST, shown masked, stored', async ({ extension, stack }) => {
  const page = await extension.openPage('options.html');
  await expect(page.getByTestId('mh-base-url')).toHaveValue('https://api.metahumansdk.io');
  await expect(page.getByTestId('mh-token')).toBeHidden();
  await expect(page.getByTestId('mh-get-token')).toHaveText('Get token');
  await page.close();

  // Held by the stack until the test has seen the progress state.
  stack.faults.inject('/auth/token', { count: 1, kind: 'delay', delayMs: 4000 });
  const form = await fillForm(extension, stack);
  await form.getByTestId('mh-get-token').click();
  await expect(form.getByTestId('mh-get-token')).toHaveText('Requesting…');
  await expect(form.getByTestId('mh-get-token')).toBeDisabled();

  await expect(form.getByTestId('mh-token')).toHaveText(MASKED);
  await expect(form.getByTestId('mh-get-token')).toBeEnabled();
  await expect(form.getByTestId('mh-status')).toContainText('Token received and saved');
  await expect(form.getByTestId('mh-error')).toBeHidden();

  const posts = stack.requests('/auth/token');
  expect(posts).toHaveLength(1);
  // The stack answers 200 only to application/x-www-form-urlencoded; the log shows the parsed form.
  expect(posts[0]!.status).toBe(200);
  expect(posts[0]!.method).toBe('POST');
  expect(posts[0]!.body).toEqual(ADA);

  const stored = await readStore(extension);
  const record = (await storedRecord(extension))!;
  expect(record).toEqual({
    v: 1,
    token: expect.stringMatching(UUID),
    obtainedAt: expect.any(Number),
    baseUrl: stack.url,
    name: ADA.name,
    mail: ADA.mail,
  });
  expect(stored[StorageKeys.metahumanSettings]).toEqual({ v: 1, baseUrl: stack.url });
  // Sealed at rest: no part of the token is readable in the database.
  const text = await storedText(extension);
  // Parts long enough not to occur by chance (its 4-digit groups could be in a timestamp).
  for (const part of record.token.split('-').filter((p) => p.length >= 8)) expect(text).not.toContain(part);
  await expect(form.getByTestId('mh-token')).toHaveText(maskOf(record.token));
  // The full token is not in the page's markup, only behind the copy button.
  expect(await form.content()).not.toContain(record.token);
  await expect(form.getByTestId('mh-token-info')).toContainText(`${ADA.name} <${ADA.mail}>`);
});

test('invalid fields are explained next to each field and nothing is sent', async ({ extension, stack }) => {
  const page = await fillForm(extension, stack, { name: '   ', mail: 'ada-at-example', comment: 'c'.repeat(1001) });
  await page.getByTestId('mh-get-token').click();

  await expect(page.getByTestId('mh-name-error')).toHaveText('Enter your name');
  await expect(page.getByTestId('mh-mail-error')).toHaveText('Enter an e-mail address such as ada@example.com');
  await expect(page.getByTestId('mh-comment-error')).toHaveText('Use at most 1000 characters (now 1001)');
  await expect(page.getByTestId('mh-mail')).toHaveAttribute('aria-invalid', 'true');

  // Fixing the name alone still leaves the e-mail refused.
  await page.getByTestId('mh-name').fill(ADA.name);
  await page.getByTestId('mh-comment').fill('');
  await page.getByTestId('mh-get-token').click();
  await expect(page.getByTestId('mh-name-error')).toBeHidden();
  await expect(page.getByTestId('mh-mail-error')).toBeVisible();

  expect(stack.requests('/auth/token')).toHaveLength(0);
  expect((await readStore(extension))[StorageKeys.metahumanToken]).toBeUndefined();
  await expect(page.getByTestId('mh-token')).toBeHidden();
});

test("the API's error is shown readably and stores nothing", async ({ extension, stack }) => {
  stack.faults.inject('/auth/token', { count: 1, kind: 'status', status: 400 });
  const page = await fillForm(extension, stack);
  await page.getByTestId('mh-get-token').click();

  await expect(page.getByTestId('mh-error')).toHaveText(
    'The MetaHuman SDK API answered 400: Bad Request (fault injected by the local stack) (error 400)',
  );
  await expect(page.getByTestId('mh-get-token')).toBeEnabled();
  await expect(page.getByTestId('mh-get-token')).toHaveText('Get token');
  await expect(page.getByTestId('mh-token')).toBeHidden();
  expect(stack.requests('/auth/token')).toHaveLength(1);
  expect((await readStore(extension))[StorageKeys.metahumanToken]).toBeUndefined();

  // The same form goes through once the API accepts it.
  await page.getByTestId('mh-get-token').click();
  await expect(page.getByTestId('mh-token')).toHaveText(MASKED);
  await expect(page.getByTestId('mh-error')).toBeHidden();
});

test('the masked token copies in full', async ({ extension, stack }) => {
  const { page, token } = await obtainFirstToken(extension, stack);
  await expect(page.getByTestId('mh-copy')).toHaveText('Copy');
  await page.getByTestId('mh-copy').click();
  await expect(page.getByTestId('mh-copy')).toHaveText('Copied');
  await expect(page.getByTestId('mh-error')).toBeHidden();

  // Pasted where a person would paste it: the full token, not the masked one.
  const scratch = await extension.context.newPage();
  await scratch.setContent('<textarea aria-label="scratch"></textarea>');
  await scratch.getByLabel('scratch').focus();
  await scratch.keyboard.press('ControlOrMeta+V');
  await expect(scratch.getByLabel('scratch')).toHaveValue(token);
});

test('getting a new token asks first; cancel keeps the old one, confirm replaces it', async ({ extension, stack }) => {
  const { page, token: first } = await obtainFirstToken(extension, stack);
  await expect(page.getByTestId('mh-get-token')).toHaveText('Get a new token');

  await page.getByTestId('mh-get-token').click();
  const confirm = page.getByTestId('mh-confirm');
  await expect(confirm).toBeVisible();
  await expect(confirm).toContainText('cannot be fetched again');
  await page.getByTestId('mh-cancel-replace').click();
  await expect(confirm).toBeHidden();
  await expect(page.getByTestId('mh-status')).toHaveText('Kept your current token.');
  await expect(page.getByTestId('mh-token')).toHaveText(maskOf(first));
  expect(stack.requests('/auth/token')).toHaveLength(1);
  expect((await storedRecord(extension))?.token).toBe(first);

  // A failed replacement keeps the old token too.
  stack.faults.inject('/auth/token', { count: 1, kind: 'status', status: 503 });
  await page.getByTestId('mh-get-token').click();
  await page.getByTestId('mh-confirm-replace').click();
  await expect(page.getByTestId('mh-error')).toContainText('answered 503');
  await expect(page.getByTestId('mh-error')).toContainText('try again in a moment');
  await expect(page.getByTestId('mh-token')).toHaveText(maskOf(first));
  expect((await storedRecord(extension))?.token).toBe(first);

  await page.getByTestId('mh-get-token').click();
  await page.getByTestId('mh-confirm-replace').click();
  await expect(page.getByTestId('mh-token')).not.toHaveText(maskOf(first));
  await expect(page.getByTestId('mh-token')).toHaveText(MASKED);
  const second = (await storedRecord(extension))!.token;
  expect(second).toMatch(UUID);
  expect(second).not.toBe(first);
  await expect(page.getByTestId('mh-token')).toHaveText(maskOf(second));
  expect(stack.requests('/auth/token')).toHaveLength(3);
});

test('the background refuses to replace a token without the yes, whatever the page sends', async ({ extension, stack }) => {
  const { page, token } = await obtainFirstToken(extension, stack);
  const reply = await page.evaluate(
    (fields) => chrome.runtime.sendMessage({ type: 'obtain-metahuman', ...fields, replaceExisting: false }),
    ADA,
  );
  expect(reply).toEqual({ ok: false, error: { code: -32602, message: expect.stringContaining('already stored') } });
  expect(stack.requests('/auth/token')).toHaveLength(1);
  expect((await storedRecord(extension))?.token).toBe(token);
});

test('a page gets the token with metahuman_getToken only once allowed', async ({ extension, stack }) => {
  const demo = await extension.openDemo();
  expect(await metahumanTokenFrom(demo)).toEqual({ code: 4100, message: expect.stringContaining('not allowed') });

  const { token } = await obtainFirstToken(extension, stack);
  // Still not allowed: the stored token changes nothing for this origin.
  expect(await metahumanTokenFrom(demo)).toEqual({ code: 4100, message: expect.stringContaining('not allowed') });

  // Nobody is signed in to Tako here, so access resolves with no session.
  expect(await allowOrigin(extension, demo)).toBeNull();
  // The token is a grant of its own: approved in its own window.
  expect(await approveMetahuman(extension, demo)).toEqual({ result: { token } });
  expect(await metahumanTokenFrom(demo)).toEqual({ result: { token } });
});

// Guards that a site learns whether a token is stored only once it has the grant: before, it is
// asked for in its own window whether or not there is one; after, it is told plainly there is none.
test('with no token stored, a page is asked for as usual, and told plainly once allowed', async ({ extension }) => {
  const demo = await extension.openDemo();
  await allowOrigin(extension, demo);
  expect(await approveMetahuman(extension, demo)).toEqual({ code: 4900, message: expect.stringContaining('No MetaHuman SDK token') });
  expect(await metahumanTokenFrom(demo)).toEqual({ code: 4900, message: expect.stringContaining('No MetaHuman SDK token') });
});

test('the token survives a browser restart', async ({ extension, stack }) => {
  const { token } = await obtainFirstToken(extension, stack);
  const allowed = await extension.openDemo();
  await allowOrigin(extension, allowed);
  expect(await approveMetahuman(extension, allowed)).toEqual({ result: { token } });

  await extension.restart();

  const options = await extension.openPage('options.html');
  await expect(options.getByTestId('mh-token')).toHaveText(maskOf(token));
  await expect(options.getByTestId('mh-base-url')).toHaveValue(stack.url);
  const demo = await extension.openDemo();
  expect(await metahumanTokenFrom(demo)).toEqual({ result: { token } });
  expect(stack.requests('/auth/token')).toHaveLength(1);
});
