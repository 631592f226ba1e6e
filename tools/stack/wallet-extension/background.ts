/**
 * The test double of MetaMask's external port: a wallet extension that other extensions reach
 * with `runtime.connect(id)`, speaking frames `{ name: 'metamask-provider', data: <JSON-RPC 2.0> }`
 * as MetaMask does. It signs with the public Hardhat test keys of the local stack. Requests that
 * need the person (sharing the account, signing) open its confirm window, unless auto-confirm is
 * on (a switch on its own page, wallet.html, kept in its storage).
 */
import { signPersonalMessage } from '../../../src/core/eth/signature.ts';
import { METAMASK_PROVIDER_STREAM } from '../../../src/core/eth/wallet-extension.ts';
import { DEV_KEYS, type DevKeyIndex, isDevKeyIndex } from '../demo/dev-keys.ts';
import type { PageRequest, PendingView, WalletView } from './messages.ts';

interface Stored {
  accountIndex: DevKeyIndex;
  autoConfirm: boolean;
  granted: string[];
}

const DEFAULTS: Stored = { accountIndex: 0, autoConfirm: false, granted: [] };
const CHAIN_ID = '0x1';

async function load(): Promise<Stored> {
  return { ...DEFAULTS, ...(await chrome.storage.local.get<Stored>(DEFAULTS)) };
}

const save = (changes: Partial<Stored>) => chrome.storage.local.set(changes);

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Requests waiting in the confirm window. */
const pending = new Map<string, PendingView & { answer(approved: boolean): void; windowId?: number }>();
/** Open ports from other extensions, for notifications. */
const ports = new Set<chrome.runtime.Port>();

async function confirm(view: PendingView): Promise<void> {
  if ((await load()).autoConfirm) return;
  const approved = await new Promise<boolean>((resolve) => {
    const entry = { ...view, answer: resolve } as PendingView & { answer(approved: boolean): void; windowId?: number };
    pending.set(view.id, entry);
    void chrome.windows
      .create({ url: chrome.runtime.getURL(`confirm.html?request=${view.id}`), type: 'popup', width: 420, height: 520 })
      .then((created) => {
        entry.windowId = created?.id;
      });
  });
  if (!approved) throw new RpcError(4001, 'User rejected the request.');
}

function textOf(hexOrText: unknown): string {
  if (typeof hexOrText !== 'string') throw new RpcError(-32602, 'personal_sign needs a message');
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hexOrText)) return hexOrText;
  const bytes = Uint8Array.from(hexOrText.slice(2).match(/../g) ?? [], (pair) => parseInt(pair, 16));
  return new TextDecoder().decode(bytes);
}

async function answer(caller: string, method: string, params: unknown): Promise<unknown> {
  const state = await load();
  const key = DEV_KEYS[state.accountIndex];
  const shared = state.granted.includes(caller);
  const accounts = shared ? [key.address] : [];
  switch (method) {
    case 'metamask_getProviderState':
      return { isUnlocked: true, chainId: CHAIN_ID, networkVersion: '1', accounts };
    case 'eth_chainId':
      return CHAIN_ID;
    case 'eth_accounts':
      return accounts;
    case 'eth_requestAccounts':
      if (!shared) {
        await confirm({ id: crypto.randomUUID(), method, caller });
        const latest = await load();
        await save({ granted: [...new Set([...latest.granted, caller])] });
      }
      return [key.address];
    case 'personal_sign': {
      const [message, address] = Array.isArray(params) ? params : [];
      if (!shared) throw new RpcError(4100, 'The requested account has not been authorized by the user.');
      if (typeof address !== 'string' || address.toLowerCase() !== key.address.toLowerCase()) {
        throw new RpcError(4100, `Not the current account (${key.address}).`);
      }
      const text = textOf(message);
      await confirm({ id: crypto.randomUUID(), method, caller, text });
      // The account may have been switched while the window was open: sign with the one asked for.
      return signPersonalMessage(text, key.privateKey);
    }
    default:
      throw new RpcError(-32601, `The method "${method}" does not exist / is not available.`);
  }
}

function post(port: chrome.runtime.Port, data: Record<string, unknown>): void {
  try {
    port.postMessage({ name: METAMASK_PROVIDER_STREAM, data: { jsonrpc: '2.0', ...data } });
  } catch {
    ports.delete(port); // Gone in the meantime.
  }
}

chrome.runtime.onConnectExternal.addListener((port) => {
  const caller = port.sender?.id ?? 'unknown';
  ports.add(port);
  port.onDisconnect.addListener(() => ports.delete(port));
  port.onMessage.addListener((frame: { name?: unknown; data?: { id?: unknown; method?: unknown; params?: unknown } }) => {
    if (frame?.name !== METAMASK_PROVIDER_STREAM || typeof frame.data?.method !== 'string') return;
    const { id, method, params } = frame.data;
    answer(caller, method, params).then(
      (result) => post(port, { id, result }),
      (error: unknown) =>
        post(port, {
          id,
          error: error instanceof RpcError ? { code: error.code, message: error.message } : { code: -32603, message: String(error) },
        }),
    );
  });
});

async function view(): Promise<WalletView> {
  const state = await load();
  return {
    accountIndex: state.accountIndex,
    address: DEV_KEYS[state.accountIndex].address,
    autoConfirm: state.autoConfirm,
    granted: state.granted,
  };
}

async function handlePage(request: PageRequest): Promise<unknown> {
  switch (request.type) {
    case 'dev-wallet:get-state':
      return view();
    case 'dev-wallet:set-auto-confirm':
      await save({ autoConfirm: request.on });
      return view();
    case 'dev-wallet:set-account': {
      if (!isDevKeyIndex(request.index)) throw new Error('No such dev key');
      await save({ accountIndex: request.index });
      const { granted } = await load();
      // MetaMask tells each connected extension it shared accounts with.
      for (const port of ports) {
        if (granted.includes(port.sender?.id ?? ''))
          post(port, { method: 'metamask_accountsChanged', params: [DEV_KEYS[request.index].address] });
      }
      return view();
    }
    case 'dev-wallet:get-request': {
      const entry = pending.get(request.id);
      return entry ? { id: entry.id, method: entry.method, caller: entry.caller, text: entry.text } : null;
    }
    case 'dev-wallet:answer': {
      const entry = pending.get(request.id);
      pending.delete(request.id);
      entry?.answer(request.approved);
      return null;
    }
  }
}

chrome.runtime.onMessage.addListener((request: PageRequest, sender, sendResponse) => {
  // Only its own pages.
  if (sender.id !== chrome.runtime.id) return false;
  handlePage(request).then(sendResponse, (error: unknown) => sendResponse({ error: String(error) }));
  return true;
});

// Closing the confirm window is a refusal.
chrome.windows.onRemoved.addListener((windowId) => {
  for (const [id, entry] of pending) {
    if (entry.windowId === windowId) {
      pending.delete(id);
      entry.answer(false);
    }
  }
});
