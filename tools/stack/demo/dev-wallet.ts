/**
 * A development wallet for the demo page: an EIP-1193 provider that signs with Hardhat's public
 * test keys (see dev-keys.ts; never send funds to them). It exists so the extension can be tried
 * and tested end to end without a real wallet, including the paths a real wallet makes hard to
 * reach on purpose: the person refusing, a signature from another key, a wallet that never answers.
 */
import { type EIP6963ProviderDetail, type EIP6963ProviderInfo, eip6963AnnounceProvider } from '@metamask/providers';
import { hexToBytes } from '@noble/hashes/utils.js';
import { type Address, sameAddress } from '../../../src/core/eth/address.ts';
import { signPersonalMessage } from '../../../src/core/eth/signature.ts';
import { DEV_KEYS, type DevKeyIndex } from './dev-keys.ts';

/** EIP-1193 error codes the wallet uses. */
export const WalletErrorCodes = {
  userRejected: 4001,
  unauthorized: 4100,
  unsupportedMethod: 4200,
  invalidParams: -32602,
} as const;

/** The error shape EIP-1193 asks for: a real Error with a numeric code. */
export class ProviderRpcError extends Error {
  override readonly name = 'ProviderRpcError';
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

type Listener = (...args: unknown[]) => void;

export interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
  on(event: string, listener: Listener): Eip1193Provider;
  removeListener(event: string, listener: Listener): Eip1193Provider;
}

export interface DevWalletOptions {
  /** The account the wallet reports; key #0 by default. */
  account?: DevKeyIndex;
  /** Sign with this key whatever account is reported (to prove a mismatched signature is refused). */
  signer?: DevKeyIndex;
  /** Sign without waiting for the person to press Confirm. */
  autoConfirm?: boolean;
  /** Never answer any request (to prove callers time out). */
  hang?: boolean;
}

export interface SignatureRequest {
  id: number;
  /** The text to be signed, already decoded from hex where it was sent as hex. */
  message: string;
  address: Address;
}

export interface DevWalletState {
  accountIndex: DevKeyIndex;
  account: Address;
  /** The key that actually signs. */
  signerIndex: DevKeyIndex;
  autoConfirm: boolean;
  hang: boolean;
  /** Whether a page asked for accounts yet (eth_accounts is empty until then, as in MetaMask). */
  connected: boolean;
  pending: readonly SignatureRequest[];
  /** The last thing that happened, for the panel. */
  activity: string;
}

export interface DevWallet {
  readonly provider: Eip1193Provider;
  state(): DevWalletState;
  /** Called after every state change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Signs the given pending request (the oldest by default). */
  confirm(id?: number): void;
  /** Refuses the given pending request (the oldest by default) with 4001. */
  reject(id?: number): void;
  /** Switches account, as a person does in the wallet; emits accountsChanged to connected pages. */
  selectAccount(index: DevKeyIndex): void;
  setAutoConfirm(on: boolean): void;
}

interface Waiting {
  request: SignatureRequest;
  resolve(signature: string): void;
  reject(error: ProviderRpcError): void;
}

/** MetaMask signs the bytes of a 0x-hex message, so hex is decoded to the UTF-8 text it encodes. */
export function decodePersonalMessage(raw: string): string {
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(raw)) return raw;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(hexToBytes(raw.slice(2)));
  } catch {
    throw new ProviderRpcError(WalletErrorCodes.invalidParams, 'personal_sign: the hex message is not UTF-8 text');
  }
}

