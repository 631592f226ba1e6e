/**
 * Consent requests, answered by the person in the approval window. The rules are in
 * core/consent/consent.ts; this keeps their state in the store, so that a worker stopped while a window is
 * open is replaced by one that finishes the request:
 *
 * - one approval window at a time; a request is shown when the tab of a document that asked is in
 *   front (the active tab of the focused window), and waits until then;
 * - a request belongs to the documents that asked: when one goes away (navigation, reload, its tab
 *   closed) it is dropped, and when the last has gone the request ends and its window closes;
 *   *Allow* grants only while a document that asked is still there, at the origin it asked from;
 * - more asks for the same origin and scope share the request; they bring its window to the front
 *   at most once every RAISE_INTERVAL_MS, and each time it comes to the front (or is focused) the
 *   *Allow* delay starts again;
 * - the person's answer takes effect when it is given (the grant is written, or the site starts
 *   a cool-down), whoever is still waiting for it: a page whose worker was stopped asks again and
 *   finds the grant, the cool-down, or the same request still pending;
 * - *Deny* and closing the window are refusals; during the cool-down that follows, the site (and
 *   the tabs that asked) is refused without a window, and every further ask makes the cool-down
 *   longer. Such an ask writes nothing: the longer cool-down is kept in memory (a page asking in a
 *   loop can make the worker neither write nor publish), and stored with the next refusal;
 * - revoking a site ends its requests still waiting (`withdraw`): revoking wins over a grant in flight.
 */
import {
  ALLOW_DELAY_MS,
  type ApprovalCaller,
  afterRefusal,
  CONSENT_SCOPES,
  COOLDOWN_FORGET_MS,
  type ConsentScope,
  coversAsk,
  isCoolingDown,
  isInsecureOrigin,
  mayRaise,
  nextToShow,
  sameCaller,
  siteOf,
} from '../../core/consent/consent.ts';
import { DEFAULT_GRANT_DURATION, type GrantChoice, type GrantDuration } from '../../core/consent/grants.ts';
import type { TokenAccess } from '../../core/consent/header-rules.ts';
import type { ConsentRecord, PendingApproval } from '../../core/consent/records.ts';
import { describeError, TakoError } from '../../core/contract/errors.ts';
import { createSerial } from '../../core/session/serial.ts';
import type { TabsPort, WindowsPort } from '../ports/ports.ts';
import type { Store } from '../storage/store.ts';

/** The extension page that asks the person (src/ui/approval/). */
export const APPROVAL_PAGE = 'approval.html';
/** The approval window's size (the store screenshots show it at this width too). */
export const APPROVAL_WINDOW_SIZE = { width: 460, height: 560 };
/** What windows.onFocusChanged reports when no window of the browser has the focus. */
export const NO_WINDOW = -1;

/** Said to the window when the person answers a request whose asking page has gone. */
export const ASKER_GONE = 'The page that asked has gone: nothing was allowed';

export interface ApprovalsDeps {
  windows: WindowsPort;
  tabs: Pick<TabsPort, 'query' | 'documentOrigin'>;
  store: Pick<Store, 'getConsent' | 'setConsent'>;
  now: () => number;
  /** Writes the grant the person gave (or does what they allowed); runs before anyone waiting hears the answer. */
  grant: (origin: string, scope: ConsentScope, choice: GrantChoice) => Promise<void>;
  /** The cool-downs changed (the popup lists them). */
  onChanged: () => void;
  /**
   * Whether tab and window events (a tab coming to the front, navigating or closed, a window
   * focused or closed) should reach the approvals: only while a request waits. With nothing
   * waiting they would wake the worker on every tab switch and every page load, all day.
   */
  watchWindows: (watching: boolean) => void;
}

/** What the approval window shows. */
export interface ApprovalView {
  origin: string;
  scope: ConsentScope;
  /** An http:// origin that is not this computer. */
  insecure: boolean;
  /** How a session request would receive it: `header` for header-only access. */
  tokenAccess: TokenAccess;
}

