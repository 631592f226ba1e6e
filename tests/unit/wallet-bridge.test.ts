/**
 * The wallet bridge's EIP-6963 side (src/wallet-bridge/wallet-bridge.ts) in a window of its own: an
 * EventTarget standing for the page's window, where test wallets announce themselves as the EIP
 * has them. What the bridge passes on of a page's wallets, and which provider a uuid keeps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PAGE_MESSAGE_BYTES } from '../../src/core/contract/channels.ts';
import { EIP6963_ANNOUNCE, EIP6963_REQUEST, ICON_BUDGET_CHARS, MAX_LISTED_WALLETS } from '../../src/core/eth/eip6963.ts';
import { createWalletBridge } from '../../src/wallet-bridge/wallet-bridge.ts';

type PageWindow = Parameters<typeof createWalletBridge>[0];

/** A page's window with `count` wallets that announce now and on every request, each with `iconChars` of icon. */
function pageWithWallets(count: number, iconChars: number, request: (index: number) => Promise<unknown> = async () => null) {
  const win = new EventTarget();
  for (let index = 0; index < count; index++) {
    const detail = Object.freeze({
      info: {
        uuid: crypto.randomUUID(),
        name: `Wallet ${index}`,
        icon: `data:image/png;base64,${'A'.repeat(iconChars)}`,
        rdns: `com.example.wallet-${index}`,
      },
      provider: { request: () => request(index) },
    });
    const announce = () => win.dispatchEvent(new CustomEvent(EIP6963_ANNOUNCE, { detail }));
    announce();
    win.addEventListener(EIP6963_REQUEST, announce);
  }
  return win as unknown as PageWindow;
}

// Guards: however many wallets a page announces and however large their icons (the EIP sets no
// limit), the list the bridge answers with fits in one relay message, or the relay would refuse
// it and the person would find no wallet at all.
test("a page's many wallets with large icons: the first 20 are listed, icons within the budget, under the relay's limit", async () => {
  const bridge = createWalletBridge(pageWithWallets(30, 10_000), () => undefined);
  const listed = (await bridge.perform({ action: 'list-wallets' })) as Array<{ id: string; icon: string; rdns: string }>;
  assert.equal(listed.length, MAX_LISTED_WALLETS);
  assert.deepEqual(
    listed.map((wallet) => wallet.rdns),
    Array.from({ length: MAX_LISTED_WALLETS }, (_, index) => `com.example.wallet-${index}`),
  );
  const icons = listed.filter((wallet) => wallet.icon !== '');
  assert.ok(icons.length > 0, 'the first icons are kept');
  assert.ok(icons.reduce((sum, wallet) => sum + wallet.icon.length, 0) <= ICON_BUDGET_CHARS);
  assert.ok(new Blob([JSON.stringify({ ok: true, result: listed })]).size < MAX_PAGE_MESSAGE_BYTES);
});

// Guards: EIP-6963 asks dapps to watch for a uuid announced twice (an imitation): the provider a
// uuid first announced is the one asked, whatever is announced later under it.
test('a uuid keeps the provider it first announced', async () => {
  const win = pageWithWallets(1, 10, async () => 'the first');
  const bridge = createWalletBridge(win, () => undefined);
  const [first] = (await bridge.perform({ action: 'list-wallets' })) as Array<{ id: string }>;
  win.dispatchEvent(
    new CustomEvent(EIP6963_ANNOUNCE, {
      detail: Object.freeze({
        info: { uuid: first!.id, name: 'x', icon: '', rdns: 'com.example.imitation' },
        provider: { request: async () => 'the imitation' },
      }),
    }),
  );
  // Asked before the page's wallets announce again (a list asks them to).
  assert.equal(await bridge.perform({ action: 'request-accounts', walletId: first!.id }), 'the first');
  assert.equal(((await bridge.perform({ action: 'list-wallets' })) as unknown[]).length, 1);
});
