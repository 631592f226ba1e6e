/**
 * Driving the extension as a person would, through its real pages: shared by `npm start`, the
 * end-to-end tests and the bench.
 */
import type { BrowserContext, Page } from '@playwright/test';

/** Options page: point the extension at a Tako API (the local stack, usually). */
export async function useEndpoint(context: BrowserContext, extensionId: string, baseUrl: string, version: 'v1' | 'v2' = 'v2') {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/options.html`);
  await page.getByTestId('endpoint').selectOption('custom');
  await page.getByTestId('base-url').fill(baseUrl);
  await page.getByTestId('api-version').selectOption(version);
  await page.getByTestId('save').click();
  // The status names what was stored: proof that this endpoint, and not another, was saved.
  await page
    .getByTestId('options-status')
    .filter({ hasText: `Saved: ${baseUrl} (${version})` })
    .waitFor({ timeout: 15_000 });
  await page.close();
}

/** Options page: sign in directly through this wallet extension (the local stack's MetaMask double, say). */
export async function useWalletExtension(context: BrowserContext, extensionId: string, walletExtensionId: string) {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/options.html`);
  const field = page.getByTestId('wallet-extension-id');
  await page.locator('[data-testid="wallet-extension-id"]:enabled').waitFor({ timeout: 15_000 });
  await field.fill(walletExtensionId);
  await page.getByTestId('save').click();
  await page.getByTestId('options-status').filter({ hasText: walletExtensionId }).waitFor({ timeout: 15_000 });
  await page.close();
}

/**
 * Clicks approve or deny in an approval window. The window closes itself once answered, which
 * can happen before Playwright's click returns, so the click's own outcome is not awaited: the
 * window closing is the proof that the answer went through.
 */
export async function answerApproval(approval: Page, answer: 'approve' | 'deny'): Promise<void> {
  const button = approval.getByTestId(answer);
  await approval.locator(`[data-testid="${answer}"]:enabled`).waitFor({ timeout: 15_000 });
  await Promise.all([approval.waitForEvent('close'), button.click().catch(() => undefined)]);
}

/** Asks for access from `page` and approves it; resolves what tako_requestAccess resolved. */
export async function allowPageOrigin(context: BrowserContext, page: Page): Promise<unknown> {
  // The approval window opens only for a tab in front.
  await page.bringToFront();
  const approvalOpened = context.waitForEvent('page', (p) => p.url().includes('/approval.html'));
  const access = page.evaluate(() => window.takoSession!.request({ method: 'tako_requestAccess' }));
  await answerApproval(await approvalOpened, 'approve');
  return access;
}