type CooldownEntry = ConsentRecord['cooldowns'][number];
const keyOf = (origin: string, scope: ConsentScope) => `${scope} ${origin}`;
const cooldownKey = (cooldown: CooldownEntry) => `${cooldown.scope} ${cooldown.site}`;
/** The serial key of the consent record. */
const CONSENT_RECORD = 'consent';

/**
 * The record as stored by any build: requests kept as `tabIds` and cool-downs kept per `origin`
 * (before they covered sites and tabs) read in today's shape.
 */
function normalize(stored: ConsentRecord): ConsentRecord {
  const pending = stored.pending.map((request) => {
    const legacy = request as PendingApproval & { tabIds?: number[] };
    const { tabIds, ...rest } = legacy;
    return {
      ...rest,
      callers: Array.isArray(legacy.callers) ? legacy.callers.map((caller) => ({ ...caller })) : (tabIds ?? []).map((tabId) => ({ tabId })),
    };
  });
  const cooldowns = stored.cooldowns.map((cooldown) => {
    const legacy = cooldown as CooldownEntry & { origin?: string };
    const { origin, ...rest } = legacy;
    return {
      ...rest,
      site: typeof legacy.site === 'string' ? legacy.site : siteOf(origin ?? ''),
      tabIds: Array.isArray(legacy.tabIds) ? [...legacy.tabIds] : [],
    };
  });
  return { v: 1, pending, cooldowns };
}

