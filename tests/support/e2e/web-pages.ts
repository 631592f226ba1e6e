/**
 * Web pages a test opens in the extension's browser, beside the demo dapp the fixture opens.
 */
import type { Page } from '@playwright/test';
import type { Extension } from './extension.ts';
import { recordWindowMessages } from './window-messages.ts';

/** Opens any URL in a new tab of the extension's browser. */
export async function openUrl(extension: Extension, url: string): Promise<Page> {
  const page = await extension.context.newPage();
  await page.goto(url);
  return page;
}

/** The same stack under another name: http://localhost:PORT is a different origin from 127.0.0.1. */
export const otherOrigin = (port: number) => `http://localhost:${port}`;

/**
 * A page with no script of its own (the extension's scripts are the only ones in it), served by
 * the browser's request routing at a URL of our choice, so a test can pick its origin and framing.
 */
export async function openPlainPage(
  extension: Extension,
  url: string,
  body = '<p>A plain page.</p>',
  headers: Record<string, string> = {},
): Promise<Page> {
  await extension.context.route(url, (route) =>
    route.fulfill({ contentType: 'text/html; charset=utf-8', headers, body: `<!doctype html><title>plain</title>${body}` }),
  );
  const page = await extension.context.newPage();
  await page.addInitScript(recordWindowMessages);
  await page.goto(url);
  return page;
}
