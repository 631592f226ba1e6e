/**
 * Signing in with a MetaMask-compatible wallet extension directly, extension to extension: no web
 * page takes part, so no page sees the message or the signature. The wallet's external port
 * speaks JSON-RPC 2.0 wrapped in frames `{ name: 'metamask-provider', data }`; this is a small
 * client of that port (docs/direct-metamask.md: "Why a hand-written port client").
 */

import { WALLET_TIMEOUT_MS } from '../../core/contract/channels.ts';
import { describeError, TakoError } from '../../core/contract/errors.ts';
import { TakoSessionErrorCode } from '../../core/contract/tako-session-api.ts';
import type { Address } from '../../core/eth/address.ts';
import {
  type DetectedWalletExtension,
  knownWalletExtensionName,
  METAMASK_PROVIDER_STREAM,
  walletExtensionName,
} from '../../core/eth/wallet-extension.ts';
import type { ConnectExternal, ExternalPort } from '../ports/ports.ts';
import type { WalletPort } from '../ports/session-ports.ts';
import type { SessionService } from '../session/service.ts';

/** How long detection waits for an installed wallet to answer `metamask_getProviderState`. */
export const DETECT_TIMEOUT_MS = 3_000;

/** Starts a timer; returns its cancel. Injected so tests can fire deadlines themselves. */
export type SetTimer = (ms: number, fire: () => void) => () => void;

const realTimer: SetTimer = (ms, fire) => {
  const handle = setTimeout(fire, ms);
  return () => clearTimeout(handle);
};

export interface DirectWalletDeps {
  connectExternal: ConnectExternal;
  /** Tried in order when `detect` is given no candidates (MetaMask stable, then Flask). */
  defaultIds: readonly string[];
  /**
   * Where a wallet's `metamask_accountsChanged` goes: to `onWalletAccountsChanged`, and only from
   * the extension that signed in (`isSignInSource` of the source its WalletPort carries). Another
   * wallet extension that answers cannot switch the account.
   */
  accounts?: Pick<SessionService, 'isSignInSource' | 'onWalletAccountsChanged'>;
  setTimer?: SetTimer;
}

/** The WalletPort `source` of a wallet extension, to recognise its later events. */
export function extensionSource(extensionId: string): string {
  return `extension ${extensionId}`;
}