export function createApprovals(deps: ApprovalsDeps) {
  const { windows, store, now } = deps;
  /** Who waits for each request, by origin and scope: only this worker's callers. */
  const waiters = new Map<string, Array<(approved: boolean) => void>>();
  /**
   * Cool-downs grown by asks during them, by site and scope: in memory only, so that asking writes
   * nothing. They take precedence over the stored ones and are stored with the next refusal.
   */
  const grown = new Map<string, CooldownEntry>();
  const queue = createSerial();
  /** Requests left by an earlier browser session (window or tab gone) are dropped once per worker. */
  let checked = false;

  /** State changes run one at a time, each reading what the last one wrote. */
  function serial<T>(work: () => Promise<T>): Promise<T> {
    return queue(CONSENT_RECORD, work);
  }

  /** The cool-downs in force: the ones grown in memory over the stored ones. */
  function cooldownsOf(state: ConsentRecord): CooldownEntry[] {
    return state.cooldowns.map((cooldown) => grown.get(cooldownKey(cooldown)) ?? cooldown);
  }

  /** The cool-down in force that covers an ask, if any. */
  function coolingDown(state: ConsentRecord, origin: string, scope: ConsentScope, tabId: number): CooldownEntry | undefined {
    const time = now();
    return cooldownsOf(state).find(
      (cooldown) => cooldown.scope === scope && coversAsk(cooldown, origin, tabId) && isCoolingDown(cooldown, time),
    );
  }

  async function load(): Promise<ConsentRecord> {
    const state = normalize(await store.getConsent());
    const time = now();
    state.cooldowns = state.cooldowns.filter((cooldown) => time - cooldown.until < COOLDOWN_FORGET_MS);
    for (const [key, cooldown] of grown) if (time - cooldown.until >= COOLDOWN_FORGET_MS) grown.delete(key);
    if (!checked) {
      checked = true;
      const tabIds = new Set((await deps.tabs.query({})).map((tab) => tab.id));
      const kept: PendingApproval[] = [];
      for (const request of state.pending) {
        const alive =
          request.windowId !== undefined
            ? await windows.exists(request.windowId)
            : request.callers.some((caller) => tabIds.has(caller.tabId));
        if (alive) kept.push(request);
      }
      state.pending = kept;
    }
    return state;
  }

  function settle(origin: string, scope: ConsentScope, approved: boolean): void {
    const key = keyOf(origin, scope);
    const waiting = waiters.get(key) ?? [];
    waiters.delete(key);
    for (const resolve of waiting) resolve(approved);
  }

  /** A refusal by the person: the cool-down of the site, and of the tabs that asked, grows. */
  function refuse(state: ConsentRecord, request: PendingApproval): void {
    const site = siteOf(request.origin);
    const index = state.cooldowns.findIndex((cooldown) => cooldown.site === site && cooldown.scope === request.scope);
    const previous = index >= 0 ? cooldownsOf(state)[index] : undefined;
    const next = {
      ...afterRefusal(
        previous,
        site,
        request.callers.map((caller) => caller.tabId),
        now(),
      ),
      scope: request.scope,
    };
    grown.delete(cooldownKey(next));
    if (index >= 0) state.cooldowns[index] = next;
    else state.cooldowns.push(next);
  }

  /** The tab in front: the active tab of the focused window (not the active tab of every window). */
  async function tabsInFront(): Promise<Set<number>> {
    const tabs = await deps.tabs.query({ active: true, lastFocusedWindow: true });
    return new Set(tabs.flatMap((tab) => (tab.id === undefined ? [] : [tab.id])));
  }

  /** Shows the next request whose tab is in front, if no window is open. Saves the state. */
  async function show(state: ConsentRecord): Promise<void> {
    const next = nextToShow(state.pending, await tabsInFront());
    if (next) {
      const windowId = await windows.openPopup(`${APPROVAL_PAGE}?request=${next.requestId}`, APPROVAL_WINDOW_SIZE);
      if (windowId !== undefined) {
        next.windowId = windowId;
        next.shownAt = next.raisedAt = now();
      }
    }
    await store.setConsent(state);
    deps.watchWindows(state.pending.length > 0);
  }

  /**
   * Ends requests whose asking documents have all gone: no answer came from the person, so no
   * grant and no cool-down; their windows close and whoever still waits is refused.
   */
  async function endOrphans(state: ConsentRecord): Promise<void> {
    const orphans = state.pending.filter((request) => request.callers.length === 0);
    if (orphans.length === 0) return;
    state.pending = state.pending.filter((request) => request.callers.length > 0);
    await show(state);
    for (const request of orphans) {
      if (request.windowId !== undefined) await windows.close(request.windowId).catch(() => undefined);
      settle(request.origin, request.scope, false);
    }
  }

  /** Whether a document that asked is still there, at the origin it asked from. */
  async function isThere(request: PendingApproval, caller: ApprovalCaller): Promise<boolean> {
    return (await deps.tabs.documentOrigin(caller.tabId, caller.documentId)) === request.origin;
  }

  /** Drops the callers in `tabId` that have gone; true when one had. */
  async function dropGone(state: ConsentRecord, tabId: number): Promise<boolean> {
    let changed = false;
    for (const request of state.pending) {
      const kept: ApprovalCaller[] = [];
      for (const caller of request.callers) {
        if (caller.tabId !== tabId || (await isThere(request, caller))) kept.push(caller);
      }
      changed ||= kept.length !== request.callers.length;
      request.callers = kept;
    }
    return changed;
  }

  /** Removes a request and applies the answer; the window is for the caller to close. */
  async function decide(
    state: ConsentRecord,
    request: PendingApproval,
    approved: boolean,
    duration: GrantDuration = DEFAULT_GRANT_DURATION,
    account?: string,
  ): Promise<void> {
    state.pending = state.pending.filter((other) => other.requestId !== request.requestId);
    if (approved) {
      const tabIds = request.callers.map((caller) => caller.tabId);
      await deps.grant(request.origin, request.scope, {
        duration,
        tabIds,
        ...(account ? { account } : {}),
        ...(request.tokenAccess ? { tokenAccess: request.tokenAccess } : {}),
      });
    } else refuse(state, request);
    await show(state);
    settle(request.origin, request.scope, approved);
    if (!approved) deps.onChanged();
  }

  const byRequestId = (state: ConsentRecord, requestId: string) => state.pending.find((request) => request.requestId === requestId);

  return {
    /**
     * At worker start: listen to tab and window events only if a request waits. The worker
     * registers them before this (so that the event that woke it is not missed) and this takes
     * them away again when nothing waits.
     */
    resume(): Promise<void> {
      return serial(async () => {
        const state = await load();
        deps.watchWindows(state.pending.length > 0);
      }).catch((error: unknown) => {
        console.warn('Tako Session: could not read the waiting approvals:', describeError(error));
      });
    },

    /**
     * The person's answer for `origin` and `scope`, asked for by the document `caller`: false at
     * once during a cool-down (which grows, in memory), otherwise when the person answers.
     * `tokenAccess`: a session request for header-only access. A request already waiting keeps
     * what it asks for; the page finds out from its grant.
     */
    async decisionFor(origin: string, scope: ConsentScope, caller: ApprovalCaller, tokenAccess: TokenAccess = 'token'): Promise<boolean> {
      const outcome = await serial(async (): Promise<{ wait: Promise<boolean> } | { refused: true }> => {
        const state = await load();
        const cooldown = coolingDown(state, origin, scope, caller.tabId);
        if (cooldown) {
          // Asking again makes it longer, in memory: nothing is written, nothing opened or published.
          grown.set(cooldownKey(cooldown), { ...afterRefusal(cooldown, cooldown.site, [], now()), scope });
          return { refused: true };
        }
        const wait = new Promise<boolean>((resolve) => {
          const key = keyOf(origin, scope);
          waiters.set(key, [...(waiters.get(key) ?? []), resolve]);
        });
        const existing = state.pending.find((request) => request.origin === origin && request.scope === scope);
        if (!existing) {
          state.pending.push({
            requestId: crypto.randomUUID(),
            origin,
            scope,
            callers: [{ ...caller }],
            createdAt: now(),
            ...(scope === 'session' && tokenAccess === 'header' ? { tokenAccess } : {}),
          });
          await show(state);
          return { wait };
        }
        const newCaller = !existing.callers.some((known) => sameCaller(known, caller));
        if (newCaller) existing.callers.push({ ...caller });
        const raise = existing.windowId !== undefined && mayRaise(existing.raisedAt, now());
        if (raise) {
          await windows.focus(existing.windowId!).catch(() => undefined);
          // In front again: Allow waits its whole delay again.
          existing.shownAt = existing.raisedAt = now();
        }
        // An ask that changes nothing (the same document, the window raised a moment ago) writes nothing.
        if (newCaller || raise || existing.windowId === undefined) await show(state);
        return { wait };
      });
      return 'wait' in outcome ? outcome.wait : false;
    },

    /** What the window for `requestId` shows, while the request is pending. */
    view(requestId: string): Promise<ApprovalView | undefined> {
      return serial(async () => {
        const request = byRequestId(await load(), requestId);
        return (
          request && {
            origin: request.origin,
            scope: request.scope,
            insecure: isInsecureOrigin(request.origin),
            tokenAccess: request.tokenAccess ?? 'token',
          }
        );
      });
    },

    /** The person answered in the window. False when the request is no longer pending. */
    async answer(requestId: string, approved: boolean, duration?: GrantDuration, account?: string): Promise<boolean> {
      const windowId = await serial(async () => {
        const state = await load();
        const request = byRequestId(state, requestId);
        if (!request) return null;
        if (approved) {
          // The window enables Allow after the same delay, counted from when it last came to the
          // front; an answer sooner, or while another window has the focus, was not the person's.
          if (request.shownAt === undefined || now() < request.shownAt + ALLOW_DELAY_MS) {
            throw new TakoError('invalid', 'Allow was pressed before the window could be read');
          }
          // Allow grants only a document still there: a page that asked and then went (or was
          // replaced by another site in its tab) gets nothing.
          const present: ApprovalCaller[] = [];
          for (const caller of request.callers) if (await isThere(request, caller)) present.push(caller);
          request.callers = present;
          if (present.length === 0) {
            await endOrphans(state);
            throw new TakoError('invalid', ASKER_GONE);
          }
        }
        await decide(state, request, approved, duration, account);
        return request.windowId;
      });
      if (windowId === null) return false;
      if (windowId !== undefined) await windows.close(windowId).catch(() => undefined);
      return true;
    },

    /** Closing the approval window is a refusal. */
    onWindowRemoved(windowId: number): Promise<void> {
      return serial(async () => {
        const state = await load();
        const request = state.pending.find((pending) => pending.windowId === windowId);
        if (request) await decide(state, request, false);
      });
    },

    /** A tab that asked was closed: its documents are gone, and a request left with none ends. */
    onTabRemoved(tabId: number): Promise<void> {
      return serial(async () => {
        const state = await load();
        if (!state.pending.some((request) => request.callers.some((caller) => caller.tabId === tabId))) return;
        for (const request of state.pending) request.callers = request.callers.filter((caller) => caller.tabId !== tabId);
        await store.setConsent(state);
        await endOrphans(state);
      });
    },

    /**
     * A tab loaded, reloaded or navigated: the documents that asked from it may have gone. Each is
     * checked (the browser is asked for that very document); a request left with none ends.
     */
    onTabUpdated(tabId: number): Promise<void> {
      return serial(async () => {
        const state = await load();
        if (!state.pending.some((request) => request.callers.some((caller) => caller.tabId === tabId))) return;
        if (!(await dropGone(state, tabId))) return;
        await store.setConsent(state);
        await endOrphans(state);
      }).catch((error: unknown) => {
        console.warn('Tako Session: could not check an asking page:', describeError(error));
      });
    },

    /**
     * Another tab or window came to the front. A waiting request may be shown now; the window that
     * shows one starts its Allow delay again when it gets the focus, and pauses it when another
     * window of the browser takes the focus (NO_WINDOW, the browser losing the focus, is left to
     * the window itself, which pauses on its own blur).
     */
    onFocusChanged(windowId?: number): Promise<void> {
      return serial(async () => {
        const state = await load();
        // Every tab switch lands here: with nothing waiting, it costs one read and no write.
        if (state.pending.length === 0) return;
        const shown = state.pending.find((request) => request.windowId !== undefined);
        if (shown && windowId !== undefined && windowId !== NO_WINDOW) {
          // Its own focus event can reach the worker after the window has started its delay (at
          // its first show, always after the show set the time): a window already counting keeps
          // its start, or Allow, enabled by the window, would be refused as too early.
          if (windowId === shown.windowId) shown.shownAt ??= now();
          else delete shown.shownAt;
        }
        await show(state);
      }).catch((error: unknown) => {
        console.warn('Tako Session: could not show an approval:', describeError(error));
      });
    },

    /** Sites refused without a window right now, with when that ends. */
    async cooldowns(): Promise<Array<{ site: string; scope: ConsentScope; until: number }>> {
      const state = await serial(load);
      const time = now();
      return cooldownsOf(state)
        .filter((cooldown) => isCoolingDown(cooldown, time))
        .map(({ site, scope, until }) => ({ site, scope, until }));
    },

    /**
     * The site was revoked: its requests still waiting end (their windows close, their callers are
     * refused), so that no *Allow* given afterwards grants it anything. No cool-down follows.
     */
    withdraw(origin: string): Promise<void> {
      return serial(async () => {
        const state = await load();
        const ended = state.pending.filter((request) => request.origin === origin);
        if (ended.length === 0) return;
        // Removed before the windows close, so that their closing is no refusal.
        for (const request of ended) request.callers = [];
        await endOrphans(state);
      });
    },

    /** The person lifts a site's cool-down (popup): its next request opens a window again. */
    lift(site: string): Promise<boolean> {
      return serial(async () => {
        const state = await load();
        const kept = state.cooldowns.filter((cooldown) => cooldown.site !== site);
        const lifted = kept.length !== state.cooldowns.length;
        state.cooldowns = kept;
        for (const scope of CONSENT_SCOPES) grown.delete(`${scope} ${site}`);
        await store.setConsent(state);
        if (lifted) deps.onChanged();
        return lifted;
      });
    },

    /**
     * The browser started: tab ids start again from the beginning, so the tabs a cool-down
     * covered are no longer those tabs. Their sites stay covered.
     */
    onBrowserStart(): Promise<void> {
      return serial(async () => {
        const state = await load();
        if (!state.cooldowns.some((cooldown) => cooldown.tabIds.length > 0)) return;
        state.cooldowns = state.cooldowns.map((cooldown) => ({ ...cooldown, tabIds: [] }));
        grown.clear();
        await store.setConsent(state);
      });
    },
  };
}

export type Approvals = ReturnType<typeof createApprovals>;
