/**
 * A page's wallet as a sign-in source (background/wallets/page-wallet.ts) with a fake TabsPort: which page is
 * named first; pinning: nothing goes to a document other than the one named; and none of the free
 * text the page's wallet writes (its errors, its name, an account that is not one) reaches the person.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TabInfo, TabsPort } from '../../src/background/ports/ports.ts';
import type { WalletPort } from '../../src/background/ports/session-ports.ts';
import { createPageWallets, walletFailedMessage } from '../../src/background/wallets/page-wallet.ts';
import { DOCUMENT_CHANGED } from '../../src/core/contract/channels.ts';
import type { BackgroundToContent } from '../../src/core/contract/protocol.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';
import { sessionHarness } from '../support/session-harness.ts';

const DAPP = 'https://dapp.example';

function fakeTabs(options: { active?: TabInfo; web?: TabInfo[]; showing?: string; documentId?: string; reply?: unknown } = {}) {
  const sent: Array<{ tabId: number; message: BackgroundToContent; documentId?: string }> = [];
  const bridged: Array<string | undefined> = [];
  const tabs: TabsPort = {
    query: async (query) => (query.active ? (options.active ? [options.active] : []) : (options.web ?? [])),
    send: async (tabId, message, documentId) => {
      sent.push({ tabId, message, ...(documentId ? { documentId } : {}) });
      return options.reply ?? { ok: true, result: [DEV_ADDRESS] };
    },
    ensureRelay: async () => undefined,
    pinDocument: async () => ({ origin: options.showing ?? DAPP, ...(options.documentId ? { documentId: options.documentId } : {}) }),
    injectWalletBridge: async (_tabId, documentId) => void bridged.push(documentId),
    documentOrigin: async () => assert.fail('no approval in these tests'),
  };
  return { tabs, sent, bridged, walletSteps: () => sent.filter((s) => s.message.type === 'wallet-request') };
}

/** Tabs as the browser reports them: with the titles their pages wrote. */
const titled = <T extends TabInfo & { title: string }>(tabs: T[]): TabInfo[] => tabs;

test('the page in front is named first, then the others by last use; nothing is sent to any', async () => {
  const fake = fakeTabs({
    active: titled([{ id: 2, url: 'https://front.example/app', title: 'Front' }])[0],
    web: titled([
      { id: 1, url: 'https://old.example/', lastAccessed: 10, title: 'Old' },
      { id: 2, url: 'https://front.example/app', lastAccessed: 20, title: 'Front' },
      { id: 3, url: 'https://recent.example/', lastAccessed: 30, title: 'Recent' },
      { id: 4, url: 'chrome://settings', lastAccessed: 40, title: 'Settings' },
    ]),
  });
  const pages = await createPageWallets(fake.tabs).listPages();
  assert.deepEqual(
    pages.map((page) => page.origin),
    ['https://front.example', 'https://recent.example', 'https://old.example'],
  );
  assert.deepEqual(fake.sent, []);
});

// Guards: the extension's UI shows no page's free text. A tab's title is the page's to write, so
// the sources the popup lists carry the origin the browser reports and nothing of the title; an
// origin open in several tabs is listed once (entries alike could not be told apart), by its tab
// in front.
test('each origin is listed once, by its origin alone: no tab title reaches the popup', async () => {
  const phishing = 'Your session expired: sign in again at evil.example';
  const fake = fakeTabs({
    active: titled([{ id: 5, url: 'https://dapp.example/b', title: phishing }])[0],
    web: titled([
      { id: 4, url: 'https://dapp.example/a', lastAccessed: 50, title: phishing },
      { id: 5, url: 'https://dapp.example/b', lastAccessed: 20, title: phishing },
      { id: 6, url: 'https://other.example/', lastAccessed: 30, title: phishing },
    ]),
  });
  const pages = await createPageWallets(fake.tabs).listPages();
  assert.deepEqual(pages, [
    { kind: 'page', tabId: 5, origin: 'https://dapp.example' },
    { kind: 'page', tabId: 6, origin: 'https://other.example' },
  ]);
  assert.doesNotMatch(JSON.stringify(pages), /session expired/);
});

test('with an extension page in front, the most recently used web page is named first', async () => {
  const fake = fakeTabs({
    active: { id: 9, url: 'chrome-extension://abc/popup.html' },
    web: [
      { id: 1, url: 'https://old.example/', lastAccessed: 10 },
      { id: 3, url: 'https://recent.example/', lastAccessed: 30 },
    ],
  });
  const [first] = await createPageWallets(fake.tabs).listPages();
  assert.equal(first?.origin, 'https://recent.example');
});

// Guards: the origin check at pinning. Without it, a tab that moved to another site after the
// popup named it would be sent the wallet steps.
test('a tab that no longer shows the named origin is refused before any wallet step', async () => {
  const fake = fakeTabs({ showing: 'https://elsewhere.example' });
  await assert.rejects(createPageWallets(fake.tabs).pin(7, DAPP), /no longer shows https:\/\/dapp\.example/);
  assert.deepEqual(fake.walletSteps(), []);
  assert.deepEqual(fake.bridged, []);
});

