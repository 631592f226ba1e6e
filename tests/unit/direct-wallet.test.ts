/**
 * The direct wallet client in Node: the real client over fake extension ports that a test answers
 * frame by frame. Each test names the guarantee it guards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExternalPort } from '../../src/background/ports/ports.ts';
import {
  createDirectWallets,
  DETECT_TIMEOUT_MS,
  extensionSource,
  hexUtf8,
  type SetTimer,
} from '../../src/background/wallets/direct-wallet.ts';
import { WALLET_TIMEOUT_MS } from '../../src/core/contract/channels.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import {
  knownWalletExtensionName,
  METAMASK_EXTENSION_IDS,
  METAMASK_PROVIDER_STREAM,
  parseWalletExtensionId,
  SETTINGS_WALLET_EXTENSION,
  walletExtensionName,
} from '../../src/core/eth/wallet-extension.ts';
import { rejectsTakoError } from '../support/assert-tako-error.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';

const ADDRESS = DEV_ADDRESS;

interface JsonRpcRequest {
  jsonrpc: string;
  id: number;
  method: string;
  params: unknown[];
}

/** A wallet extension's end of one port: what it was sent, and ways to answer. */
class FakePort implements ExternalPort {
  sent: unknown[] = [];
  disconnected = false;
  private messageListeners: Array<(message: unknown) => void> = [];
  private disconnectListeners: Array<() => void> = [];

  postMessage(message: unknown): void {
    this.sent.push(message);
  }
  onMessage(listener: (message: unknown) => void): void {
    this.messageListeners.push(listener);
  }
  onDisconnect(listener: () => void): void {
    this.disconnectListeners.push(listener);
  }
  disconnect(): void {
    this.disconnected = true;
  }

  /** The JSON-RPC requests sent, unwrapped from their frames (which must be provider frames). */
  requests(): JsonRpcRequest[] {
    return this.sent.map((frame) => {
      const { name, data } = frame as { name: string; data: JsonRpcRequest };
      assert.equal(name, METAMASK_PROVIDER_STREAM);
      return data;
    });
  }
  request(method: string): JsonRpcRequest {
    const found = this.requests().find((r) => r.method === method);
    assert.ok(found, `no ${method} was sent`);
    return found;
  }
  /** Delivers a raw message, as the browser would. */
  deliver(message: unknown): void {
    for (const listener of this.messageListeners) listener(message);
  }
  reply(id: number, body: { result: unknown } | { error: unknown }): void {
    this.deliver({ name: METAMASK_PROVIDER_STREAM, data: { jsonrpc: '2.0', id, ...body } });
  }
  notify(method: string, params: unknown): void {
    this.deliver({ name: METAMASK_PROVIDER_STREAM, data: { jsonrpc: '2.0', method, params } });
  }
  /** The other side went away (or never existed). */
  drop(): void {
    for (const listener of this.disconnectListeners) listener();
  }
}

