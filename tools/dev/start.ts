/**
 * `npm start`: the local stack, and Chromium with the extension loaded, walking through the main
 * job: point the extension at the stack, open the demo dapp, sign in from the popup with the dev
 * wallet, and watch the token refresh. Headed where there is a display; headless otherwise, with
 * every step printed and a screenshot of the popup saved. `npm start -- --firefox` does the same in
 * Firefox ESR with the Firefox build.
 */

import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext } from '@playwright/test';
import { startStack } from '../stack/server.ts';
import { DEV_WALLET_EXTENSION_ID } from '../stack/wallet-extension/id.ts';
import { useEndpoint, useWalletExtension } from './drive.ts';
import { byTestId, firefoxXpiPath, launchFirefoxWithExtension, useEndpointInFirefox } from './firefox.ts';
import { extensionDir, extensionIdOf, launchWithExtension, projectRoot } from './launch.ts';

const port = Number(process.env.TAKO_STACK_PORT ?? 8787);
/** Short tokens so the refresh can be watched; the real API issues 3600 s tokens. */
const accessTtlSec = Number(process.env.TAKO_ACCESS_TTL ?? 60);
const headless = process.env.HEADLESS === '1' || (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY);
const workDir = path.join(projectRoot, '.start');
const step = (text: string) => console.log(`\u2022 ${text}`);

/** What the walk-through needs of a browser with the extension, whichever browser it is. */
interface Driver {
  description: string;
  /** Points the extension at the stack, opens the demo, signs in from the popup; resolves the popup's state. */
  signIn(stackUrl: string): Promise<void>;
  popupState(): Promise<{ address: string; expiresAt: number }>;
  screenshot(file: string): Promise<void>;
  close(): Promise<void>;
}

async function chromiumDriver(profile: string): Promise<Driver> {
  // The local stack's MetaMask double is loaded beside the product unless asked not to.
  const walletExtension = !process.argv.includes('--no-wallet-extension');
  const context: BrowserContext = await launchWithExtension(profile, { headless, walletExtension });
  const id = await extensionIdOf(context);
  const popup = await context.newPage();
  // The popup's own size, so the screenshot looks like the real thing.
  if (headless) await popup.setViewportSize({ width: 360, height: 520 });
  return {
    description: `Chromium ${headless ? 'headless (no display found)' : 'window'} with the extension from ${extensionDir} (id ${id})${walletExtension ? ` and the dev wallet extension (id ${DEV_WALLET_EXTENSION_ID})` : ''}`,
    async signIn(stackUrl) {
      await useEndpoint(context, id, stackUrl);
      step(`Options: endpoint set to the local stack (${stackUrl}, v2)`);
      if (walletExtension) {
        await useWalletExtension(context, id, DEV_WALLET_EXTENSION_ID);
        step('Options: sign in directly through the dev wallet extension (the local stand-in for MetaMask)');
        if (headless) {
          const wallet = await context.newPage();
          await wallet.goto(`chrome-extension://${DEV_WALLET_EXTENSION_ID}/wallet.html`);
          await wallet.getByTestId('wallet-auto-confirm').check();
          await wallet.locator('[data-testid="wallet-settings"][data-auto-confirm="true"]').waitFor();
          await wallet.close();
          step('Dev wallet extension: auto-confirm on');
        }
      }
      await context.newPage().then((demo) => demo.goto(`${stackUrl}/${headless ? '?autoconfirm=1' : ''}`));
      step(`Demo dapp open at ${stackUrl}/ with the dev wallet${headless ? ' (auto-confirm on)' : ''}`);
      await popup.goto(`chrome-extension://${id}/popup.html`);
      if ((await popup.getByTestId('session').getAttribute('data-state')) !== 'signed-in') {
        const source = popup.getByTestId('sign-in-source');
        await source.locator('xpath=self::*[@data-kind!=""]').waitFor();
        const kind = await source.getAttribute('data-kind');
        step(
          kind === 'extension'
            ? 'Popup names the dev wallet extension as the source (no web page takes part); "Sign in with another" offers the demo page'
            : `Popup names the page ${await source.getAttribute('data-origin')} as the source`,
        );
        step(headless ? 'Popup: clicking "Sign in with wallet"' : 'Popup: click "Sign in with wallet", then confirm in the wallet');
        if (headless) await popup.getByTestId('sign-in').click();
        await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor({ timeout: 5 * 60_000 });
      }
    },
    async popupState() {
      await popup.reload();
      await popup.locator('[data-testid="session"][data-state="signed-in"]').waitFor();
      return {
        address: (await popup.getByTestId('session-address').getAttribute('data-address')) ?? '',
        expiresAt: Number(await popup.getByTestId('token-expires').getAttribute('data-expires-at')),
      };
    },
    screenshot: async (file) => void (await popup.screenshot({ path: file })),
    close: () => context.close(),
  };
}

