/**
 * Web pages a test opens in the extension's browser, beside the demo dapp the fixture opens.
 */
import type { Page } from '@playwright/test';
import type { Extension } from './extension.ts';

/** Opens any URL in a new tab of the extension's browser. */
export async function openUrl(extension: Extension, url: string): Promise<Page> {
  const page = await extension.context.newPage();
  await page.goto(url);
  return page;
}