/** Timers the test fires itself: no real time passes in these tests. */
function manualTimers() {
  const timers: Array<{ ms: number; fire: () => void; cancelled: boolean }> = [];
  const setTimer: SetTimer = (ms, fire) => {
    const timer = { ms, fire, cancelled: false };
    timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  return { setTimer, live: () => timers.filter((t) => !t.cancelled) };
}

function setUp(options: { onPort?: (id: string, port: FakePort) => void } = {}) {
  const ports = new Map<string, FakePort[]>();
  /** The account switches the session service was given, in order. */
  const changes: Array<readonly unknown[]> = [];
  /** The WalletPort source the session service signed in with, as its isSignInSource answers. */
  let signedIn: string | null = null;
  const timers = manualTimers();
  const wallets = createDirectWallets({
    connectExternal(id) {
      const port = new FakePort();
      ports.set(id, [...(ports.get(id) ?? []), port]);
      options.onPort?.(id, port);
      return port;
    },
    defaultIds: [METAMASK_EXTENSION_IDS.stable, METAMASK_EXTENSION_IDS.flask],
    accounts: {
      isSignInSource: (source) => source === signedIn,
      onWalletAccountsChanged: async (accounts) => void changes.push(accounts),
    },
    setTimer: timers.setTimer,
  });
  const portOf = (id: string) => {
    const list = ports.get(id);
    assert.ok(list && list.length > 0, `no port to ${id}`);
    return list.at(-1)!;
  };
  const signedInWith = (source: string) => {
    signedIn = source;
  };
  return { wallets, portOf, ports, changes, timers, signedInWith };
}

/** Lets pending promise callbacks run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('direct wallet: requests and replies', () => {
  test('sign sends personal_sign with the hex of the UTF-8 message and the address, framed for the provider stream', async () => {
    const { wallets, portOf } = setUp();
    const wallet = wallets.wallet(METAMASK_EXTENSION_IDS.stable);
    const signing = wallet.sign(ADDRESS, 'Sign in to Tako ✓');
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    const request = port.request('personal_sign');
    assert.equal(request.jsonrpc, '2.0');
    assert.deepEqual(request.params, [hexUtf8('Sign in to Tako ✓'), ADDRESS]);
    assert.equal(hexUtf8('✓'), '0xe29c93');
    port.reply(request.id, { result: '0xsignature' });
    assert.equal(await signing, '0xsignature');
  });

  test('each reply settles the request with its id, whatever order the replies come in', async () => {
    const { wallets, portOf } = setUp();
    const wallet = wallets.wallet(METAMASK_EXTENSION_IDS.stable);
    const accounts = wallet.requestAccounts();
    const signature = wallet.sign(ADDRESS, 'hello');
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    const [first, second] = port.requests();
    assert.notEqual(first!.id, second!.id);
    port.reply(second!.id, { result: '0xsig' });
    port.reply(first!.id, { result: [ADDRESS] });
    assert.deepEqual(await accounts, [ADDRESS]);
    assert.equal(await signature, '0xsig');
  });

  test('a reply with an id nobody asked for settles nothing', async () => {
    const { wallets, portOf } = setUp();
    const signing = wallets.wallet(METAMASK_EXTENSION_IDS.stable).sign(ADDRESS, 'hello');
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    const { id } = port.request('personal_sign');
    let done = false;
    void signing.then(() => (done = true));
    port.reply(id + 1000, { result: '0xforged' });
    await settled();
    assert.equal(done, false);
    port.reply(id, { result: '0xreal' });
    assert.equal(await signing, '0xreal');
  });

  test('error 4001 is the person declining in the wallet (kind rejected, code 4001)', async () => {
    const { wallets, portOf } = setUp();
    const signing = wallets.wallet(METAMASK_EXTENSION_IDS.stable).sign(ADDRESS, 'hello');
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    port.reply(port.request('personal_sign').id, { error: { code: 4001, message: 'User rejected the request.' } });
    const error = await rejectsTakoError(signing);
    assert.equal(error.kind, 'rejected');
    assert.equal(error.code, TakoSessionErrorCode.UserRejected);
    assert.equal(error.message, 'You declined the request in your wallet');
  });

  test('any other wallet error names the wallet and what it said', async () => {
    const { wallets, portOf } = setUp();
    const accounts = wallets.wallet(METAMASK_EXTENSION_IDS.stable).requestAccounts();
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    port.reply(port.request('eth_requestAccounts').id, { error: { code: -32002, message: 'Request already pending' } });
    const error = await rejectsTakoError(accounts);
    assert.equal(error.kind, 'wallet');
    assert.match(error.message, /^MetaMask .*Request already pending.*-32002/);
  });

  test('accounts that are not a list are refused', async () => {
    const { wallets, portOf } = setUp();
    const accounts = wallets.wallet(METAMASK_EXTENSION_IDS.stable).requestAccounts();
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    port.reply(port.request('eth_requestAccounts').id, { result: ADDRESS });
    assert.equal((await rejectsTakoError(accounts)).kind, 'wallet');
  });

  test('malformed frames are ignored without a throw, and the real reply still settles', async () => {
    const { wallets, portOf } = setUp();
    const signing = wallets.wallet(METAMASK_EXTENSION_IDS.stable).sign(ADDRESS, 'hello');
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    const { id } = port.request('personal_sign');
    for (const junk of [
      null,
      'text',
      42,
      [],
      { name: 'other-stream', data: { jsonrpc: '2.0', id, result: '0xwrong-stream' } },
      { name: METAMASK_PROVIDER_STREAM },
      { name: METAMASK_PROVIDER_STREAM, data: null },
      { name: METAMASK_PROVIDER_STREAM, data: { id, result: '0xno-jsonrpc' } },
      { name: METAMASK_PROVIDER_STREAM, data: { jsonrpc: '2.0', id } },
      { name: METAMASK_PROVIDER_STREAM, data: { jsonrpc: '2.0', id, error: 'not an object' } },
      { name: METAMASK_PROVIDER_STREAM, data: { jsonrpc: '2.0', id: String(id), result: '0xstring-id' } },
      { name: METAMASK_PROVIDER_STREAM, data: { jsonrpc: '2.0', method: 'metamask_accountsChanged', params: 'not a list' } },
    ]) {
      assert.doesNotThrow(() => port.deliver(junk));
    }
    port.reply(id, { result: '0xreal' });
    assert.equal(await signing, '0xreal');
  });

  test('a port dropped before any frame says the wallet is not installed', async () => {
    const { wallets, portOf } = setUp();
    const accounts = wallets.wallet(METAMASK_EXTENSION_IDS.flask).requestAccounts();
    portOf(METAMASK_EXTENSION_IDS.flask).drop();
    const error = await rejectsTakoError(accounts);
    assert.equal(error.kind, 'wallet');
    assert.match(error.message, /MetaMask Flask is not installed/);
  });

  test('a disconnect fails every pending call with a clear error, and the next call opens a new port', async () => {
    const { wallets, ports, portOf } = setUp();
    const wallet = wallets.wallet(METAMASK_EXTENSION_IDS.stable);
    const accounts = wallet.requestAccounts();
    const signing = wallet.sign(ADDRESS, 'hello');
    const first = portOf(METAMASK_EXTENSION_IDS.stable);
    first.notify('metamask_chainChanged', { chainId: '0x1' });
    first.drop();
    for (const call of [accounts, signing]) {
      const error = await rejectsTakoError(call);
      assert.equal(error.kind, 'wallet');
      assert.match(error.message, /MetaMask closed the connection/);
    }
    const again = wallet.requestAccounts();
    assert.equal(ports.get(METAMASK_EXTENSION_IDS.stable)!.length, 2);
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    port.reply(port.request('eth_requestAccounts').id, { result: [ADDRESS] });
    assert.deepEqual(await again, [ADDRESS]);
  });

  test('a wallet that never answers fails after WALLET_TIMEOUT_MS, and a late reply changes nothing', async () => {
    const { wallets, portOf, timers } = setUp();
    const signing = wallets.wallet(METAMASK_EXTENSION_IDS.stable).sign(ADDRESS, 'hello');
    const [timer] = timers.live();
    assert.equal(timer!.ms, WALLET_TIMEOUT_MS);
    timer!.fire();
    const error = await rejectsTakoError(signing);
    assert.equal(error.kind, 'wallet');
    assert.match(error.message, /MetaMask did not answer/);
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    assert.doesNotThrow(() => port.reply(port.request('personal_sign').id, { result: '0xlate' }));
  });

  test('a reply cancels its deadline', async () => {
    const { wallets, portOf, timers } = setUp();
    const signing = wallets.wallet(METAMASK_EXTENSION_IDS.stable).sign(ADDRESS, 'hello');
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    port.reply(port.request('personal_sign').id, { result: '0xsig' });
    await signing;
    assert.deepEqual(timers.live(), []);
  });
});

describe('direct wallet: account switches', () => {
  // Guards: the wallet extension that signed in is followed when it switches account.
  test('metamask_accountsChanged from the extension that signed in is followed', async () => {
    const { wallets, portOf, changes, signedInWith } = setUp();
    const wallet = wallets.wallet(METAMASK_EXTENSION_IDS.stable);
    assert.equal(wallet.source, extensionSource(METAMASK_EXTENSION_IDS.stable));
    void wallet.requestAccounts();
    signedInWith(wallet.source);
    const port = portOf(METAMASK_EXTENSION_IDS.stable);
    port.notify('metamask_chainChanged', { chainId: '0x1' });
    port.notify('metamask_accountsChanged', [ADDRESS]);
    assert.deepEqual(changes, [[ADDRESS]]);
  });

  // Guards: only the wallet extension that signed in can switch the account: another one that is
  // installed and answers (MetaMask Flask beside MetaMask, or any id the options name) cannot, nor
  // can any before a sign-in.
  test('metamask_accountsChanged from another wallet extension, or before any sign-in, changes nothing', async () => {
    const { wallets, portOf, changes, signedInWith } = setUp();
    const signer = wallets.wallet(METAMASK_EXTENSION_IDS.stable);
    const other = wallets.wallet(METAMASK_EXTENSION_IDS.flask);
    void signer.requestAccounts();
    void other.requestAccounts();
    portOf(METAMASK_EXTENSION_IDS.stable).notify('metamask_accountsChanged', [ADDRESS]);
    assert.deepEqual(changes, [], 'nobody signed in yet');

    signedInWith(signer.source);
    portOf(METAMASK_EXTENSION_IDS.flask).notify('metamask_accountsChanged', [ADDRESS]);
    assert.deepEqual(changes, [], 'not the extension that signed in');
    portOf(METAMASK_EXTENSION_IDS.stable).notify('metamask_accountsChanged', [ADDRESS]);
    assert.deepEqual(changes, [[ADDRESS]]);
  });
});

describe('direct wallet: detection', () => {
  /** Answers metamask_getProviderState on the ports of the installed ids; the others disconnect at once. */
  function withInstalled(installed: string[]) {
    return setUp({
      onPort(id, port) {
        const original = port.postMessage.bind(port);
        port.postMessage = (message) => {
          original(message);
          const { data } = message as { data: JsonRpcRequest };
          queueMicrotask(() => {
            if (!installed.includes(id)) port.drop();
            else if (data.method === 'metamask_getProviderState') {
              port.reply(data.id, { result: { isUnlocked: true, chainId: '0x1', accounts: [] } });
            }
          });
        };
      },
    });
  }

  test('nothing installed: every candidate port disconnects, detect says null', async () => {
    const { wallets } = withInstalled([]);
    assert.equal(await wallets.detect(), null);
  });

  test('MetaMask stable is preferred to Flask when both answer', async () => {
    const { wallets } = withInstalled([METAMASK_EXTENSION_IDS.flask, METAMASK_EXTENSION_IDS.stable]);
    assert.deepEqual(await wallets.detect(), { extensionId: METAMASK_EXTENSION_IDS.stable, name: 'MetaMask' });
  });

  test('Flask alone is found; the port to the missing stable id is not kept', async () => {
    const { wallets, ports } = withInstalled([METAMASK_EXTENSION_IDS.flask]);
    assert.deepEqual(await wallets.detect(), { extensionId: METAMASK_EXTENSION_IDS.flask, name: 'MetaMask Flask' });
    assert.equal(ports.get(METAMASK_EXTENSION_IDS.flask)![0]!.requests()[0]!.method, 'metamask_getProviderState');
  });

  // Guards the names a person reads: an id is no name, so an extension known only by the id set
  // in the settings carries none (the popup says "the wallet extension set in Settings").
  test('a custom id is asked alone and carries no name', async () => {
    const custom = 'abcdefghijklmnopabcdefghijklmnop';
    const { wallets, ports } = withInstalled([custom, METAMASK_EXTENSION_IDS.stable]);
    assert.deepEqual(await wallets.detect([custom]), { extensionId: custom });
    assert.equal(walletExtensionName(custom), SETTINGS_WALLET_EXTENSION);
    assert.equal(ports.has(METAMASK_EXTENSION_IDS.stable), false);
  });

  test('MetaMask and MetaMask Flask are named as their products, in both browsers', () => {
    assert.equal(knownWalletExtensionName(METAMASK_EXTENSION_IDS.stable), 'MetaMask');
    assert.equal(knownWalletExtensionName(METAMASK_EXTENSION_IDS.flask), 'MetaMask Flask');
    assert.equal(knownWalletExtensionName(METAMASK_EXTENSION_IDS.firefox), 'MetaMask');
    // An id that names a property of every object is not a known extension.
    assert.equal(knownWalletExtensionName('constructor'), undefined);
  });

  test('an extension that stays silent is not detected once the short deadline passes, and its port is closed', async () => {
    const { wallets, timers, portOf } = setUp();
    const detecting = wallets.detect([METAMASK_EXTENSION_IDS.stable]);
    const [timer] = timers.live();
    assert.equal(timer!.ms, DETECT_TIMEOUT_MS);
    timer!.fire();
    assert.equal(await detecting, null);
    assert.equal(portOf(METAMASK_EXTENSION_IDS.stable).disconnected, true);
  });
});

describe('wallet extension id in the options', () => {
  test('empty means MetaMask; Chrome and Firefox ids are kept as typed (trimmed); anything else is refused', () => {
    assert.equal(parseWalletExtensionId('  '), undefined);
    assert.equal(parseWalletExtensionId(` ${METAMASK_EXTENSION_IDS.flask} `), METAMASK_EXTENSION_IDS.flask);
    assert.equal(parseWalletExtensionId(METAMASK_EXTENSION_IDS.firefox), METAMASK_EXTENSION_IDS.firefox);
    assert.equal(parseWalletExtensionId('{3f6b1c2d-8e4a-4f7b-9c1d-2e5a7b9c0d4f}'), '{3f6b1c2d-8e4a-4f7b-9c1d-2e5a7b9c0d4f}');
    for (const bad of ['nkbihfbeogaeaoehlefnkodbefgpgknz', 'nkbihfbeogaeaoehlefnkodbefgpgkn', 'https://evil.example', 'a b@c.d']) {
      assert.throws(() => parseWalletExtensionId(bad), /wallet extension id/);
    }
  });
});