async function firefoxDriver(profile: string): Promise<Driver> {
  const firefox = await launchFirefoxWithExtension(profile, { headless });
  let popup = await firefox.openExtensionPage('popup.html');
  const attribute = async (testId: string, name: string) =>
    (await byTestId(popup, testId)).evaluate((node, key) => node.getAttribute(key) ?? '', name);
  return {
    description: `Firefox ESR ${headless ? 'headless (no display found)' : 'window'} with ${path.relative(projectRoot, firefoxXpiPath)} (${firefox.addonId})`,
    async signIn(stackUrl) {
      await useEndpointInFirefox(firefox, stackUrl);
      step(`Options: endpoint set to the local stack (${stackUrl}, v2)`);
      const demo = await firefox.openPage(`${stackUrl}/${headless ? '?autoconfirm=1' : ''}`);
      step(`Demo dapp open at ${stackUrl}/ with the dev wallet${headless ? ' (auto-confirm on)' : ''}`);
      await popup.close();
      popup = await firefox.openExtensionPage('popup.html');
      if (headless) await popup.setViewport({ width: 360, height: 520 });
      if ((await attribute('session', 'data-state')) !== 'signed-in') {
        step(
          headless ? 'Popup: clicking "Sign in with wallet"' : 'Popup: click "Sign in with wallet", then Confirm in the dev wallet panel',
        );
        // The popup signs in with the wallet of the web page used last.
        await demo.bringToFront();
        await popup.bringToFront();
        if (headless) await (await byTestId(popup, 'sign-in', ':not([hidden])')).click();
        await byTestId(popup, 'session', '[data-state="signed-in"]', 5 * 60_000);
      }
    },
    async popupState() {
      await popup.close();
      popup = await firefox.openExtensionPage('popup.html');
      if (headless) await popup.setViewport({ width: 360, height: 520 });
      await byTestId(popup, 'session', '[data-state="signed-in"]');
      return {
        address: await attribute('session-address', 'data-address'),
        expiresAt: Number(await attribute('token-expires', 'data-expires-at')),
      };
    },
    screenshot: async (file) => void (await popup.screenshot({ path: file })),
    close: () => firefox.close(),
  };
}

async function main(): Promise<void> {
  const inFirefox = process.argv.includes('--firefox');
  await mkdir(workDir, { recursive: true });
  const stack = await startStack({ port, accessTtlSec });
  step(`Local Tako-compatible stack on ${stack.url} (access tokens live ${accessTtlSec} s)`);
  // A new profile each run: Chromium keeps an extension's service worker scripts per profile and
  // may run a previous build's worker when the version number has not changed.
  const profile = path.join(workDir, inFirefox ? 'profile-firefox' : 'profile');
  await rm(profile, { recursive: true, force: true });
  const driver = await (inFirefox ? firefoxDriver(profile) : chromiumDriver(profile));
  step(`${driver.description}, profile ${profile}`);

  const shutdown = async () => {
    await driver.close().catch(() => undefined);
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());

  await driver.signIn(stack.url);
  const first = await driver.popupState();
  step(`Signed in as ${first.address}; the access token expires at ${new Date(first.expiresAt).toISOString()}`);
  const screenshot = path.join(workDir, 'popup.png');
  await driver.screenshot(screenshot);
  step(`Screenshot of the popup: ${screenshot}`);

  step('Waiting for the background to refresh the token on its alarm…');
  const refreshesBefore = stack.requests('/v2/refresh_token').length;
  const deadline = Date.now() + (accessTtlSec + 30) * 1000;
  while (stack.requests('/v2/refresh_token').length === refreshesBefore && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const refreshed = stack.requests('/v2/refresh_token').slice(refreshesBefore);
  if (refreshed.length > 0) {
    const next = await driver.popupState();
    step(`Refreshed (HTTP ${refreshed[0]!.status}); the new token expires at ${new Date(next.expiresAt).toISOString()}`);
    await driver.screenshot(path.join(workDir, 'popup-refreshed.png'));
  } else {
    step('No refresh seen yet: open the popup to see the state');
  }
  console.log(`\nRunning. Demo dapp: ${stack.url}/  Stack controls: ${stack.url}/__stack/requests  Stop with Ctrl+C.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
