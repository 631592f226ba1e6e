/**
 * EIP-6963 announcements as a dapp reads them, checked by hand against the EIP's own text rather
 * than by a library's stricter reading (one took `rdns` for a forward domain name and threw into
 * the page for `com.example.mock-wallet`). What is read, and why:
 *
 * - `info.uuid`: the EIP requires a UUIDv4. Its textual form is checked (8-4-4-4-12 hex digits,
 *   either case), not its version bits: it only tells one announcement from another.
 * - `provider`: an EIP-1193 provider; without a `request` function nothing can be asked of it.
 * - `info.rdns`: the EIP says it "could be unknown, invalid, incorrect" and asks dapps to degrade
 *   gracefully: a wallet whose `rdns` is not a reverse-DNS name is still taken, without one.
 * - `info.icon`: the EIP requires a data URI; kept only as a `data:image/` URI, else left out.
 * - `info.name`: the wallet's free text, kept for a dapp's own page (the demo's list); the
 *   extension never shows it.
 * - The EIP asks wallets to freeze the detail; that is not required here: each value is read once,
 *   so a later change to the object changes nothing.
 *
 * Anything else (not an object, a getter that throws, no uuid, no `request` function) is not a
 * wallet, and the check never throws: it runs inside the page's event dispatch.
 */

export const EIP6963_ANNOUNCE = 'eip6963:announceProvider';
export const EIP6963_REQUEST = 'eip6963:requestProvider';

/**
 * How much of a page's wallets is passed on to the background, so that the list stays well within
 * the relay's 64 KB per message (MAX_PAGE_MESSAGE_BYTES): the first 20 wallets, and icons while
 * they add up to 32 K characters (later ones are listed without theirs).
 */
export const MAX_LISTED_WALLETS = 20;
export const ICON_BUDGET_CHARS = 32 * 1024;

/** What an announcement gives, once checked. `rdns` and `icon` are '' when absent or invalid. */
export interface AnnouncedWallet<Provider> {
  uuid: string;
  rdns: string;
  icon: string;
  name: string;
  provider: Provider;
}

const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A DNS label (RFC 1123): letters, digits and hyphens, 1 to 63, no hyphen at either end. */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * A domain name in reverse order (`io.metamask`, `com.example.mock-wallet`, `xn--p1ai.wallet`): two
 * or more DNS labels, 253 characters at most. The order of the labels is not checked (a forward
 * name passes too): nothing can tell them apart, and the name only identifies.
 */
export function isReverseDns(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 253) return false;
  const labels = value.split('.');
  return labels.length >= 2 && labels.every((label) => DNS_LABEL.test(label));
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null;

/** The wallet an `eip6963:announceProvider` event's `detail` announces, or undefined. Never throws. */
export function readAnnouncement<Provider = unknown>(detail: unknown): AnnouncedWallet<Provider> | undefined {
  try {
    if (!isObject(detail)) return undefined;
    const info = detail.info;
    const provider = detail.provider;
    if (!isObject(info) || !isObject(provider) || typeof provider.request !== 'function') return undefined;
    const { uuid, rdns, icon, name } = info;
    if (typeof uuid !== 'string' || !UUID_FORM.test(uuid)) return undefined;
    return {
      uuid,
      rdns: isReverseDns(rdns) ? rdns : '',
      icon: typeof icon === 'string' && icon.startsWith('data:image/') ? icon : '',
      name: typeof name === 'string' ? name : '',
      provider: provider as Provider,
    };
  } catch {
    // A getter or proxy that throws: not a wallet.
    return undefined;
  }
}
