/**
 * The approval window a page's request opens: waiting for it, and answering it as a person would,
 * for access (`tako_requestAccess`) and for what else a page asks the person to confirm.
 */
import { expect, type Page } from '@playwright/test';
import { answerApproval } from '../../../tools/dev/drive.ts';
import type { Extension } from './extension.ts';
import { callFrom, type PageCallOutcome } from './page-api.ts';

export { answerApproval };

/** Asks for access from `page` and approves it in the approval window; resolves what the page got. */
export async function allowOrigin(extension: Extension, page: Page): Promise<unknown> {
  const outcome = await approveAccess(extension, page);
  if (outcome.code !== undefined) throw new Error(`tako_requestAccess failed: ${String(outcome.message)}`);
  return outcome.result;
}

/** Resolves with the next approval window the extension opens. */
export function nextApprovalWindow(extension: Extension): Promise<Page> {
  return extension.context.waitForEvent('page', (page) => page.url().includes('/approval.html'));
}

/**
 * `method` from `page` (in front: a window opens only for the tab in front), with the approval
 * window it opens answered `answer`; resolves what the page got. For what a page asks the person
 * to confirm: `tako_signOut`, `tako_signIn` with the page's own wallet, `metahuman_getToken`.
 */
export async function confirmedFrom(
  extension: Extension,
  page: Page,
  method: string,
  answer: 'approve' | 'deny' = 'approve',
): Promise<PageCallOutcome> {
  await page.bringToFront();
  const opened = nextApprovalWindow(extension);
  const call = callFrom(page, method);
  await answerApproval(await opened, answer);
  return call;
}

/** `tako_requestAccess` from `page`, approved in the window it opens; resolves what the page got. */
export async function approveAccess(extension: Extension, page: Page): Promise<PageCallOutcome> {
  // The approval window opens for a tab in front only, as a person would have it.
  await page.bringToFront();
  const approvalOpened = nextApprovalWindow(extension);
  const access = callFrom(page, 'tako_requestAccess');
  const approval = await approvalOpened;
  await expect(approval.getByTestId('request-origin')).toHaveText(new URL(page.url()).origin);
  await answerApproval(approval, 'approve');
  return access;
}
