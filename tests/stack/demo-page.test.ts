/**
 * The demo dapp the end-to-end tests use, as the local stack serves it: the page and its CSP, its
 * browser bundle with the dev wallet, and the published Hardhat keys behind the addresses it shows.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Script } from 'node:vm';
import { addressOfPrivateKey } from '../../src/core/eth/signature.ts';
import { DEV_KEYS } from '../../tools/stack/demo/dev-keys.ts';
import { useStack } from '../support/local-stack.ts';

describe('demo dapp page', () => {
  const stack = useStack();

  it('serves the page with a CSP that allows its own script and its inline style', async () => {
    const response = await fetch(`${stack().url}/?wallets=2`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await response.text();
    assert.match(html, /<title>Tako Session demo dapp<\/title>/);
    assert.match(html, /<script src="\/demo\.js"><\/script>/);
    for (const testId of ['tako-session-status', 'page-api', 'wallets-seen']) {
      assert.ok(html.includes(`data-testid="${testId}"`), testId);
    }

    const csp = response.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'none'/);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    assert.ok(csp.includes(`style-src 'sha256-${hash}'`), 'the inline style is allowed by its hash');
  });

  it('serves /demo.js as a browser bundle with the dev wallet and its EIP-6963 details', async () => {
    const response = await fetch(`${stack().url}/demo.js`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const script = await response.text();
    for (const text of ['Tako Dev Wallet', 'so.tako.devwallet', 'Dev Wallet B', 'eip6963:announceProvider', DEV_KEYS[0].privateKey]) {
      assert.ok(script.includes(text), text);
    }
    const code = script.replace(/\/\/# sourceMappingURL=.*$/m, '');
    assert.doesNotMatch(code, /\brequire\(["']/, 'nothing left for a Node loader');
    assert.doesNotThrow(() => new Script(code, { filename: 'demo.js' }), 'the bundle is valid JavaScript');
  });

  it('answers HEAD for the page', async () => {
    const response = await fetch(`${stack().url}/`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('content-security-policy'));
  });

  it('uses the published Hardhat keys, whose addresses are what the page shows', () => {
    // The one place the addresses are spelled: every other test reads them from DEV_KEYS, and this
    // holds DEV_KEYS to the accounts Hardhat publishes.
    assert.equal(DEV_KEYS[0].address, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    assert.equal(DEV_KEYS[1].address, '0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
    for (const key of DEV_KEYS) assert.equal(addressOfPrivateKey(key.privateKey), key.address);
  });
});
