/**
 * The popup as a person uses it to sign in: opening it and pressing sign-in, waiting for it to show
 * signed-in (saying what it shows instead when it does not), and the usual start of a test, signed
 * in with the demo wallet and the demo page allowed.
 */
import { expect, type Page } from '@playwright/test';
import type { Stack } from '../../../tools/stack/server.ts';
import { DEV_ADDRESS } from '../dev-addresses.ts';
import { approveAccess } from './approval-window.ts';
import type { Extension } from './extension.ts';

/** Opens the popup (in a tab) and clicks sign-in; the demo page's wallet must be open. */
export async function signInFromPopup(extension: Extension): Promise<Page> {
  const popup = await extension.openPage('popup.html');
  await expect(popup.getByTestId('session')).toHaveAttribute('data-state', /signed-out|expired/);
  await popup.getByTestId('sign-in').click();
  return popup;
}

/**
 * Waits for `page` (the popup) to show signed-in. A failure says what the popup shows instead, its
 * error above all, which the bare attribute check would not.
 */
export async function expectSignedIn(page: Page): Promise<void> {
  const session = page.getByTestId('session');
  try {
    await expect(session).toHaveAttribute('data-state', 'signed-in');
  } catch (error) {
    // biome-ignore lint/performance/useDomNodeTextContent: the failure message quotes the popup as a person sees it (rendered text, no hidden nodes)
    const shown = await session.innerText().catch(() => '(the popup is closed)');
    throw new Error(`${(error as Error).message}\n\nThe popup shows:\n${shown}`);
  }
}

/**
 * The common start of a test: the extension points at the local stack, the person signed in from
 * the popup with the demo page's dev wallet (auto-confirming), and allowed the demo's origin.
 */
export async function signedInAndAllowed(extension: Extension, stack: Pick<Stack, 'url'>): Promise<{ demo: Page; popup: Page }> {
  await extension.useEndpoint(stack.url);
  const demo = await extension.openDemo({ autoconfirm: '1' });
  const popup = await signInFromPopup(extension);
  await expectSignedIn(popup);
  expect(await approveAccess(extension, demo)).toMatchObject({ result: { address: DEV_ADDRESS } });
  return { demo, popup };
}

/** The origins the popup lists as allowed sites, in the order it lists them. */
export function siteOrigins(popup: Page): Promise<string[]> {
  return popup
    .getByTestId('sites')
    .getByTestId('site')
    .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.origin ?? ''));
}
