/**
 * The origins the person allowed, in the approval window, to use `window.takoSession`, each with
 * its separate grant of the MetaHuman SDK token. Revoking a site removes both.
 *
 * The list is one record with one writer: every read-modify-write runs in one serial step, and
 * every read waits for the writes queued before it. So two changes never undo each other (a grant
 * written while another site is revoked cannot bring that site back), and a revoke, once done,
 * is what every later check sees.
 */

import { isGrantExpired, nextGrantExpiry, tokenAccessOf } from '../../core/consent/grants.ts';
import type { TokenAccess } from '../../core/consent/header-rules.ts';
import type { AllowedOrigin, SiteActivity } from '../../core/consent/records.ts';
import { describeError } from '../../core/contract/errors.ts';
import { createSerial } from '../../core/session/serial.ts';
import type { TabsPort } from '../ports/ports.ts';
import type { Store } from '../storage/store.ts';

const SITES_RECORD = 'sites';
/** The alarm at which the next grant given for a day or a month ends. */
export const GRANT_EXPIRY_ALARM = 'grant-expiry';
/** Activity has a record and a writer of its own: counting a token never waits behind, or delays, a grant or a revoke. */
const ACTIVITY_RECORD = 'site-activity';
/** Tokens counted are written at most this often. */
export const ACTIVITY_WRITE_DELAY_MS = 1_000;

/**
 * `tabs` tells whether a tab still shows a site, for grants that last while a tab of the site is
 * open (without it, in tests of other rules, such a grant holds); `onEnded` hears of grants found
 * over when a site calls (the popup and the publisher follow).
 */
