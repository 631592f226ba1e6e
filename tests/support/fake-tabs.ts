/**
 * Browser tabs as the background's TabsPort reaches them, for Node tests: each tab shows one
 * document at a time, and navigating replaces it with a new one (a new documentId, no pin, no
 * wallet bridge). A message addressed to a document that is no longer shown fails, as the
 * browser's does. Wallet steps are recorded with the document that received them, and answered
 * as a page with one wallet and one account would.
 */
import assert from 'node:assert/strict';
import type { TabsPort } from '../../src/background/ports/ports.ts';
import type { WalletAction, WalletInfo } from '../../src/core/contract/protocol.ts';
import { DEV_ADDRESS } from './dev-addresses.ts';

export const FAKE_ACCOUNT = DEV_ADDRESS;
export const FAKE_WALLET: WalletInfo = { id: 'wallet-1', icon: '', rdns: 'example.dev.wallet' };

interface FakeDocument {
  tabId: number;
  url: string;
  documentId: string;
  /** The sign-in pin given to this document (SIGN_IN_PIN in its isolated world). */
  pin?: string;
  bridge: boolean;
}

/** A wallet step as it arrived: which tab and document got it, with which pin. */
export interface ReceivedStep {
  tabId: number;
  documentId: string;
  pin: string;
  action: WalletAction['action'];
}

/** `pages`: tab id to the URL it shows. */
export function fakeTabs(pages: Record<number, string>) {
  let documents = 0;
  const shown = new Map<number, FakeDocument>();
  const steps: ReceivedStep[] = [];
  const navigate = (tabId: number, url: string) => {
    const document: FakeDocument = { tabId, url, documentId: `DOC-${++documents}`, bridge: false };
    shown.set(tabId, document);
    return document;
  };
  for (const [tabId, url] of Object.entries(pages)) navigate(Number(tabId), url);

  /** The document `tabId` shows, if it is `documentId` (when given); otherwise nothing receives it. */
  function receiver(tabId: number, documentId?: string): FakeDocument {
    const document = shown.get(tabId);
    if (!document || (documentId !== undefined && document.documentId !== documentId)) {
      throw new Error('Could not establish connection. Receiving end does not exist.');
    }
    return document;
  }

  function answer(request: WalletAction): unknown {
    if (request.action === 'list-wallets') return { ok: true, result: [FAKE_WALLET] };
    if (request.action === 'request-accounts') return { ok: true, result: [FAKE_ACCOUNT] };
    return { ok: false, error: { code: 4001, message: 'This page signs nothing' } };
  }

  /** The active tab of the focused window; the first tab until a test brings another to the front. */
  let inFront: number | undefined = Number(Object.keys(pages)[0]);

  const tabs: TabsPort = {
    query: async (query) =>
      [...shown.values()]
        // One window: its active tab is the active tab of the focused window.
        .filter((document) => !query.active || document.tabId === inFront)
        .map((document) => ({ id: document.tabId, url: document.url })),
    async send(tabId, message, documentId) {
      const document = receiver(tabId, documentId);
      assert.equal(message.type, 'wallet-request', 'only wallet steps are sent in these tests');
      if (message.type !== 'wallet-request') return undefined;
      steps.push({ tabId, documentId: document.documentId, pin: message.pin, action: message.request.action });
      return answer(message.request);
    },
    ensureRelay: async (tabId) => void receiver(tabId),
    async pinDocument(tabId, pin) {
      const document = receiver(tabId);
      document.pin = pin;
      return { origin: new URL(document.url).origin, documentId: document.documentId };
    },
    async injectWalletBridge(tabId, documentId) {
      receiver(tabId, documentId).bridge = true;
    },
    async documentOrigin(tabId, documentId) {
      try {
        return new URL(receiver(tabId, documentId).url).origin;
      } catch {
        return undefined;
      }
    },
  };

  return {
    tabs,
    /** Every wallet step, in order, with the document that received it. */
    steps,
    /** The tab loads `url`: a new document replaces the one it showed. */
    navigate: (tabId: number, url: string) => void navigate(tabId, url),
    /** The document the tab shows now. */
    document: (tabId: number) => receiver(tabId),
    /** The tab is closed: its document is gone. */
    close: (tabId: number) => void shown.delete(tabId),
    /** The tab becomes the active tab of the focused window (undefined: no web page is in front). */
    bringToFront: (tabId: number | undefined) => {
      inFront = tabId;
    },
  };
}
