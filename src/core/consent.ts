/**
 * The rules of consent, as pure functions on an injected clock: what a site can be granted, how
 * long a refused origin is refused without asking the person again, when the approval window's
 * *Allow* may be pressed, and which waiting request the one approval window shows next.
 */

/** What an approval grants: the Tako session (token, address) or the MetaHuman SDK token. */
export type ConsentScope = 'session' | 'metahuman';
export const CONSENT_SCOPES = ['session', 'metahuman'] as const satisfies readonly ConsentScope[];

/** *Allow* is enabled only once the window has been visible and focused this long, without a break. */
export const ALLOW_DELAY_MS = 500;

/** The first refusal keeps the origin refused for a minute; each refusal after it doubles that. */
export const COOLDOWN_BASE_MS = 60_000;
export const COOLDOWN_MAX_MS = 60 * 60_000;
/** A refusal this long after the last cool-down ended starts counting from one again. */
export const COOLDOWN_FORGET_MS = 24 * 60 * 60_000;

/** An origin refused for a while: `refusals` so far, refused without a window until `until`. */
export interface Cooldown {
  origin: string;
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
export function afterRefusal(previous: Cooldown | undefined, origin: string, now: number): Cooldown {
  const refusals = previous && now - previous.until < COOLDOWN_FORGET_MS ? previous.refusals + 1 : 1;
  return { origin, refusals, until: Math.max(previous?.until ?? 0, now + cooldownLength(refusals)) };
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

export interface WaitingApproval {
  requestId: string;
  /** The tabs that asked; the request is shown once one of them is in front. */
  tabIds: number[];
  /** The window showing it, once shown. */
  windowId?: number;
  createdAt: number;
}

/**
 * What the one approval window should do now: nothing while a request is shown; otherwise show
 * the oldest request whose tab is in front (a tab in the background waits until it is).
 */
export function nextToShow<T extends WaitingApproval>(pending: readonly T[], activeTabIds: ReadonlySet<number>): T | undefined {
  if (pending.some((request) => request.windowId !== undefined)) return undefined;
  return [...pending].sort((a, b) => a.createdAt - b.createdAt).find((request) => request.tabIds.some((tabId) => activeTabIds.has(tabId)));
}