export function createSites(
  store: Pick<Store, 'getAllowedOrigins' | 'setAllowedOrigins' | 'getSiteActivity' | 'setSiteActivity'>,
  now: () => number,
  {
    tabs,
    onEnded,
    forgetUnusedDays,
  }: {
    tabs?: Pick<TabsPort, 'documentOrigin'>;
    onEnded?: () => void;
    /** The option "remove sites not used for N days" (undefined: never). */
    forgetUnusedDays?: () => Promise<number | undefined>;
  } = {},
) {
  const serial = createSerial();
  const read = () => serial(SITES_RECORD, () => store.getAllowedOrigins());
  /** Tokens counted and not yet written, per origin: a burst of calls is one write. */
  const uncounted = new Map<string, SiteActivity>();
  let writing: Promise<void> | undefined;
  let writeTimer: ReturnType<typeof setTimeout> | undefined;

  const changeActivity = (change: (activity: Record<string, SiteActivity>) => Record<string, SiteActivity>) =>
    serial(ACTIVITY_RECORD, async () => store.setSiteActivity(change(await store.getSiteActivity())));

  /** Writes what was counted, until nothing is left; one write at a time. */
  async function writeCounted(): Promise<void> {
    try {
      while (uncounted.size > 0) {
        const batch = new Map(uncounted);
        uncounted.clear();
        await changeActivity((activity) => {
          const next = { ...activity };
          for (const [origin, counted] of batch) {
            const before = next[origin];
            next[origin] = { lastUsedAt: counted.lastUsedAt, tokens: (before?.tokens ?? 0) + counted.tokens };
          }
          return next;
        });
      }
    } catch (error) {
      console.warn('Tako Session: site activity could not be saved:', describeError(error));
    } finally {
      writing = undefined;
    }
  }

  /** Forgets these origins' activity, counted or written, in one write. */
  function forgetActivity(origins: readonly string[]): Promise<void> {
    for (const origin of origins) uncounted.delete(origin);
    return changeActivity((activity) => Object.fromEntries(Object.entries(activity).filter(([origin]) => !origins.includes(origin))));
  }
  /** Changes the list in one step: `change` gives the new list (none: unchanged) and the result. */
  const update = <T>(change: (sites: AllowedOrigin[]) => { next?: AllowedOrigin[]; result: T }) =>
    serial(SITES_RECORD, async () => {
      const { next, result } = change(await store.getAllowedOrigins());
      if (next) await store.setAllowedOrigins(next);
      return result;
    });
  const find = async (origin: string) => (await read()).find((site) => site.origin === origin);

  /** A grant for open tabs holds while one of its tabs still shows the site; any other always does. */
  async function holdsOpenTab(site: AllowedOrigin): Promise<boolean> {
    if (site.tabIds === undefined) return true;
    if (!tabs) return true;
    for (const tabId of site.tabIds) if ((await tabs.documentOrigin(tabId).catch(() => undefined)) === site.origin) return true;
    return false;
  }

  /**
   * Ends these grants (a revoke, or their end) and forgets their activity, the list in its one
   * step; true when any of them was allowed.
   */
  async function endGrants(origins: readonly string[]): Promise<boolean> {
    const ended = await update((sites) => {
      const kept = sites.filter((site) => !origins.includes(site.origin));
      return kept.length === sites.length ? { result: false } : { next: kept, result: true };
    });
    await forgetActivity(origins);
    return ended;
  }

  /**
   * The sites with their activity (tokens counted and not yet written included) and the unused-sites
   * option: what every rule about a grant's end reads. The activity is read as the cache has it,
   * without waiting for a write in flight, so that a page's call never waits behind one.
   */
  async function withActivity(sites: AllowedOrigin[]): Promise<{ sites: AllowedOrigin[]; days: number | undefined }> {
    const [activity, days] = await Promise.all([store.getSiteActivity(), forgetUnusedDays?.()]);
    return { days, sites: withActivityOf(sites, activity) };
  }

  /**
   * The sites and the unused-sites option, with their activity only when that option is set (the
   * rule of a grant's end needs it then): what a page's call, the grant alarm and the publisher
   * read at every worker start, without the activity record otherwise.
   */
  async function forGrantEnds(sites: AllowedOrigin[]): Promise<{ sites: AllowedOrigin[]; days: number | undefined }> {
    const days = await forgetUnusedDays?.();
    return days === undefined ? { sites, days } : { sites: withActivityOf(sites, await store.getSiteActivity()), days };
  }

  function withActivityOf(sites: AllowedOrigin[], activity: Record<string, SiteActivity>): AllowedOrigin[] {
    return sites.map((site) => {
      const stored = activity[site.origin];
      const counted = uncounted.get(site.origin);
      if (!stored && !counted) return site;
      return {
        ...site,
        lastUsedAt: Math.max(stored?.lastUsedAt ?? 0, counted?.lastUsedAt ?? 0),
        tokens: (stored?.tokens ?? 0) + (counted?.tokens ?? 0),
      };
    });
  }

  return {
    /**
     * The sites with a live grant (a grant that ended is not listed), each with its activity unless
     * `activity` is false: the publisher, which runs at every worker start, needs only the grants,
     * and reads the activity record only when unused sites are forgotten.
     */
    async list({ activity = true }: { activity?: boolean } = {}): Promise<AllowedOrigin[]> {
      if (activity) await serial(ACTIVITY_RECORD, async () => undefined);
      const { sites, days } = await (activity ? withActivity : forGrantEnds)(await read());
      const live: AllowedOrigin[] = [];
      for (const site of sites) if (!isGrantExpired(site, now(), days) && (await holdsOpenTab(site))) live.push(site);
      return live;
    },
    /**
     * An allowed site received a token: counted now (what the popup shows includes it at once) and
     * written at most once a second, never on the caller's path: a write per token made each token
     * cost 40% more than the bare messaging path. What a browser closed within that second had
     * counted is lost; the grant itself never is.
     */
    recordToken(origin: string): void {
      const counted = uncounted.get(origin);
      uncounted.set(origin, { lastUsedAt: now(), tokens: (counted?.tokens ?? 0) + 1 });
      if (writing || writeTimer) return;
      writeTimer = setTimeout(() => {
        writeTimer = undefined;
        writing ??= writeCounted();
      }, ACTIVITY_WRITE_DELAY_MS);
    },
    /** Forgets every site's activity; the grants stay. */
    async clearActivity(): Promise<void> {
      uncounted.clear();
      await changeActivity(() => ({}));
    },
    /** Writes the tokens counted so far now, rather than within the second; resolves once written. */
    activityWritten: async (): Promise<void> => {
      if (writeTimer) {
        clearTimeout(writeTimer);
        writeTimer = undefined;
        writing ??= writeCounted();
      }
      await writing;
    },
    /**
     * Whether the origin holds a live grant, asked from `tabId` (a page's call). A grant that lasts
     * while a tab of the site is open takes in a new tab of the site while one of its tabs is still
     * there; once none is, it is over (and removed).
     */
    async isAllowed(origin: string, tabId?: number): Promise<boolean> {
      const found = await find(origin);
      if (!found) return false;
      const {
        sites: [site],
        days,
      } = await forGrantEnds([found]);
      if (isGrantExpired(site!, now(), days)) return false;
      if (site!.tabIds === undefined || tabId === undefined || site!.tabIds.includes(tabId)) return true;
      if (await holdsOpenTab(site!)) {
        await update((sites) => ({
          next: sites.map((s) => (s.origin === origin && s.tabIds ? { ...s, tabIds: [...s.tabIds, tabId] } : s)),
          result: undefined,
        }));
        return true;
      }
      await endGrants([origin]);
      onEnded?.();
      return false;
    },
    /**
     * Allows the origin on these terms (its duration, how it receives the session). An origin
     * already allowed the same way keeps its own terms; one allowed the other way (tokens or
     * header-only) takes the new grant whole, which the person has just given in a window of its
     * own. Its MetaHuman grant, separate, stays.
     */
    allow(origin: string, terms: Pick<AllowedOrigin, 'expiresAt' | 'tabIds' | 'account' | 'tokenAccess'> = {}): Promise<void> {
      return update((sites) => {
        const current = sites.find((site) => site.origin === origin);
        const live = current && !isGrantExpired(current, now());
        if (live && tokenAccessOf(current) === tokenAccessOf(terms)) return { result: undefined };
        const others = sites.filter((site) => site.origin !== origin);
        const { tokenAccess, ...rest } = terms;
        const granted: AllowedOrigin = {
          origin,
          allowedAt: now(),
          metahuman: live ? current.metahuman : false,
          ...rest,
          ...(tokenAccess === 'header' ? { tokenAccess } : {}),
        };
        return { next: [...others, granted], result: undefined };
      });
    },
    /** How a site receives the session (tokens when it is not allowed at all). */
    async tokenAccessOf(origin: string): Promise<TokenAccess> {
      return tokenAccessOf(await find(origin));
    },
    /** Removes the grants that ended (their time, their last tab, or unused); resolves their origins. */
    async pruneEnded(): Promise<string[]> {
      const { sites, days } = await withActivity(await read());
      const ended: string[] = [];
      for (const site of sites) if (isGrantExpired(site, now(), days) || !(await holdsOpenTab(site))) ended.push(site.origin);
      if (ended.length > 0) await endGrants(ended);
      return ended;
    },
    /** When the next grant ends by its time, or by going unused (for the alarm), or null. */
    async nextExpiry(): Promise<number | null> {
      const { sites, days } = await forGrantEnds(await read());
      return nextGrantExpiry(sites, days);
    },
    /** The account the site is bound to, or undefined (the active one). */
    async accountOf(origin: string): Promise<string | undefined> {
      return (await find(origin))?.account;
    },
    /** Binds an allowed site to another account (the popup's choice). False when it is not allowed. */
    moveTo(origin: string, account: string): Promise<boolean> {
      return update((sites) =>
        sites.some((site) => site.origin === origin)
          ? { next: sites.map((site) => (site.origin === origin ? { ...site, account } : site)), result: true }
          : { result: false },
      );
    },
    async hasMetahuman(origin: string): Promise<boolean> {
      return (await find(origin))?.metahuman === true;
    },
    /** Only for an origin still allowed: a revoked site gets no grant from an answer given before. */
    grantMetahuman(origin: string): Promise<boolean> {
      return update((sites) =>
        sites.some((site) => site.origin === origin)
          ? { next: sites.map((site) => (site.origin === origin ? { ...site, metahuman: true } : site)), result: true }
          : { result: false },
      );
    },
    /** True when the origin was allowed. Its activity goes with the grant. */
    revoke(origin: string): Promise<boolean> {
      return endGrants([origin]);
    },
  };
}

export type Sites = ReturnType<typeof createSites>;
