/**
 * The MetaMask-compatible wallet extension the background signs in with directly, over an
 * extension-to-extension port: the known ids, the frame it speaks, and the check of an id the
 * person types in the options.
 */
import { TakoError } from '../contract/errors.ts';

/** MetaMask's published extension ids. */
export const METAMASK_EXTENSION_IDS = {
  stable: 'nkbihfbeogaeaoehlefnkodbefgpgknn',
  flask: 'ljfoeinjpaedjfecbmggjgodbgkmjkjk',
  firefox: 'webextension@metamask.io',
} as const;

/** Tried in this order when the settings name no extension. */
export function defaultWalletExtensionIds(engine: 'chromium' | 'firefox'): string[] {
  return engine === 'firefox' ? [METAMASK_EXTENSION_IDS.firefox] : [METAMASK_EXTENSION_IDS.stable, METAMASK_EXTENSION_IDS.flask];
}

/** The stream name MetaMask's external port wraps every JSON-RPC message in. */
export const METAMASK_PROVIDER_STREAM = 'metamask-provider';

/** One frame on the port: `{ name: 'metamask-provider', data: <JSON-RPC 2.0 message> }`. */
export interface ProviderFrame {
  name: typeof METAMASK_PROVIDER_STREAM;
  data: unknown;
}

/** A wallet extension that answered on its port; `name` when it is one known by its id. */
export interface DetectedWalletExtension {
  extensionId: string;
  name?: string;
}

/** The product names of the wallet extensions known by id, as people know them. */
const KNOWN_WALLET_EXTENSIONS: Readonly<Record<string, string>> = {
  [METAMASK_EXTENSION_IDS.stable]: 'MetaMask',
  [METAMASK_EXTENSION_IDS.flask]: 'MetaMask Flask',
  [METAMASK_EXTENSION_IDS.firefox]: 'MetaMask',
};

/**
 * A known wallet extension's product name. Any other id is one the person set in the settings:
 * it has no name we can vouch for (an extension's id says nothing a person recognises).
 */
export function knownWalletExtensionName(extensionId: string): string | undefined {
  return Object.hasOwn(KNOWN_WALLET_EXTENSIONS, extensionId) ? KNOWN_WALLET_EXTENSIONS[extensionId] : undefined;
}

/** How the background's own messages name a wallet extension that is not a known one. */
export const SETTINGS_WALLET_EXTENSION = 'The wallet extension set in Settings';

/** The name the background's messages use: the product's, or what the settings made it. */
export function walletExtensionName(extensionId: string): string {
  return knownWalletExtensionName(extensionId) ?? SETTINGS_WALLET_EXTENSION;
}

const CHROME_ID = /^[a-p]{32}$/;
/** A Firefox add-on id: email-like (`name@domain`) or a braced UUID. */
const GECKO_EMAIL_ID = /^[A-Za-z0-9._+-]{1,80}@[A-Za-z0-9.-]{1,80}$/;
const GECKO_UUID_ID = /^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$/;

/**
 * The wallet extension id from the options: empty (after trimming) means "MetaMask stable or
 * Flask" (`undefined`); otherwise a Chrome id (32 letters a–p) or a Firefox add-on id.
 */
export function parseWalletExtensionId(input: string): string | undefined {
  const id = input.trim();
  if (id === '') return undefined;
  if (CHROME_ID.test(id) || GECKO_EMAIL_ID.test(id) || GECKO_UUID_ID.test(id)) return id;
  throw new TakoError(
    'invalid',
    'A wallet extension id is 32 letters a to p (Chrome, as chrome://extensions shows it) or a Firefox add-on id (name@example.com or {uuid}); leave it empty for MetaMask',
  );
}