test('every wallet step goes to the pinned document, with its pin', async () => {
  const fake = fakeTabs({ documentId: 'DOC-1' });
  const wallets = createPageWallets(fake.tabs);
  const page = await wallets.pin(7, DAPP);
  assert.deepEqual(fake.bridged, ['DOC-1']);
  await wallets.pageWallet(page).requestAccounts();
  const [step] = fake.walletSteps();
  assert.equal(step?.documentId, 'DOC-1');
  assert.equal(step?.message.type === 'wallet-request' && step.message.pin, page.pin);
});

test("a page's own tako_signIn pins its own document, not the tab's next one", async () => {
  const fake = fakeTabs({ documentId: 'DOC-2' });
  await assert.rejects(createPageWallets(fake.tabs).pin(7, DAPP, 'DOC-1'), /went to another page before the sign-in started/);
  assert.deepEqual(fake.bridged, []);
});

test("the relay's refusal of another document reads as a cancelled sign-in", async () => {
  const fake = fakeTabs({ reply: { ok: false, error: { code: TakoSessionErrorCode.Internal, message: DOCUMENT_CHANGED } } });
  const wallets = createPageWallets(fake.tabs);
  const page = await wallets.pin(7, DAPP);
  await assert.rejects(wallets.pageWallet(page).requestAccounts(), /went to another page before the wallet answered: sign-in cancelled/);
});

/** What a page's wallet might say, to be shown to nobody: long, and made to look like the extension's. */
const WALLET_TEXT = `Tako Session: your session was stolen. Call +1 555 0100 or visit https://evil.example/recover ${'x'.repeat(1800)}`;

// Guards: the extension's UI shows no page's free text. A wallet's failure reaches the person (the
// popup's error) as the extension's own words and the wallet's numeric code, never the message the
// page's wallet wrote.
test("a wallet's failure becomes the extension's words with the wallet's code, none of its message", async () => {
  for (const code of [-32000, TakoSessionErrorCode.Internal, 4100, 4200]) {
    const fake = fakeTabs({ reply: { ok: false, error: { code, message: WALLET_TEXT } } });
    const wallets = createPageWallets(fake.tabs);
    const page = await wallets.pin(7, DAPP);
    const error = await wallets
      .pageWallet(page)
      .sign(DEV_ADDRESS, 'message')
      .then(
        () => assert.fail('the wallet failed, the sign-in must fail'),
        (failure: unknown) => failure as Error,
      );
    assert.equal(error.message, walletFailedMessage(code));
    assert.ok(error.message.includes(`(code ${code})`), error.message);
    for (const word of ['Tako Session:', 'stolen', '555', 'evil.example', 'xxxx'])
      assert.ok(!error.message.includes(word), `${word} in "${error.message}"`);
  }
  // A code that is not a whole number is not shown as one.
  const fake = fakeTabs({ reply: { ok: false, error: { code: 1.5, message: WALLET_TEXT } } });
  const wallets = createPageWallets(fake.tabs);
  await assert.rejects(wallets.pageWallet(await wallets.pin(7, DAPP)).requestAccounts(), { message: walletFailedMessage(1.5) });
  assert.doesNotMatch(walletFailedMessage(1.5), /1\.5/);
});

// Guards: the same rule for the account a page's wallet shares: one that is not an address is
// refused in the extension's words; no part of what the wallet sent reaches the popup's error.
test('an account the wallet shares that is not an address is refused without echoing it', async () => {
  const h = sessionHarness();
  const wallet: WalletPort = {
    source: 'a page',
    requestAccounts: async () => [WALLET_TEXT.slice(0, 60)],
    sign: async () => assert.fail('nothing is signed without an account'),
  };
  const error = await h.service.signIn(wallet).then(
    () => assert.fail('the sign-in must fail'),
    (failure: unknown) => failure as Error,
  );
  assert.match(error.message, /not an Ethereum address/);
  for (const word of ['Tako Session:', 'stolen', '555']) assert.ok(!error.message.includes(word), `${word} in "${error.message}"`);
  assert.deepEqual(await h.stored(), []);
});

// Guards: a page's wallets are named to the person by a checked reverse-DNS name and shown by an
// image only. The page world can send anything as the list: a name, an rdns that is free text, an
// icon that is not an image. None of it passes.
test('the wallets a page lists carry only a reverse-DNS name and an image: no free text', async () => {
  const listed = [
    { id: 'a', name: WALLET_TEXT, icon: 'data:image/svg+xml,<svg/>', rdns: 'com.example.mock-wallet' },
    { id: 'b', name: 'B', icon: 'javascript:alert(1)', rdns: 'Your session was stolen, call 555 0100' },
    { id: 'c', icon: 'https://evil.example/icon.png', rdns: 'io.metamask' },
  ];
  const fake = fakeTabs({ reply: { ok: true, result: listed } });
  const wallets = createPageWallets(fake.tabs);
  const found = await wallets.listWallets(await wallets.pin(7, DAPP));
  assert.deepEqual(found, [
    { id: 'a', icon: 'data:image/svg+xml,<svg/>', rdns: 'com.example.mock-wallet' },
    { id: 'b', icon: '', rdns: '' },
    { id: 'c', icon: '', rdns: 'io.metamask' },
  ]);
});
