/**
 * The origins the person allowed, in the approval window, to use `window.takoSession`, each with
 * its separate grant of the MetaHuman SDK token. Revoking a site removes both.
 *
 * The list is one record with one writer: every read-modify-write runs in one serial step, and
 * every read waits for the writes queued before it. So two changes never undo each other (a grant
 * written while another site is revoked cannot bring that site back), and a revoke, once done,
 * is what every later check sees.
 */
import type { AllowedOrigin } from '../../core/consent/records.ts';
import { createSerial } from '../../core/session/serial.ts';
import type { Store } from '../storage/store.ts';

const SITES_RECORD = 'sites';

export function createSites(store: Pick<Store, 'getAllowedOrigins' | 'setAllowedOrigins'>, now: () => number) {
  const serial = createSerial();
  const read = () => serial(SITES_RECORD, () => store.getAllowedOrigins());
  /** Changes the list in one step: `change` gives the new list (none: unchanged) and the result. */
  const update = <T>(change: (sites: AllowedOrigin[]) => { next?: AllowedOrigin[]; result: T }) =>
    serial(SITES_RECORD, async () => {
      const { next, result } = change(await store.getAllowedOrigins());
      if (next) await store.setAllowedOrigins(next);
      return result;
    });
  const find = async (origin: string) => (await read()).find((site) => site.origin === origin);

  return {
    list: read,
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
    /** True when the origin was allowed. */
    revoke(origin: string): Promise<boolean> {
      return update((sites) => {
        const kept = sites.filter((site) => site.origin !== origin);
        return kept.length === sites.length ? { result: false } : { next: kept, result: true };
      });
    },
  };
}

export type Sites = ReturnType<typeof createSites>;
