/**
 * The bench build of the extension (the product plus a bare `bench_echo` route, from
 * `node build.mjs --bench`) and signing in to it from the popup with the demo wallet against the
 * local stack, as each measurement starts.
 */

import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { allowPageOrigin, useEndpoint } from '../../../tools/dev/drive.ts';
import { projectRoot } from '../../../tools/dev/launch.ts';
import type { Stack } from '../../../tools/stack/server.ts';

export const benchExtension = path.join(projectRoot, '.bench', 'extension');

export async function signIn(context: BrowserContext, id: string, stack: Stack): Promise<{ demo: Page; popup: Page }> {
  await useEndpoint(context, id, stack.url);
  const signedIn = await signInAgain(context, id, stack);
  await allowPageOrigin(context, signedIn.demo);
  return signedIn;
}

/** Signs in again after the session was lost (the endpoint is set and the demo origin allowed). */
export async function signInAgain(context: BrowserContext, id: string, stack: Stack): Promise<{ demo: Page; popup: Page }> {
  const demo = await context.newPage();
  await demo.goto(`${stack.url}/?autoconfirm=1`);
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${id}/popup.html`);
  await popup.getByTestId('sign-in').click();
  await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor();
  return { demo, popup };
}
