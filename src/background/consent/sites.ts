/**
 * The origins the person allowed, in the approval window, to use `window.takoSession`, each with
 * its separate grant of the MetaHuman SDK token. Revoking a site removes both.
 *
 * The list is one record with one writer: every read-modify-write runs in one serial step, and
 * every read waits for the writes queued before it. So two changes never undo each other (a grant
 * written while another site is revoked cannot bring that site back), and a revoke, once done,
 * is what every later check sees.
 */
import type { AllowedOrigin, SiteActivity } from '../../core/consent/records.ts';
import { describeError } from '../../core/contract/errors.ts';
import { createSerial } from '../../core/session/serial.ts';
import type { Store } from '../storage/store.ts';

const SITES_RECORD = 'sites';
/** Activity has a record and a writer of its own: counting a token never waits behind, or delays, a grant or a revoke. */
const ACTIVITY_RECORD = 'site-activity';

export function createSites(
  store: Pick<Store, 'getAllowedOrigins' | 'setAllowedOrigins' | 'getSiteActivity' | 'setSiteActivity'>,
  now: () => number,
) {
  const serial = createSerial();
  const read = () => serial(SITES_RECORD, () => store.getAllowedOrigins());
  /** Tokens counted and not yet written, per origin: a burst of calls is one write. */
  const uncounted = new Map<string, SiteActivity>();
  let writing: Promise<void> | undefined;

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

  const forgetActivity = (origin: string) =>
    changeActivity((activity) => {
      const { [origin]: _, ...rest } = activity;
      return rest;
    });
  /** Changes the list in one step: `change` gives the new list (none: unchanged) and the result. */
  const update = <T>(change: (sites: AllowedOrigin[]) => { next?: AllowedOrigin[]; result: T }) =>
    serial(SITES_RECORD, async () => {
      const { next, result } = change(await store.getAllowedOrigins());
      if (next) await store.setAllowedOrigins(next);
      return result;
    });
  const find = async (origin: string) => (await read()).find((site) => site.origin === origin);

  return {
    /** The allowed sites, each with its activity. */
    async list(): Promise<AllowedOrigin[]> {
      const [sites, activity] = await Promise.all([read(), serial(ACTIVITY_RECORD, () => store.getSiteActivity())]);
      return sites.map((site) => (activity[site.origin] ? { ...site, ...activity[site.origin] } : site));
    },
    /** An allowed site received a token: counted now, written shortly after (never on the caller's path). */
    recordToken(origin: string): void {
      const counted = uncounted.get(origin);
      uncounted.set(origin, { lastUsedAt: now(), tokens: (counted?.tokens ?? 0) + 1 });
      writing ??= writeCounted();
    },
    /** Forgets every site's activity; the grants stay. */
    async clearActivity(): Promise<void> {
      uncounted.clear();
      await changeActivity(() => ({}));
    },
    /** Resolves once the tokens counted so far are written. */
    activityWritten: async (): Promise<void> => {
      await writing;
    },
    async isAllowed(origin: string): Promise<boolean> {
      return (await find(origin)) !== undefined;
    },
    allow(origin: string): Promise<void> {
      return update((sites) =>
        sites.some((site) => site.origin === origin)
          ? { result: undefined }
          : { next: [...sites, { origin, allowedAt: now(), metahuman: false }], result: undefined },
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
    async revoke(origin: string): Promise<boolean> {
      const revoked = await update((sites) => {
        const kept = sites.filter((site) => site.origin !== origin);
        return kept.length === sites.length ? { result: false } : { next: kept, result: true };
      });
      uncounted.delete(origin);
      await forgetActivity(origin);
      return revoked;
    },
  };
}

export type Sites = ReturnType<typeof createSites>;
