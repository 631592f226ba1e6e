/**
 * How long a site's grant lasts, as the person chose it in the approval window, and the pure
 * decisions about it: when a grant ends, whether it is still live, and which tabs hold a grant that
 * lasts only while a tab of the site is open.
 */
import type { AllowedOrigin } from './records.ts';

/** `open-tabs`: while a tab of the site is open; `1d`, `30d`; `until-revoked` (the default). */
export type GrantDuration = 'open-tabs' | '1d' | '30d' | 'until-revoked';
export const GRANT_DURATIONS = ['open-tabs', '1d', '30d', 'until-revoked'] as const satisfies readonly GrantDuration[];
export const DEFAULT_GRANT_DURATION: GrantDuration = 'until-revoked';

const DAY_MS = 86_400_000;

/** How long the person allowed a site for, and the tabs that asked (a grant for open tabs is theirs). */
export interface GrantChoice {
  duration: GrantDuration;
  tabIds: number[];
}

export const DEFAULT_GRANT_CHOICE: GrantChoice = { duration: DEFAULT_GRANT_DURATION, tabIds: [] };

/** What a grant made now, for the tabs that asked, records of its duration. */
export function grantTerms(duration: GrantDuration, nowMs: number, tabIds: readonly number[]): Pick<AllowedOrigin, 'expiresAt' | 'tabIds'> {
  switch (duration) {
    case '1d':
      return { expiresAt: nowMs + DAY_MS };
    case '30d':
      return { expiresAt: nowMs + 30 * DAY_MS };
    case 'open-tabs':
      return { tabIds: [...new Set(tabIds)] };
    case 'until-revoked':
      return {};
  }
}

/** A grant past its `expiresAt` is over; one without lasts until revoked (or its tabs close). */
export function isGrantExpired(site: Pick<AllowedOrigin, 'expiresAt'>, nowMs: number): boolean {
  return site.expiresAt !== undefined && nowMs >= site.expiresAt;
}

/** The next moment a grant ends by its time, or null. */
export function nextGrantExpiry(sites: readonly Pick<AllowedOrigin, 'expiresAt'>[]): number | null {
  let next: number | null = null;
  for (const { expiresAt } of sites) if (expiresAt !== undefined && (next === null || expiresAt < next)) next = expiresAt;
  return next;
}

/**
 * A site unused for `days` (never used: since it was allowed) is forgotten when that option is set;
 * a site allowed by policy is not the person's to forget.
 */
export function isUnusedFor(site: Pick<AllowedOrigin, 'allowedAt' | 'lastUsedAt'>, days: number, nowMs: number): boolean {
  return nowMs - (site.lastUsedAt ?? site.allowedAt) >= days * DAY_MS;
}
