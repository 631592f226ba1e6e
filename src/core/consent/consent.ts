/**
 * The rules of consent, as pure functions on an injected clock: what a site can be granted, how
 * long a refused origin is refused without asking the person again, when the approval window's
 * *Allow* may be pressed, and which waiting request the one approval window shows next.
 */

/**
 * What an approval is for. Two are grants a site keeps: the Tako session (token, address) and the
 * MetaHuman SDK token. Two are one-time confirmations of what a site asked for: signing the person
 * out (`sign-out`), and signing in with the site's own wallet when no wallet extension can sign
 * (`page-signature`: the page then sees the sign-in message and its signature).
 */
export type ConsentScope = 'session' | 'metahuman' | 'sign-out' | 'page-signature';
export const CONSENT_SCOPES = ['session', 'metahuman', 'sign-out', 'page-signature'] as const satisfies readonly ConsentScope[];

/** *Allow* is enabled only once the window has been visible and focused this long, without a break. */
export const ALLOW_DELAY_MS = 500;

/**
 * Asking again brings the open window to the front at most this often: a page asking every 100 ms
 * must not keep the window jumping under the pointer. Each time it comes to the front, the Allow
 * delay starts again.
 */
export const RAISE_INTERVAL_MS = 3000;

/** Whether the window, last brought to the front at `raisedAt`, may be brought to the front now. */
export function mayRaise(raisedAt: number | undefined, now: number): boolean {
  return raisedAt === undefined || now - raisedAt >= RAISE_INTERVAL_MS;
}

/** The first refusal keeps the origin refused for a minute; each refusal after it doubles that. */
export const COOLDOWN_BASE_MS = 60_000;
export const COOLDOWN_MAX_MS = 60 * 60_000;
/** A refusal this long after the last cool-down ended starts counting from one again. */
export const COOLDOWN_FORGET_MS = 24 * 60 * 60_000;

/**
 * A site refused for a while: `refusals` so far, refused without a window until `until`. It covers
 * the site (siteOf) and the tabs that asked, so that neither a sibling subdomain nor another origin
 * loaded in the same tab gets a fresh window.
 */
export interface Cooldown {
  site: string;
  tabIds: number[];
  refusals: number;
  until: number;
}

export function cooldownLength(refusals: number): number {
  const doublings = Math.max(0, Math.min(refusals - 1, 30));
  return Math.min(COOLDOWN_BASE_MS * 2 ** doublings, COOLDOWN_MAX_MS);
}

/**
 * The cool-down after one more refusal (*Deny*, closing the window, or asking again while cooling
 * down): it grows while the origin keeps asking, and is forgotten a day after it last ended.
 */
export function afterRefusal(previous: Cooldown | undefined, site: string, tabIds: readonly number[], now: number): Cooldown {
  const refusals = previous && now - previous.until < COOLDOWN_FORGET_MS ? previous.refusals + 1 : 1;
  const tabs = [...new Set([...(previous?.tabIds ?? []), ...tabIds])];
  return { site, tabIds: tabs, refusals, until: Math.max(previous?.until ?? 0, now + cooldownLength(refusals)) };
}

/** Whether a cool-down covers an ask from `origin` in `tabId`: its site, or a tab that asked. */
export function coversAsk(cooldown: Cooldown, origin: string, tabId: number): boolean {
  return cooldown.site === siteOf(origin) || cooldown.tabIds.includes(tabId);
}

export function isCoolingDown(cooldown: Cooldown | undefined, now: number): boolean {
  return cooldown !== undefined && now < cooldown.until;
}

/**
 * When *Allow* may be pressed: `ALLOW_DELAY_MS` after the window last became visible and focused
 * (`since`), or never while it is hidden or unfocused (`since` null).
 */
export function allowReadyAt(since: number | null): number | null {
  return since === null ? null : since + ALLOW_DELAY_MS;
}

export function allowEnabled(since: number | null, now: number): boolean {
  const readyAt = allowReadyAt(since);
  return readyAt !== null && now >= readyAt;
}

