/**
 * The origins the person allowed, in the approval window, to use `window.takoSession`, each with
 * its separate grant of the MetaHuman SDK token. Revoking a site removes both.
 */
import type { AllowedOrigin } from '../core/records.ts';
import type { Store } from './store.ts';

export function createSites(store: Pick<Store, 'getAllowedOrigins' | 'setAllowedOrigins'>, now: () => number) {
  const find = async (origin: string) => (await store.getAllowedOrigins()).find((site) => site.origin === origin);
  return {
    list: () => store.getAllowedOrigins(),
    async isAllowed(origin: string): Promise<boolean> {
      return (await find(origin)) !== undefined;
    },
    async allow(origin: string): Promise<void> {
      const sites = await store.getAllowedOrigins();
      if (sites.some((site) => site.origin === origin)) return;
      const entry: AllowedOrigin = { origin, allowedAt: now(), metahuman: false };
      await store.setAllowedOrigins([...sites, entry]);
    },
    async hasMetahuman(origin: string): Promise<boolean> {
      return (await find(origin))?.metahuman === true;
    },
    /** Only for an origin still allowed: a revoked site gets no grant from an answer given before. */
    async grantMetahuman(origin: string): Promise<boolean> {
      const sites = await store.getAllowedOrigins();
      if (!sites.some((site) => site.origin === origin)) return false;
      await store.setAllowedOrigins(sites.map((site) => (site.origin === origin ? { ...site, metahuman: true } : site)));
      return true;
    },
    async revoke(origin: string): Promise<boolean> {
      const sites = await store.getAllowedOrigins();
      const kept = sites.filter((site) => site.origin !== origin);
      await store.setAllowedOrigins(kept);
      return kept.length !== sites.length;
    },
  };
}

export type Sites = ReturnType<typeof createSites>;