/** `personal_sign` takes the message as hex of its UTF-8 bytes. */
export function hexUtf8(text: string): `0x${string}` {
  return `0x${Array.from(new TextEncoder().encode(text), (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: TakoError): void;
  cancelTimer(): void;
}

/** One open port to a wallet extension: requests matched to replies by id, notifications passed on. */
interface Connection {
  request(method: string, params: unknown[], timeoutMs: number): Promise<unknown>;
  readonly closed: boolean;
  close(): void;
}

function openConnection(
  port: ExternalPort,
  name: string,
  setTimer: SetTimer,
  onNotification: (method: string, params: unknown) => void,
  onClosed: () => void,
): Connection {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed = false;
  /** Whether a provider frame ever arrived: a port dropped before one means no such wallet. */
  let heard = false;

  function failAll(error: TakoError): void {
    for (const call of pending.values()) {
      call.cancelTimer();
      call.reject(error);
    }
    pending.clear();
  }

  function settle(message: Record<string, unknown>): void {
    const call = typeof message.id === 'number' ? pending.get(message.id) : undefined;
    if (!call) return; // Not ours, or already timed out.
    if ('result' in message && !('error' in message)) {
      pending.delete(message.id as number);
      call.cancelTimer();
      call.resolve(message.result);
      return;
    }
    const error = message.error;
    if (!isRecord(error) || typeof error.code !== 'number') return; // Not a JSON-RPC reply: ignored.
    pending.delete(message.id as number);
    call.cancelTimer();
    const said = typeof error.message === 'string' ? error.message.slice(0, 300) : 'no reason given';
    call.reject(
      error.code === TakoSessionErrorCode.UserRejected
        ? new TakoError('rejected', 'You declined the request in your wallet')
        : new TakoError('wallet', `${name} refused the request: ${said} (code ${error.code})`),
    );
  }

  port.onMessage((frame) => {
    // Anything that is not a provider frame carrying a JSON-RPC 2.0 message is ignored.
    if (!isRecord(frame) || frame.name !== METAMASK_PROVIDER_STREAM) return;
    const message = frame.data;
    if (!isRecord(message) || message.jsonrpc !== '2.0') return;
    heard = true;
    if (typeof message.method === 'string' && !('id' in message)) onNotification(message.method, message.params);
    else settle(message);
  });

  port.onDisconnect(() => {
    closed = true;
    failAll(
      new TakoError(
        'wallet',
        heard
          ? `${name} closed the connection before it answered (was it disabled, removed or updated?)`
          : `${name} is not installed, or does not take connections from other extensions`,
      ),
    );
    onClosed();
  });

  return {
    get closed() {
      return closed;
    },
    request(method, params, timeoutMs) {
      if (closed) return Promise.reject(new TakoError('wallet', `${name} is not connected`));
      const id = nextId++;
      return new Promise<unknown>((resolve, reject) => {
        const cancelTimer = setTimer(timeoutMs, () => {
          pending.delete(id);
          reject(new TakoError('wallet', `${name} did not answer. Open it, then try again`));
        });
        pending.set(id, { resolve, reject, cancelTimer });
        try {
          port.postMessage({ name: METAMASK_PROVIDER_STREAM, data: { jsonrpc: '2.0', id, method, params } });
        } catch (cause) {
          pending.delete(id);
          cancelTimer();
          reject(new TakoError('wallet', `${name} cannot be reached: ${describeError(cause)}`, { cause }));
        }
      });
    },
    close() {
      if (closed) return;
      closed = true;
      failAll(new TakoError('wallet', `The connection to ${name} was closed`));
      port.disconnect();
      onClosed();
    },
  };
}

export function createDirectWallets(deps: DirectWalletDeps) {
  const setTimer = deps.setTimer ?? realTimer;
  /** One open connection per extension, kept so that the wallet's account changes reach us. */
  const connections = new Map<string, Connection>();

  function connection(extensionId: string): Connection {
    const open = connections.get(extensionId);
    if (open && !open.closed) return open;
    const source = extensionSource(extensionId);
    const created = openConnection(
      deps.connectExternal(extensionId),
      walletExtensionName(extensionId),
      setTimer,
      (method, params) => {
        if (method !== 'metamask_accountsChanged' || !Array.isArray(params) || !deps.accounts?.isSignInSource(source)) return;
        void deps.accounts.onWalletAccountsChanged(params);
      },
      () => {
        if (connections.get(extensionId) === created) connections.delete(extensionId);
      },
    );
    connections.set(extensionId, created);
    return created;
  }

  /** Whether the extension answers as a MetaMask provider; a port that disconnects means none. */
  async function probe(extensionId: string): Promise<boolean> {
    let candidate: Connection | undefined;
    try {
      candidate = connection(extensionId);
      const state = await candidate.request('metamask_getProviderState', [], DETECT_TIMEOUT_MS);
      if (isRecord(state)) return true;
    } catch {
      // Not installed, not listening, or not answering: not this one.
    }
    candidate?.close();
    return false;
  }

  /**
   * The first of the candidates (in their order) that is installed and answers. All are asked at
   * once, so a missing MetaMask stable costs no wait before Flask is asked.
   */
  async function detect(candidateIds: readonly string[] = deps.defaultIds): Promise<DetectedWalletExtension | null> {
    const answers = await Promise.all(candidateIds.map(probe));
    const found = candidateIds.find((_, index) => answers[index]);
    if (found === undefined) return null;
    const name = knownWalletExtensionName(found);
    return name === undefined ? { extensionId: found } : { extensionId: found, name };
  }

  function wallet(extensionId: string): WalletPort {
    const request = (method: string, params: unknown[]) => connection(extensionId).request(method, params, WALLET_TIMEOUT_MS);
    return {
      source: extensionSource(extensionId),
      async requestAccounts() {
        const accounts = await request('eth_requestAccounts', []);
        if (!Array.isArray(accounts))
          throw new TakoError('wallet', `${walletExtensionName(extensionId)} sent an unreadable list of accounts`);
        return accounts;
      },
      sign: (address: Address, message: string) => request('personal_sign', [hexUtf8(message), address]),
    };
  }

  return { detect, wallet };
}

export type DirectWallets = ReturnType<typeof createDirectWallets>;
