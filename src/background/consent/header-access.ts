/**
 * Header-only access in the browser: the rules of core/consent/header-rules.ts, applied. Every
 * change that can change them (a refresh saved, a sign-in or sign-out, a grant given, revoked or
 * ended, a tab of a header-only site loading or closing, the worker starting) calls `sync`, which
 * reads the state as it is now and replaces every rule the browser holds with the new list in one
 * `updateSessionRules` call: a request sees the old token or the new one, never none in between.
 *
 * Passes run one at a time, each reading the state when it starts; calls made while one waits to
 * start share it. A pass that would change nothing calls nothing.
 */
import { type HeaderRule, headerRules, headerRulesUpdate } from '../../core/consent/header-rules.ts';
import { describeError } from '../../core/contract/errors.ts';
import { endpointKey, hostPermissionFor } from '../../core/session/endpoints.ts';
import { keyOf } from '../../core/session/session.ts';
import type { Sites } from '../consent/sites.ts';
import type { HeaderRulesPort, HeldHeaderRule, TabsPort } from '../ports/ports.ts';
import type { Store } from '../storage/store.ts';

export interface HeaderAccessDeps {
  rules: HeaderRulesPort;
  tabs: Pick<TabsPort, 'query'>;
  sites: Pick<Sites, 'list'>;
  store: Pick<Store, 'getSettings' | 'listSessions' | 'getActive'>;
  /**
   * Whether tab events (a tab loading a page, a tab closed) should reach `sync`: only while a
   * header-only site is allowed. Without one, they would wake the worker on every page load.
   */
  watchTabs: (watching: boolean) => void;
  now: () => number;
}

/** The header each tab's requests carry, by tab id, in a set of rules. */
function headersByTab(rules: ReadonlyArray<HeldHeaderRule>): Map<number, string> {
  const byTab = new Map<number, string>();
  for (const rule of rules) {
    const value = rule.action?.requestHeaders?.[0]?.value;
    if (value !== undefined) for (const tabId of rule.condition?.tabIds ?? []) byTab.set(tabId, value);
  }
  return byTab;
}

export function createHeaderAccess(deps: HeaderAccessDeps) {
  /** The rules this worker last applied (JSON) and their ids; undefined until the first pass. */
  let applied: { json: string; ids: number[] } | undefined;
  /**
   * Per tab: the header its requests carry and since when (this worker's clock; 0 for what an
   * earlier worker applied). A 401 for a request sent before then was for no header or an older
   * token, which the retry replaces: no refresh is forced for it.
   */
  let carried: Map<number, { value: string; since: number }> | undefined;
  let chain: Promise<void> = Promise.resolve();
  let waiting: Promise<void> | undefined;

  async function wanted(): Promise<HeaderRule[]> {
    const [settings, sessions, active, sites] = await Promise.all([
      deps.store.getSettings(),
      deps.store.listSessions(),
      deps.store.getActive(),
      deps.sites.list({ activity: false }),
    ]);
    const endpointId = endpointKey(settings.endpoint);
    const here = sessions.filter((session) => endpointKey(session.endpoint) === endpointId);
    const activeKey = active[endpointId];
    const headerSites = sites.filter((site) => site.tokenAccess === 'header');
    deps.watchTabs(headerSites.length > 0);
    const tabs =
      headerSites.length === 0
        ? []
        : await deps.tabs.query({ url: [...new Set(headerSites.map((site) => hostPermissionFor(site.origin)))] });
    return headerRules({
      apiBaseUrl: settings.endpoint.baseUrl,
      sites,
      tabs,
      sessions: here,
      ...(activeKey === undefined ? {} : { activeAddress: here.find((session) => keyOf(session) === activeKey)?.address }),
    });
  }

  /** What the browser holds, read once per worker. */
  async function learnHeld(): Promise<number[]> {
    const held = await deps.rules.held();
    carried = new Map([...headersByTab(held)].map(([tabId, value]) => [tabId, { value, since: 0 }]));
    return held.map((rule) => rule.id);
  }

  async function pass(): Promise<void> {
    const rules = await wanted();
    const json = JSON.stringify(rules);
    if (applied?.json === json) return;
    // A new worker does not know what the last one left: the browser says.
    const held = applied?.ids ?? (await learnHeld());
    applied = undefined;
    // Nothing held and nothing wanted (every worker start with no header-only site): no call.
    if (held.length > 0 || rules.length > 0) await deps.rules.update(headerRulesUpdate(held, rules));
    applied = { json, ids: rules.map((rule) => rule.id) };
    const time = deps.now();
    const before = carried ?? new Map();
    carried = new Map(
      [...headersByTab(rules)].map(([tabId, value]) => {
        const was = before.get(tabId);
        return [tabId, was?.value === value ? was : { value, since: time }];
      }),
    );
  }

  /** Brings the browser's rules in line with the state now; resolves once they are (rejects if they could not be). */
  function sync(): Promise<void> {
    if (waiting) return waiting;
    const next = chain.then(() => {
      waiting = undefined;
      return pass();
    });
    waiting = next;
    chain = next.catch(() => undefined);
    return next;
  }

  return {
    sync,
    /**
     * Whether a request `tabId` sent at `sentAt` (ms since the epoch) carried the header the tab's
     * requests carry now: false when the tab had no header then, or an older token. Call after `sync`.
     */
    async carriedCurrent(tabId: number, sentAt: number): Promise<boolean> {
      if (!carried) await learnHeld();
      const now = carried?.get(tabId);
      return now !== undefined && now.since <= sentAt;
    },
    /** `sync` for events: a failure is logged, and the next change tries again from what the browser holds. */
    changed(): void {
      sync().catch((error: unknown) => console.warn('Tako Session: the header rules could not be updated:', describeError(error)));
    },
  };
}

export type HeaderAccess = ReturnType<typeof createHeaderAccess>;