export function createDevWallet(options: DevWalletOptions = {}): DevWallet {
  let accountIndex: DevKeyIndex = options.account ?? 0;
  let autoConfirm = options.autoConfirm ?? false;
  const hang = options.hang ?? false;
  let connected = false;
  let activity = hang ? 'Set to never answer (hang)' : 'Idle';
  let nextId = 1;
  const waiting = new Map<number, Waiting>();
  const providerListeners = new Map<string, Set<Listener>>();
  const stateListeners = new Set<() => void>();

  const account = (): Address => DEV_KEYS[accountIndex].address;
  const signerIndex = (): DevKeyIndex => options.signer ?? accountIndex;

  function changed(what: string): void {
    activity = what;
    for (const listener of [...stateListeners]) listener();
  }

  function emit(event: string, ...args: unknown[]): void {
    for (const listener of [...(providerListeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // A page's listener throwing must not stop the others, as with EventEmitter in wallets.
        console.error(error);
      }
    }
  }

  function decide(id: number | undefined, outcome: 'confirm' | 'reject'): void {
    const entry = id === undefined ? waiting.values().next().value : waiting.get(id);
    if (!entry) return;
    waiting.delete(entry.request.id);
    if (outcome === 'confirm') {
      const key = DEV_KEYS[signerIndex()];
      entry.resolve(signPersonalMessage(entry.request.message, key.privateKey));
      changed(`Signed request ${entry.request.id} with ${key.label}`);
    } else {
      entry.reject(new ProviderRpcError(WalletErrorCodes.userRejected, 'User rejected the request.'));
      changed(`Rejected request ${entry.request.id}`);
    }
  }

  function personalSign(params: unknown): Promise<string> {
    if (!Array.isArray(params) || typeof params[0] !== 'string' || typeof params[1] !== 'string') {
      throw new ProviderRpcError(WalletErrorCodes.invalidParams, 'personal_sign expects params [message, address]');
    }
    const [raw, address] = params as [string, string];
    if (!sameAddress(address, account())) {
      throw new ProviderRpcError(WalletErrorCodes.unauthorized, `${address} is not the wallet's current account`);
    }
    const request: SignatureRequest = { id: nextId++, message: decodePersonalMessage(raw), address: account() };
    return new Promise<string>((resolve, reject) => {
      waiting.set(request.id, { request, resolve, reject });
      if (autoConfirm) decide(request.id, 'confirm');
      else changed(`Waiting for you to confirm request ${request.id}`);
    });
  }

  async function request(args: { method: string; params?: unknown }): Promise<unknown> {
    if (typeof args !== 'object' || args === null || typeof args.method !== 'string') {
      throw new ProviderRpcError(WalletErrorCodes.invalidParams, 'request() expects { method, params }');
    }
    if (hang) {
      changed(`Received ${args.method}; not answering (hang)`);
      return new Promise<never>(() => {});
    }
    switch (args.method) {
      case 'eth_requestAccounts':
        connected = true;
        changed('Connected');
        return [account()];
      case 'eth_accounts':
        return connected ? [account()] : [];
      case 'eth_chainId':
        return '0x1';
      case 'personal_sign':
        return personalSign(args.params);
      default:
        throw new ProviderRpcError(WalletErrorCodes.unsupportedMethod, `The dev wallet does not support ${args.method}`);
    }
  }

  const provider: Eip1193Provider = {
    request,
    on(event, listener) {
      const listeners = providerListeners.get(event) ?? new Set<Listener>();
      listeners.add(listener);
      providerListeners.set(event, listeners);
      return provider;
    },
    removeListener(event, listener) {
      providerListeners.get(event)?.delete(listener);
      return provider;
    },
  };

  return {
    provider,
    state: () => ({
      accountIndex,
      account: account(),
      signerIndex: signerIndex(),
      autoConfirm,
      hang,
      connected,
      pending: [...waiting.values()].map((entry) => entry.request),
      activity,
    }),
    subscribe(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    confirm: (id) => decide(id, 'confirm'),
    reject: (id) => decide(id, 'reject'),
    selectAccount(index) {
      if (index === accountIndex) return;
      accountIndex = index;
      changed(`Switched to ${DEV_KEYS[index].label}`);
      if (connected) emit('accountsChanged', [account()]);
    },
    setAutoConfirm(on) {
      autoConfirm = on;
      changed(on ? 'Auto-confirm on' : 'Auto-confirm off');
    },
  };
}

const svgIcon = (svg: string) => `data:image/svg+xml,${encodeURIComponent(svg)}`;

/** EIP-6963 details for the demo's wallets (the uuid is made per page load, as EIP-6963 asks). */
export const DEV_WALLET_INFO = {
  name: 'Tako Dev Wallet',
  rdns: 'so.tako.devwallet',
  icon: svgIcon(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#e8590c"/><text x="16" y="22" font-size="16" text-anchor="middle" fill="#fff" font-family="sans-serif">T</text></svg>',
  ),
} as const;

export const DEV_WALLET_B_INFO = {
  name: 'Dev Wallet B',
  rdns: 'so.tako.devwalletb',
  icon: svgIcon(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="1" y="1" width="30" height="30" rx="6" fill="#1c7ed6"/><text x="16" y="22" font-size="16" text-anchor="middle" fill="#fff" font-family="sans-serif">B</text></svg>',
  ),
} as const;

/** Announces the wallet over EIP-6963 (and again whenever a page sends eip6963:requestProvider). */
export function announceDevWallet(provider: Eip1193Provider, details: Omit<EIP6963ProviderInfo, 'uuid'>): EIP6963ProviderInfo {
  const info: EIP6963ProviderInfo = { uuid: crypto.randomUUID(), ...details };
  // The library types `provider` as its own BaseProvider class, but EIP-6963 takes any EIP-1193
  // provider and the library only checks that it is an object.
  eip6963AnnounceProvider({ info, provider: provider as unknown as EIP6963ProviderDetail['provider'] });
  return info;
}
