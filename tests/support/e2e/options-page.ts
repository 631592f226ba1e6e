/**
 * The options page as a person fills it: a MetaHuman token from the local stack.
 */
import { expect, type Page } from '@playwright/test';

/**
 * Gets a MetaHuman token from the local stack through the options page `options` (left open, the
 * token shown), as a person fills the form.
 */
export async function obtainMetahumanToken(options: Page, baseUrl: string): Promise<void> {
  await expect(options.getByTestId('mh-base-url')).not.toHaveValue('');
  await options.getByTestId('mh-base-url').fill(baseUrl);
  await options.getByTestId('mh-name').fill('Ada Lovelace');
  await options.getByTestId('mh-mail').fill('ada@example.com');
  await options.getByTestId('mh-get-token').click();
  await expect(options.getByTestId('mh-token')).toBeVisible();
}
