/** The origins the person allowed, in the approval window, to use `window.takoSession`. */
import type { AllowedOrigin } from '../core/records.ts';
import type { Store } from './store.ts';

export function createSites(store: Store, now: () => number) {
  return {
    list: () => store.getAllowedOrigins(),
    async isAllowed(origin: string): Promise<boolean> {
      return (await store.getAllowedOrigins()).some((site) => site.origin === origin);
    },
    async allow(origin: string): Promise<void> {
      const sites = await store.getAllowedOrigins();
      if (sites.some((site) => site.origin === origin)) return;
      const entry: AllowedOrigin = { origin, allowedAt: now() };
      await store.setAllowedOrigins([...sites, entry]);
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
