/**
 * `npm start`: the local stack, and Chromium with the extension loaded, walking through the main
 * job: point the extension at the stack, open the demo dapp, sign in from the popup with the dev
 * wallet, and watch the token refresh. Headed where there is a display; headless otherwise, with
 * every step printed and a screenshot of the popup saved.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { startStack } from '../stack/server.ts';
import { useEndpoint } from './drive.ts';
import { extensionDir, extensionIdOf, launchWithExtension, projectRoot } from './launch.ts';

const port = Number(process.env.TAKO_STACK_PORT ?? 8787);
/** Short tokens so the refresh can be watched; the real API issues 3600 s tokens. */
const accessTtlSec = Number(process.env.TAKO_ACCESS_TTL ?? 60);
const headless = process.env.HEADLESS === '1' || (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY);
const workDir = path.join(projectRoot, '.start');
const step = (text: string) => console.log(`\u2022 ${text}`);

async function walkThrough(context: BrowserContext, id: string, stackUrl: string): Promise<Page> {
  await useEndpoint(context, id, stackUrl);
  step(`Options: endpoint set to the local stack (${stackUrl}, v2)`);
  await context.newPage().then((demo) => demo.goto(`${stackUrl}/${headless ? '?autoconfirm=1' : ''}`));
  step(`Demo dapp open at ${stackUrl}/ with the dev wallet${headless ? ' (auto-confirm on)' : ''}`);
  const popup = await context.newPage();
  // The popup's own size, so the screenshot looks like the real thing.
  if (headless) await popup.setViewportSize({ width: 360, height: 520 });
  await popup.goto(`chrome-extension://${id}/popup.html`);
  const state = () => popup.getByTestId('session').getAttribute('data-state');
  if ((await state()) !== 'signed-in') {
    step(headless ? 'Popup: clicking "Sign in with wallet"' : 'Popup: click "Sign in with wallet", then Confirm in the dev wallet panel');
    if (headless) await popup.getByTestId('sign-in').click();
    await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor({ timeout: 5 * 60_000 });
  }
  const address = await popup.getByTestId('session-address').getAttribute('data-address');
  const expiresAt = Number(await popup.getByTestId('token-expires').getAttribute('data-expires-at'));
  step(`Signed in as ${address}; the access token expires at ${new Date(expiresAt).toISOString()}`);
  return popup;
}

async function main(): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const stack = await startStack({ port, accessTtlSec });
  step(`Local Tako-compatible stack on ${stack.url} (access tokens live ${accessTtlSec} s)`);
  // A new profile each run: Chromium keeps an extension's service worker scripts per profile and
  // may run a previous build's worker when the version number has not changed.
  await rm(path.join(workDir, 'profile'), { recursive: true, force: true });
  const profile = path.join(workDir, 'profile');
  const context = await launchWithExtension(profile, { headless });
  const id = await extensionIdOf(context);
  step(`Chromium ${headless ? 'headless (no display found)' : 'window'} with the extension from ${extensionDir} (id ${id}), profile ${profile}`);

  const shutdown = async () => {
    await context.close().catch(() => undefined);
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());

  const popup = await walkThrough(context, id, stack.url);
  const screenshot = path.join(workDir, 'popup.png');
  await popup.screenshot({ path: screenshot });
  step(`Screenshot of the popup: ${screenshot}`);

  step('Waiting for the background to refresh the token on its alarm…');
  const refreshesBefore = stack.requests('/v2/refresh_token').length;
  const deadline = Date.now() + (accessTtlSec + 30) * 1000;
  while (stack.requests('/v2/refresh_token').length === refreshesBefore && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const refreshed = stack.requests('/v2/refresh_token').slice(refreshesBefore);
  if (refreshed.length > 0) {
    await popup.reload();
    const next = Number(await popup.getByTestId('token-expires').getAttribute('data-expires-at'));
    step(`Refreshed (HTTP ${refreshed[0]!.status}); the new token expires at ${new Date(next).toISOString()}`);
    await popup.screenshot({ path: path.join(workDir, 'popup-refreshed.png') });
  } else {
    step('No refresh seen yet: open the popup to see the state');
  }
  console.log(`\nRunning. Demo dapp: ${stack.url}/  Stack controls: ${stack.url}/__stack/requests  Stop with Ctrl+C.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
