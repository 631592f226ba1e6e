/**
 * The built extension as a Playwright test gets it (the `extension` fixture of e2e/fixtures.ts):
 * its id and browser, and what a test does to it beside its pages. Its own file so that the
 * modules that drive the extension can name it without importing the fixture.
 */

import type { BrowserContext, Page, Worker } from '@playwright/test';
import type { SessionLifetime } from '../../../src/core/session/session-lifetime.ts';
import type { ToolbarPopup } from './toolbar-popup.ts';

export interface Extension {
  id: string;
  context: BrowserContext;
  worker: () => Promise<Worker>;
  /** Opens an extension page (popup.html, options.html, ...) in a tab. */
  openPage: (file: string) => Promise<Page>;
  /**
   * Clicks the extension's toolbar button over `page`'s tab, as a person does: the browser opens
   * the popup there and gives the extension that tab (`activeTab`). Resolves the popup.
   */
  clickToolbarButton: (page: Page) => Promise<ToolbarPopup>;
  /**
   * Points the extension at the local stack: the settings message the options page's Save sends,
   * sent from an extension page without filling the form. For tests the form is not part of.
   * `sessionLifetime` in seconds, as the background accepts it (the form offers minutes and days).
   */
  useEndpoint: (baseUrl: string, version?: 'v1' | 'v2', sessionLifetime?: SessionLifetime) => Promise<void>;
  /** Points the extension at the local stack through the options page's form, as a person would. */
  useEndpointInOptions: (baseUrl: string, version?: 'v1' | 'v2') => Promise<void>;
  /** The demo dapp with its dev wallet, with query parameters such as { autoconfirm: '1' }. */
  openDemo: (query?: Record<string, string>) => Promise<Page>;
  /** Stops the service worker through CDP; the next event starts a fresh one. */
  stopWorker: () => Promise<void>;
  /** Closes the browser and launches it again on the same profile. */
  restart: () => Promise<void>;
}
