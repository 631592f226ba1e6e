import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recoverPersonalSigner } from '../../src/core/eth/signature.ts';
import { DEV_KEYS } from '../../tools/stack/demo/dev-keys.ts';
import { createDevWallet, decodePersonalMessage, type ProviderRpcError } from '../../tools/stack/demo/dev-wallet.ts';

const [key0, key1] = DEV_KEYS;
const toHex = (text: string) => `0x${Buffer.from(text, 'utf8').toString('hex')}`;

/** The rejection of a request, checked to be a real Error with a numeric code. */
async function rpcFailure(promise: Promise<unknown>): Promise<ProviderRpcError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error, 'rejects with a real Error');
    assert.equal(typeof (error as ProviderRpcError).code, 'number');
    return error as ProviderRpcError;
  }
  assert.fail('expected the request to fail');
}

describe('dev wallet (EIP-1193 provider)', () => {
  it('reports no accounts until asked, then key #0, on chain 0x1', async () => {
    const { provider } = createDevWallet();
    assert.deepEqual(await provider.request({ method: 'eth_accounts' }), []);
    assert.deepEqual(await provider.request({ method: 'eth_requestAccounts' }), [key0.address]);
    assert.deepEqual(await provider.request({ method: 'eth_accounts' }), [key0.address]);
    assert.equal(await provider.request({ method: 'eth_chainId' }), '0x1');
  });

  it('waits for Confirm, then signs the hex-decoded text with the account key', async () => {
    const wallet = createDevWallet();
    const [account] = (await wallet.provider.request({ method: 'eth_requestAccounts' })) as string[];
    const message = 'Tako wants you to sign in ☃\n\n';
    const signature = wallet.provider.request({ method: 'personal_sign', params: [toHex(message), account] });

    await new Promise((resolve) => setImmediate(resolve));
    const { pending } = wallet.state();
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.message, message);
    assert.equal(pending[0]!.address, key0.address);

    wallet.confirm();
    assert.equal(recoverPersonalSigner(message, (await signature) as string), key0.address);
    assert.deepEqual(wallet.state().pending, []);
  });

  it('signs a plain UTF-8 message as is', async () => {
    const wallet = createDevWallet({ autoConfirm: true, account: 1 });
    const [account] = (await wallet.provider.request({ method: 'eth_requestAccounts' })) as string[];
    assert.equal(account, key1.address);
    const signature = (await wallet.provider.request({ method: 'personal_sign', params: ['hello', account] })) as string;
    assert.equal(recoverPersonalSigner('hello', signature), key1.address);
  });

  it('rejects with 4001 when the person presses Reject', async () => {
    const wallet = createDevWallet();
    const signature = wallet.provider.request({ method: 'personal_sign', params: ['hello', key0.address] });
    await new Promise((resolve) => setImmediate(resolve));
    wallet.reject();
    const error = await rpcFailure(signature);
    assert.equal(error.code, 4001);
    assert.equal(error.message, 'User rejected the request.');
  });

  it('signs with key #1 whatever the account when told to (signer=1)', async () => {
    const wallet = createDevWallet({ autoConfirm: true, signer: 1 });
    const [account] = (await wallet.provider.request({ method: 'eth_requestAccounts' })) as string[];
    assert.equal(account, key0.address);
    const signature = (await wallet.provider.request({ method: 'personal_sign', params: ['hello', account] })) as string;
    assert.equal(recoverPersonalSigner('hello', signature), key1.address);
  });

  it('emits accountsChanged when the account is switched, until the listener is removed', async () => {
    const wallet = createDevWallet();
    await wallet.provider.request({ method: 'eth_requestAccounts' });
    const seen: unknown[] = [];
    const listener = (accounts: unknown) => seen.push(accounts);
    wallet.provider.on('accountsChanged', listener);
    wallet.selectAccount(1);
    assert.deepEqual(seen, [[key1.address]]);
    assert.deepEqual(await wallet.provider.request({ method: 'eth_accounts' }), [key1.address]);

    wallet.provider.removeListener('accountsChanged', listener);
    wallet.selectAccount(0);
    assert.equal(seen.length, 1);
  });

  it('refuses unknown methods (4200), bad params (-32602) and another address (4100)', async () => {
    const { provider } = createDevWallet({ autoConfirm: true });
    assert.equal((await rpcFailure(provider.request({ method: 'eth_sendTransaction' }))).code, 4200);
    assert.equal((await rpcFailure(provider.request({ method: 'personal_sign', params: ['hello'] }))).code, -32602);
    assert.equal((await rpcFailure(provider.request({ method: 'personal_sign', params: ['hello', key1.address] }))).code, 4100);
    assert.equal((await rpcFailure(provider.request({ method: 'personal_sign', params: ['0xff', key0.address] }))).code, -32602);
  });

  it('never answers when set to hang', async () => {
    const { provider } = createDevWallet({ hang: true, autoConfirm: true });
    const outcome = await Promise.race([
      provider.request({ method: 'eth_requestAccounts' }).then(() => 'answered'),
      new Promise((resolve) => setTimeout(resolve, 50, 'no answer')),
    ]);
    assert.equal(outcome, 'no answer');
  });

  it('decodes hex messages as MetaMask does and leaves other text alone', () => {
    assert.equal(decodePersonalMessage('0x68656c6c6f'), 'hello');
    assert.equal(decodePersonalMessage('hello 0x12'), 'hello 0x12');
    assert.equal(decodePersonalMessage('0x123'), '0x123', 'odd-length hex is text');
  });
});