/** An http:// origin that is not this computer: what the site gets travels in the clear. */
export function isInsecureOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return true;
  }
  if (url.protocol === 'https:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host));
}

/** A document that asked: its tab, and the browser's id of that document where it reports one. */
export interface ApprovalCaller {
  tabId: number;
  documentId?: string;
}

export interface WaitingApproval {
  requestId: string;
  /** The documents that asked; the request is shown once the tab of one of them is in front. */
  callers: ApprovalCaller[];
  /** The window showing it, once shown. */
  windowId?: number;
  createdAt: number;
}

/**
 * What the one approval window should do now: nothing while a request is shown; otherwise show
 * the oldest request whose tab is in front, that is the active tab of the focused window (a tab
 * in the background, or in front of a window in the background, waits until it is).
 */
export function nextToShow<T extends WaitingApproval>(pending: readonly T[], inFront: ReadonlySet<number>): T | undefined {
  if (pending.some((request) => request.windowId !== undefined)) return undefined;
  return [...pending]
    .sort((a, b) => a.createdAt - b.createdAt)
    .find((request) => request.callers.some((caller) => inFront.has(caller.tabId)));
}

/** The same asking document: the same tab and, where both are known, the same document. */
export function sameCaller(a: ApprovalCaller, b: ApprovalCaller): boolean {
  return a.tabId === b.tabId && a.documentId === b.documentId;
}

/**
 * Public suffixes of more than one label that sites commonly sit under: a registrable domain is
 * one label more than these. The full Public Suffix List (about 93 KB minified even in its
 * smallest packaging) would be most of the extension; this rule never splits one site in two
 * (any two hosts of the same registrable domain get the same site), and where it does not know a
 * suffix it joins sites that share it, which errs toward refusing (the popup can lift it).
 */
const MULTI_LABEL_SUFFIXES = new Set([
  // Country domains whose second level is generic: co.uk, com.au, ac.jp, gov.br, ...
  ...['ac', 'co', 'com', 'edu', 'gob', 'gov', 'go', 'ltd', 'mil', 'ne', 'net', 'nom', 'or', 'org', 'plc', 'sch'].map(
    (label) => `${label}.*`,
  ),
  // Hosting whose customers each get a subdomain.
  'github.io',
  'gitlab.io',
  'vercel.app',
  'netlify.app',
  'pages.dev',
  'workers.dev',
  'web.app',
  'firebaseapp.com',
  'herokuapp.com',
  'appspot.com',
  'blogspot.com',
  'glitch.me',
  'onrender.com',
  'fly.dev',
  'azurewebsites.net',
  'cloudfront.net',
  'ngrok.io',
  'ngrok-free.app',
  'replit.dev',
  'repl.co',
  'surge.sh',
  'deno.dev',
  'railway.app',
  'codesandbox.io',
  'csb.app',
  'stackblitz.io',
  'webcontainer.io',
  'dweb.link',
  'eth.limo',
  'eth.link',
]);

function isMultiLabelSuffix(suffix: string): boolean {
  if (MULTI_LABEL_SUFFIXES.has(suffix)) return true;
  const [second, top] = suffix.split('.');
  // The generic second levels count under two-letter (country) top-level domains only.
  return top !== undefined && top.length === 2 && MULTI_LABEL_SUFFIXES.has(`${second}.*`);
}

/** An IP address (v4, or v6 in brackets) or localhost: a host with no registrable domain. */
function isAddressOrLocal(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host === 'localhost' || host.endsWith('.localhost');
}

/**
 * The site of an origin, as cool-downs count it: the scheme and the registrable domain
 * (`https://app.example` and `https://www.app.example` are one site). For an IP address or
 * localhost, the origin itself, so that local development on several ports stays usable.
 */
export function siteOf(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return origin;
  }
  const host = url.hostname.replace(/\.$/, '');
  if (isAddressOrLocal(host)) return url.origin;
  const labels = host.split('.');
  const keep = labels.length >= 3 && isMultiLabelSuffix(labels.slice(-2).join('.')) ? 3 : 2;
  return `${url.protocol}//${labels.slice(-keep).join('.')}`;
}
