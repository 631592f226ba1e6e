/**
 * Consent requests, answered by the person in the approval window. The rules are in
 * core/consent.ts; this keeps their state in the store, so that a worker stopped while a window is
 * open is replaced by one that finishes the request:
 *
 * - one approval window at a time; a request from a tab that is not in front waits until it is;
 *   more calls for the same origin and scope share the request and bring its window to the front;
 * - the person's answer takes effect when it is given (the grant is written, or the origin starts
 *   a cool-down), whoever is still waiting for it: a page whose worker was stopped asks again and
 *   finds the grant, the cool-down, or the same request still pending;
 * - *Deny* and closing the window are refusals; during the cool-down that follows, the origin is
 *   refused without a window, and every further ask makes the cool-down longer. Such an ask writes
 *   nothing: the longer cool-down is kept in memory (a page asking in a loop can make the worker
 *   neither write nor publish), and stored with the next refusal the person makes;
 * - revoking a site ends its requests still waiting (`withdraw`): revoking wins over a grant in flight.
 */
import {
  afterRefusal,
  ALLOW_DELAY_MS,
  CONSENT_SCOPES,
  COOLDOWN_FORGET_MS,
  isCoolingDown,
  isInsecureOrigin,
  nextToShow,
  type ConsentScope,
} from '../core/consent.ts';
import { describeError, TakoError } from '../core/errors.ts';
import type { ConsentRecord, PendingApproval } from '../core/records.ts';
import { createSerial } from '../core/serial.ts';
import type { TabsPort, WindowsPort } from './ports.ts';
import type { Store } from './store.ts';

/** The extension page that asks the person (src/ui/approval/). */
export const APPROVAL_PAGE = 'approval.html';
const WINDOW_SIZE = { width: 460, height: 560 };

export interface ApprovalsDeps {
  windows: WindowsPort;
  tabs: Pick<TabsPort, 'query'>;
  store: Pick<Store, 'getConsent' | 'setConsent'>;
  now: () => number;
  /** Writes the grant the person gave; runs before anyone waiting hears the answer. */
  grant: (origin: string, scope: ConsentScope) => Promise<void>;
  /** The cool-downs changed (the popup lists them). */
  onChanged: () => void;
  /**
   * Whether tab and window events (a tab coming to the front or closed, a window closed) should
   * reach the approvals: only while a request waits. With nothing waiting they would wake the
   * worker on every tab switch and every closed tab, all day, for nothing.
   */
  watchWindows: (watching: boolean) => void;
}

/** What the approval window shows. */
export interface ApprovalView {
  origin: string;
  scope: ConsentScope;
  /** An http:// origin that is not this computer. */
  insecure: boolean;
}

const keyOf = (origin: string, scope: ConsentScope) => `${scope} ${origin}`;
type CooldownEntry = ConsentRecord['cooldowns'][number];
/** The serial key of the consent record. */
const CONSENT_RECORD = 'consent';

