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
  /**
   * What the last publish of this browser run left on the badge and told pages, kept past the
   * worker (storage.session): a worker start that changes nothing then sets no badge and sends
   * pages no `sessionChanged` they already had. Without it every start publishes everything.
   */
  lastPublished?: { get(): Promise<unknown>; set(state: PublishedState): Promise<void> };
}

/** The badge shown and the session pages were told about, each as the text compared. */
export interface PublishedState {
  badge: string;
  pages: string;
}

const NOTHING_PUBLISHED: PublishedState = { badge: '', pages: '' };

function readPublishedState(value: unknown): PublishedState {
  const state = value as Partial<PublishedState> | null | undefined;
  return typeof state?.badge === 'string' && typeof state.pages === 'string'
    ? { badge: state.badge, pages: state.pages }
    : NOTHING_PUBLISHED;
}

export function createPublisher(deps: PublisherDeps) {
  let changeQueued = false;
  let published: Promise<void> = Promise.resolve();
  /** The badge and the session and token pair pages were last told about; read at the first publish. */
  let last: PublishedState | undefined;
  const lastOfThisRun = async (): Promise<PublishedState> =>
    (last ??= readPublishedState(await deps.lastPublished?.get().catch(() => undefined)));
  /**
   * The allowed origins as of the last publish. Read when the publisher is made (worker start),
   * before any change of this worker's life, so the change that woke the worker is news too.
   */
  let knownOrigins: Promise<Set<string>> = deps.sites.list({ activity: false }).then(
    (sites) => new Set(sites.map((site) => site.origin)),
    () => new Set(),
  );

  async function publish(): Promise<void> {
    const [snapshot, allowed, before] = await Promise.all([deps.service.snapshot(), deps.sites.list({ activity: false }), lastOfThisRun()]);
    const badge = BADGES[popupStateName(snapshot.signingIn, snapshot.session)];
    const shown = JSON.stringify(badge);
    if (shown !== before.badge) await deps.showBadge(badge);
    // Only changes of the session reach pages: the badge and popup refresh more often, and allowing
    // or revoking a site is no news to the others (a newly allowed site gets the session as the
    // answer to tako_requestAccess). `tokenObtainedAt` tells a new token pair from the last one: a
    // refresh is news even when the new token's expiry, in whole seconds, equals the old one's.
    // Allowed, revoked in the popup, or revoked by the site itself: each is news to that origin's tabs.
    const originsBefore = await knownOrigins;
    const now = new Set(allowed.map((site) => site.origin));
    knownOrigins = Promise.resolve(now);
    const accessChanges = new Map<string, boolean>();
    for (const origin of now) if (!originsBefore.has(origin)) accessChanges.set(origin, true);
    for (const origin of originsBefore) if (!now.has(origin)) accessChanges.set(origin, false);
    await sendAccessToTabs(deps.tabs, accessChanges);
    // Each site sees the account it is bound to (or the active one): a change of any account's
    // session is news to the sites bound to it.
    const sentToPages = JSON.stringify([snapshot.session, snapshot.tokenObtainedAt, snapshot.accounts]);
    if (sentToPages !== before.pages) {
      const sessionFor = (site: AllowedOrigin): SessionInfo | null => {
        if (site.account === undefined) return snapshot.session;
        const bound = snapshot.accounts.find((account) => account.address === site.account);
        if (!bound) return null;
        const { active: _, ...session } = bound;
        return session;
      };
      await sendSessionToAllowedTabs(deps.tabs, sessionFor, allowed);
    }
    // Kept once sent: a worker stopped before this line has the next one send it again.
    if (shown !== before.badge || sentToPages !== before.pages) {
      last = { badge: shown, pages: sentToPages };
      await deps.lastPublished?.set(last).catch((error: unknown) => {
        console.warn('Tako Session: what was published could not be kept:', describeError(error));
      });
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
