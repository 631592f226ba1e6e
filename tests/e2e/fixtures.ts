/**
 * Playwright fixtures: a fresh local stack (real HTTP on loopback, free port) and the built
 * extension loaded into the system Chromium on a throw-away profile. What a test then does with
 * them (the popup, the page API, the approval window, what the background keeps) is in
 * tests/support/e2e/, by topic.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test as base, expect } from '@playwright/test';
import type { Reply } from '../../src/core/contract/protocol.ts';
import type { UiReply, UiRequest } from '../../src/core/contract/ui-protocol.ts';
import type { SessionLifetime } from '../../src/core/session/session-lifetime.ts';
import { useEndpoint } from '../../tools/dev/drive.ts';
import { extensionIdOf, launchWithExtension, serviceWorkerOf } from '../../tools/dev/launch.ts';
import { type Stack, type StackOptions, startStack } from '../../tools/stack/server.ts';
import type { Extension } from '../support/e2e/extension.ts';
import { extensionUnderPolicy } from '../support/e2e/policy.ts';
import { attachToolbarPopup } from '../support/e2e/toolbar-popup.ts';

export type { Extension };

/**
 * A tab that is not in front gets its frames late (seconds after it went to the back, about one a
 * second), and a click waits for frames to see its target hold still: each click in the popup
 * while the demo page is in front took 2 s. Unlimited frames keep a click there as quick as in the
 * tab in front; which tab is in front, what the extension sees, is unchanged.
 */
const TEST_CHROMIUM_ARGS = [
  '--disable-frame-rate-limit',
  // CDP's Extensions domain, for clickToolbarButton: the browser's own click on the toolbar button.
  '--enable-unsafe-extension-debugging',
];

export const test = base.extend<{
  stackOptions: StackOptions;
  walletExtension: boolean;
  browserLocale: string | undefined;
  /** An object, not a function: Playwright would take a function for a fixture of its own. */
  policy: { forStack(stack: Stack): Record<string, unknown> } | undefined;
  stack: Stack;
  extension: Extension;
}>({
  stackOptions: [{}, { option: true }],
  /**
   * Loads the local stack's wallet extension (a MetaMask double) beside the product. Off unless a
   * spec signs in through it: every test pays for each extension's start.
   */
  walletExtension: [false, { option: true }],
  /** The browser's UI language ("de"); the system's when left out. */
  browserLocale: [undefined, { option: true }],
  /**
   * An organisation's policy for the extension (from the test's stack): a copy of the build is
   * loaded, with a policy file of its own in Chromium's machine-wide policy folder (policy.ts).
   */
  policy: [undefined, { option: true }],
  stack: async ({ stackOptions }, use) => {
    const stack = await startStack({ port: 0, ...stackOptions });
    await use(stack);
    await stack.close();
  },
  extension: async ({ stack, walletExtension, browserLocale, policy }, use) => {
    const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'tako-session-profile-'));
    const policed = policy ? await extensionUnderPolicy(policy.forStack(stack)) : undefined;
    const launchOptions = {
      walletExtension,
      ...(browserLocale ? { locale: browserLocale } : {}),
      ...(policed ? { extensionPath: policed.dir } : {}),
      args: TEST_CHROMIUM_ARGS,
    };
    // A policy file left behind would apply to no one (the id is the copy's), but is removed anyway.
    let context = await launchWithExtension(userDataDir, launchOptions).catch(async (error: unknown) => {
      await policed?.remove();
      throw error;
    });
    const extension: Extension = {
      id: await extensionIdOf(context),
      get context() {
        return context;
      },
      worker: () => serviceWorkerOf(context),
      async openPage(file) {
        const page = await context.newPage();
        await page.goto(`chrome-extension://${extension.id}/${file}`);
        return page;
      },
      async clickToolbarButton(page) {
        const browser = context.browser();
        if (!browser) throw new Error('no browser to reach the toolbar through');
        // Kept for the popup's life: the popup is reached through this session.
        const cdp = await browser.newBrowserCDPSession();
        // The action is the tab's (its `tab` target), not the page's.
        const { targetInfos: tabs } = await cdp.send('Target.getTargets', { filter: [{ type: 'tab' }] });
        const tab = tabs.find((target) => target.url === page.url());
        if (!tab) throw new Error(`no tab shows ${page.url()}`);
        await cdp.send('Extensions.triggerAction', { id: extension.id, targetId: tab.targetId });
        const popupUrl = `chrome-extension://${extension.id}/popup.html`;
        for (;;) {
          const { targetInfos } = await cdp.send('Target.getTargets');
          const popup = targetInfos.find((target) => target.url === popupUrl);
          if (popup) return attachToolbarPopup(cdp, popup.targetId);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      useEndpoint: (baseUrl, version = 'v2', sessionLifetime) => saveEndpoint(extension, baseUrl, version, sessionLifetime),
      useEndpointInOptions: (baseUrl, version = 'v2') => useEndpoint(context, extension.id, baseUrl, version),
      async openDemo(query = {}) {
        const page = await context.newPage();
        await page.goto(`${stack.url}/?${new URLSearchParams(query)}`);
        return page;
      },
      async stopWorker() {
        const page = context.pages()[0] ?? (await context.newPage());
        const cdp = await context.newCDPSession(page);
        await cdp.send('ServiceWorker.enable');
        await cdp.send('ServiceWorker.stopAllWorkers');
        await cdp.detach();
      },
      async restart() {
        await context.close();
        context = await launchWithExtension(userDataDir, launchOptions);
        await serviceWorkerOf(context);
      },
    };
    try {
      await use(extension);
    } finally {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
      await policed?.remove();
    }
  },
});

export { expect };

/** `useEndpoint`: the options page's settings message, from an options page whose form is left alone. */
async function saveEndpoint(extension: Extension, baseUrl: string, version: 'v1' | 'v2', sessionLifetime?: SessionLifetime): Promise<void> {
  const page = await extension.openPage('options.html');
  const request: UiRequest = {
    type: 'save-settings',
    endpoint: { preset: 'custom', baseUrl, version },
    ...(sessionLifetime ? { sessionLifetime } : {}),
  };
  const reply = await page.evaluate((message) => chrome.runtime.sendMessage(message) as Promise<Reply<UiReply<'save-settings'>>>, request);
  await page.close();
  // The reply names what was stored: proof that this endpoint, and not another, was saved.
  expect(reply).toMatchObject({ ok: true, result: { endpoint: { preset: 'custom', baseUrl, version } } });
}