export function createApprovals(deps: ApprovalsDeps) {
  const { windows, store, now } = deps;
  /** Who waits for each request, by origin and scope: only this worker's callers. */
  const waiters = new Map<string, Array<(approved: boolean) => void>>();
  /**
   * Cool-downs grown by asks during them, by origin and scope: in memory only, so that asking
   * writes nothing. They take precedence over the stored ones and are stored with the next refusal.
   */
  const grown = new Map<string, CooldownEntry>();
  const queue = createSerial();
  /** Requests left by an earlier browser session (window or tab gone) are dropped once per worker. */
  let checked = false;

  /** State changes run one at a time, each reading what the last one wrote. */
  function serial<T>(work: () => Promise<T>): Promise<T> {
    return queue(CONSENT_RECORD, work);
  }

  /** The cool-down in force for an origin and scope: the one grown in memory, else the stored one. */
  function cooldownOf(state: ConsentRecord, origin: string, scope: ConsentScope): CooldownEntry | undefined {
    return grown.get(keyOf(origin, scope)) ?? state.cooldowns.find((cooldown) => cooldown.origin === origin && cooldown.scope === scope);
  }

  async function load(): Promise<ConsentRecord> {
    const stored = await store.getConsent();
    const state: ConsentRecord = { v: 1, pending: [...stored.pending], cooldowns: [...stored.cooldowns] };
    const time = now();
    state.cooldowns = state.cooldowns.filter((cooldown) => time - cooldown.until < COOLDOWN_FORGET_MS);
    for (const [key, cooldown] of grown) if (time - cooldown.until >= COOLDOWN_FORGET_MS) grown.delete(key);
    if (!checked) {
      checked = true;
      const tabIds = new Set((await deps.tabs.query({})).map((tab) => tab.id));
      const kept: PendingApproval[] = [];
      for (const request of state.pending) {
        const alive = request.windowId !== undefined ? await windows.exists(request.windowId) : request.tabIds.some((id) => tabIds.has(id));
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

  /** A refusal by the person: the cool-down grows, into the state to be stored. */
  function refuse(state: ConsentRecord, origin: string, scope: ConsentScope): void {
    const next = { ...afterRefusal(cooldownOf(state, origin, scope), origin, now()), scope };
    grown.delete(keyOf(origin, scope));
    const index = state.cooldowns.findIndex((cooldown) => cooldown.origin === origin && cooldown.scope === scope);
    if (index >= 0) state.cooldowns[index] = next;
    else state.cooldowns.push(next);
  }

  /** Shows the next request whose tab is in front, if no window is open. Saves the state. */
  async function show(state: ConsentRecord): Promise<void> {
    const active = new Set((await deps.tabs.query({ active: true })).flatMap((tab) => (tab.id === undefined ? [] : [tab.id])));
    const next = nextToShow(state.pending, active);
    if (next) {
      const windowId = await windows.openPopup(`${APPROVAL_PAGE}?request=${next.requestId}`, WINDOW_SIZE);
      if (windowId !== undefined) {
        next.windowId = windowId;
        next.shownAt = now();
      }
    }
    await store.setConsent(state);
    deps.watchWindows(state.pending.length > 0);
  }

  /** Removes a request and applies the answer; the window is for the caller to close. */
  async function decide(state: ConsentRecord, request: PendingApproval, approved: boolean): Promise<void> {
    state.pending = state.pending.filter((other) => other.requestId !== request.requestId);
    if (approved) await deps.grant(request.origin, request.scope);
    else refuse(state, request.origin, request.scope);
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
     * The person's answer for `origin` and `scope`, asked for by the page in `tabId`: false at once
     * during a cool-down (which grows), otherwise when the person answers.
     */
    async decisionFor(origin: string, scope: ConsentScope, tabId: number): Promise<boolean> {
      const outcome = await serial(async (): Promise<{ wait: Promise<boolean> } | { refused: true }> => {
        const state = await load();
        const cooldown = cooldownOf(state, origin, scope);
        if (isCoolingDown(cooldown, now())) {
          // Asking again makes it longer, in memory: nothing is written, nothing published.
          grown.set(keyOf(origin, scope), { ...afterRefusal(cooldown, origin, now()), scope });
          return { refused: true };
        }
        const wait = new Promise<boolean>((resolve) => {
          const key = keyOf(origin, scope);
          waiters.set(key, [...(waiters.get(key) ?? []), resolve]);
        });
        const existing = state.pending.find((request) => request.origin === origin && request.scope === scope);
        if (existing) {
          if (!existing.tabIds.includes(tabId)) existing.tabIds.push(tabId);
          if (existing.windowId !== undefined) await windows.focus(existing.windowId).catch(() => undefined);
        } else {
          state.pending.push({ requestId: crypto.randomUUID(), origin, scope, tabIds: [tabId], createdAt: now() });
        }
        await show(state);
        return { wait };
      });
      return 'wait' in outcome ? outcome.wait : false;
    },

    /** What the window for `requestId` shows, while the request is pending. */
    view(requestId: string): Promise<ApprovalView | undefined> {
      return serial(async () => {
        const request = byRequestId(await load(), requestId);
        return request && { origin: request.origin, scope: request.scope, insecure: isInsecureOrigin(request.origin) };
      });
    },

    /** The person answered in the window. False when the request is no longer pending. */
    async answer(requestId: string, approved: boolean): Promise<boolean> {
      const windowId = await serial(async () => {
        const state = await load();
        const request = byRequestId(state, requestId);
        if (!request) return null;
        // The window enables Allow after the same delay; an answer sooner was not the person's.
        if (approved && (request.shownAt === undefined || now() < request.shownAt + ALLOW_DELAY_MS)) {
          throw new TakoError('invalid', 'Allow was pressed before the window could be read');
        }
        await decide(state, request, approved);
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

    /** A tab that asked was closed: a request nobody else waits for and nobody saw is dropped. */
    onTabRemoved(tabId: number): Promise<void> {
      return serial(async () => {
        const state = await load();
        if (!state.pending.some((request) => request.tabIds.includes(tabId))) return;
        for (const request of state.pending) request.tabIds = request.tabIds.filter((id) => id !== tabId);
        const dropped = state.pending.filter((request) => request.tabIds.length === 0 && request.windowId === undefined);
        state.pending = state.pending.filter((request) => !dropped.includes(request));
        await show(state);
        for (const request of dropped) settle(request.origin, request.scope, false);
      });
    },

    /** Another tab or window came to the front: a waiting request may be shown now. */
    onFocusChanged(): Promise<void> {
      return serial(async () => {
        const state = await load();
        // Every tab switch lands here: with nothing waiting, it costs one read and no write.
        if (state.pending.length > 0) await show(state);
      }).catch((error: unknown) => {
        console.warn('Tako Session: could not show an approval:', describeError(error));
      });
    },

    /** Origins refused without a window right now, with when that ends. */
    async cooldowns(): Promise<Array<{ origin: string; scope: ConsentScope; until: number }>> {
      const state = await serial(load);
      const time = now();
      return state.cooldowns
        .map((cooldown) => cooldownOf(state, cooldown.origin, cooldown.scope)!)
        .filter((cooldown) => isCoolingDown(cooldown, time))
        .map(({ origin, scope, until }) => ({ origin, scope, until }));
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
        state.pending = state.pending.filter((request) => request.origin !== origin);
        await show(state);
        for (const request of ended) {
          if (request.windowId !== undefined) await windows.close(request.windowId).catch(() => undefined);
          settle(request.origin, request.scope, false);
        }
      });
    },

    /** The person lifts an origin's cool-down (popup): its next request opens a window again. */
    lift(origin: string): Promise<boolean> {
      return serial(async () => {
        const state = await load();
        const kept = state.cooldowns.filter((cooldown) => cooldown.origin !== origin);
        const lifted = kept.length !== state.cooldowns.length;
        for (const scope of CONSENT_SCOPES) grown.delete(keyOf(origin, scope));
        state.cooldowns = kept;
        await store.setConsent(state);
        if (lifted) deps.onChanged();
        return lifted;
      });
    },
  };
}

export type Approvals = ReturnType<typeof createApprovals>;
