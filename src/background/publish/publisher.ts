/**
 * Publishing state after changes: the toolbar badge, `sessionChanged` to the tabs of allowed
 * origins, `accessChanged` to the tabs of an origin that was allowed or lost its access, and a
 * notice to open extension pages so they re-read what they show. Driven by the
 * change events of the session service, the site list, the settings and the MetaHuman token.
 */

import type { AllowedOrigin } from '../../core/consent/records.ts';
import { describeError } from '../../core/contract/errors.ts';
import { popupStateName } from '../../core/contract/ui-protocol.ts';
import type { SessionInfo } from '../../core/session/session.ts';
import type { Sites } from '../consent/sites.ts';
import type { ShowBadge, TabsPort } from '../ports/ports.ts';
import type { SessionService } from '../session/service.ts';
import { BADGES } from './badge.ts';
import { sendAccessToTabs, sendSessionToAllowedTabs } from './tabs.ts';

export interface PublisherDeps {
  service: Pick<SessionService, 'snapshot'>;
  sites: Pick<Sites, 'list'>;
  showBadge: ShowBadge;
  tabs: TabsPort;
  /** Tells open extension pages to re-read; with none open there is no receiver, which is fine. */
  notifyExtensionPages: () => Promise<void>;
}

export function createPublisher(deps: PublisherDeps) {
  let changeQueued = false;
  let published: Promise<void> = Promise.resolve();
  /** The session and token pair pages were last told about. */
  let lastSentToPages = '';
  /**
   * The allowed origins as of the last publish. Read when the publisher is made (worker start),
   * before any change of this worker's life, so the change that woke the worker is news too.
   */
  let knownOrigins: Promise<Set<string>> = deps.sites.list({ activity: false }).then(
    (sites) => new Set(sites.map((site) => site.origin)),
    () => new Set(),
  );

  async function publish(): Promise<void> {
    const [snapshot, allowed] = await Promise.all([deps.service.snapshot(), deps.sites.list({ activity: false })]);
    await deps.showBadge(BADGES[popupStateName(snapshot.signingIn, snapshot.session)]);
    // Only changes of the session reach pages: the badge and popup refresh more often, and allowing
    // or revoking a site is no news to the others (a newly allowed site gets the session as the
    // answer to tako_requestAccess). `tokenObtainedAt` tells a new token pair from the last one: a
    // refresh is news even when the new token's expiry, in whole seconds, equals the old one's.
    // Allowed, revoked in the popup, or revoked by the site itself: each is news to that origin's tabs.
    const before = await knownOrigins;
    const now = new Set(allowed.map((site) => site.origin));
    knownOrigins = Promise.resolve(now);
    const accessChanges = new Map<string, boolean>();
    for (const origin of now) if (!before.has(origin)) accessChanges.set(origin, true);
    for (const origin of before) if (!now.has(origin)) accessChanges.set(origin, false);
    await sendAccessToTabs(deps.tabs, accessChanges);
    // Each site sees the account it is bound to (or the active one): a change of any account's
    // session is news to the sites bound to it.
    const sentToPages = JSON.stringify([snapshot.session, snapshot.tokenObtainedAt, snapshot.accounts]);
    if (sentToPages !== lastSentToPages) {
      lastSentToPages = sentToPages;
      const sessionFor = (site: AllowedOrigin): SessionInfo | null => {
        if (site.account === undefined) return snapshot.session;
        const bound = snapshot.accounts.find((account) => account.address === site.account);
        if (!bound) return null;
        const { active: _, ...session } = bound;
        return session;
      };
      await sendSessionToAllowedTabs(deps.tabs, sessionFor, allowed);
    }
    await deps.notifyExtensionPages();
  }

  return {
    /**
     * Something shown changed. Bursts of changes are coalesced into one publish, and publishes run
     * one after another so that pages never end on an older state than the last one.
     */
    changed(): void {
      if (changeQueued) return;
      changeQueued = true;
      queueMicrotask(() => {
        changeQueued = false;
        published = published
          .then(publish)
          .catch((error: unknown) => console.warn('Tako Session: could not publish state:', describeError(error)));
      });
    },
    /** Resolves once every change signalled so far has been published. */
    async idle(): Promise<void> {
      await Promise.resolve(); // a publish queued by `changed` joins the chain first
      await published;
    },
  };
}

export type Publisher = ReturnType<typeof createPublisher>;
