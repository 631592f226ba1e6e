/**
 * How long a site's grant lasts, as the person chose it in the approval window, and the pure
 * decisions about it: when a grant ends, whether it is still live, and which tabs hold a grant that
 * lasts only while a tab of the site is open.
 */
import type { TokenAccess } from './header-rules.ts';
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
  /** The account the site is bound to (absent: the active one). */
  account?: string;
  /** How the site receives the session (absent: tokens). */
  tokenAccess?: TokenAccess;
}

export const DEFAULT_GRANT_CHOICE: GrantChoice = { duration: DEFAULT_GRANT_DURATION, tabIds: [] };

/** How an allowed site receives the session: `header` when its grant says so, else tokens. */
export function tokenAccessOf(site: Pick<AllowedOrigin, 'tokenAccess'> | undefined): TokenAccess {
  return site?.tokenAccess === 'header' ? 'header' : 'token';
}

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

/**
 * A grant past its `expiresAt` is over, as is one unused for `forgetUnusedDays` when that option is
 * set; any other lasts until revoked (or its tabs close).
 */
export function isGrantExpired(
  site: Pick<AllowedOrigin, 'allowedAt' | 'lastUsedAt' | 'expiresAt'>,
  nowMs: number,
  forgetUnusedDays?: number,
): boolean {
  const ends = grantEndsAt(site, forgetUnusedDays);
  return ends !== null && nowMs >= ends;
}

/** The next moment a grant ends by its time (or by going unused, with that option), or null. */
export function nextGrantExpiry(
  sites: readonly Pick<AllowedOrigin, 'allowedAt' | 'lastUsedAt' | 'expiresAt'>[],
  forgetUnusedDays?: number,
): number | null {
  let next: number | null = null;
  for (const site of sites) {
    const ends = grantEndsAt(site, forgetUnusedDays);
    if (ends !== null && (next === null || ends < next)) next = ends;
  }
  return next;
}

/**
 * When a site is forgotten for not being used, with the option "remove sites not used for `days`
 * days" set: that long after its last token (never used: after it was allowed). Null without it.
 */
export function unusedUntil(site: Pick<AllowedOrigin, 'allowedAt' | 'lastUsedAt'>, days: number | undefined): number | null {
  return days === undefined ? null : (site.lastUsedAt ?? site.allowedAt) + days * DAY_MS;
}

/** When a grant ends: its own time, or the unused-sites option's, whichever comes first (null: neither). */
export function grantEndsAt(site: Pick<AllowedOrigin, 'allowedAt' | 'lastUsedAt' | 'expiresAt'>, forgetUnusedDays?: number): number | null {
  const ends = [site.expiresAt ?? null, unusedUntil(site, forgetUnusedDays)].filter((at): at is number => at !== null);
  return ends.length === 0 ? null : Math.min(...ends);
}

/** The longest the option accepts (a year). */
export const MAX_FORGET_UNUSED_DAYS = 365;
