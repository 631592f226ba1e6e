/** Telling pages what concerns them: the session to allowed origins only, access changes to that origin only. */
import type { AllowedOrigin } from '../../core/consent/records.ts';
import type { SessionInfo } from '../../core/session/session.ts';
import type { TabsPort } from '../ports/ports.ts';
import { WEB_PAGE_URLS } from '../wallets/page-wallet.ts';

/**
 * Sends each allowed site's tabs the session that site sees (`sessionFor`: the account it is bound
 * to, or the active one).
 */
export async function sendSessionToAllowedTabs(
  tabs: TabsPort,
  sessionFor: (site: AllowedOrigin) => SessionInfo | null,
  allowed: AllowedOrigin[],
): Promise<void> {
  const sites = new Map(allowed.map((site) => [site.origin, site]));
  const open = await tabs.query({ url: WEB_PAGE_URLS });
  await Promise.all(
    open.map(async (tab) => {
      if (tab.id === undefined || !tab.url) return;
      const origin = new URL(tab.url).origin;
      const site = sites.get(origin);
      if (!site) return;
      await tabs.send(tab.id, { type: 'page-event', origin, event: 'sessionChanged', data: sessionFor(site) }).catch(() => undefined);
    }),
  );
}

/** Tells every tab of each origin that it was allowed (`true`) or lost its access (`false`). */
export async function sendAccessToTabs(tabs: TabsPort, changes: ReadonlyMap<string, boolean>): Promise<void> {
  if (changes.size === 0) return;
  const open = await tabs.query({ url: WEB_PAGE_URLS });
  await Promise.all(
    open.map(async (tab) => {
      if (tab.id === undefined || !tab.url) return;
      const origin = new URL(tab.url).origin;
      const allowed = changes.get(origin);
      if (allowed === undefined) return;
      await tabs.send(tab.id, { type: 'page-event', origin, event: 'accessChanged', data: { allowed } }).catch(() => undefined);
    }),
  );
}
