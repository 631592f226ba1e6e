/**
 * Session lifetimes: ends each session whose lifetime, as the person chose it for its endpoint,
 * is over (the rule is the pure `lifetimeEnded`), and keeps the browser watching for the next end:
 * an alarm at the earliest `max-age` deadline or idle check, and the idle detection interval.
 *
 * `enforce` runs at every worker start (before the start-up reconcile refreshes anything), at every
 * alarm, when the computer's idle state changes, when the settings change, and before a token is
 * handed out past a deadline the alarm has not reached yet (alarms may fire late).
 */

import { describeError } from '../../core/contract/errors.ts';
import { endpointKey } from '../../core/session/endpoints.ts';
import { keyOf, type Session, signedInAt } from '../../core/session/session.ts';
import {
  idleDetectionSeconds,
  type LifetimeEnding,
  lifetimeDeadline,
  lifetimeEnded,
  lifetimeIn,
  type SessionLifetime,
} from '../../core/session/session-lifetime.ts';
import type { IdleState, LifetimePorts, SessionServiceDeps } from '../ports/session-ports.ts';
import type { Accounts } from './accounts.ts';

/** The alarm of the next lifetime check. */
export const LIFETIME_ALARM = 'session-lifetime';

export function createLifetimes(
  deps: Pick<SessionServiceDeps, 'store' | 'clock' | 'alarms' | 'onChange'> & LifetimePorts,
  accounts: Accounts,
) {
  const { store, clock, alarms, idle } = deps;
  /** This worker asked whether the browser run is new: only the first check of a run may end `browser-close` sessions. */
  let browserRunChecked = false;
  /** Idle lifetimes longer than the detection interval are checked again when they could be reached. */
  let idleCheckAtMs: number | null = null;

  async function newBrowserRun(): Promise<boolean> {
    if (browserRunChecked) return false;
    browserRunChecked = true;
    // Unreadable, the mark cannot tell a browser start: nothing is ended on a guess, and the rest of
    // the start (refreshes, alarms) goes on.
    return deps.browserRun.startedNow().catch((error: unknown) => {
      console.warn('Tako Session: could not tell whether the browser just started:', describeError(error));
      return false;
    });
  }

  /** Ends every session whose lifetime is over, remembers why, and arranges the next check. */
  async function enforce(): Promise<LifetimeEnding[]> {
    const [settings, sessions, isNewRun] = await Promise.all([store.getSettings(), store.listSessions(), newBrowserRun()]);
    const nowMs = clock.now();
    const idleStates = new Map<number, IdleState>();
    const ended: Array<{ session: Session; ending: LifetimeEnding }> = [];
    for (const session of sessions) {
      const lifetime = lifetimeIn(settings, endpointKey(session.endpoint));
      if (lifetime.kind === 'stay') continue;
      let idleState: IdleState | undefined;
      if (lifetime.kind === 'idle') {
        idleState = idleStates.get(lifetime.idleSeconds) ?? (await idle.queryState(lifetime.idleSeconds));
        idleStates.set(lifetime.idleSeconds, idleState);
      }
      const rule = lifetimeEnded(lifetime, { signedInAtMs: signedInAt(session) }, { nowMs, newBrowserRun: isNewRun, idleState });
      if (rule) ended.push({ session, ending: { rule, address: session.address, atMs: nowMs } });
    }
    if (ended.length > 0) {
      await accounts.removeSessions(
        ended.map(({ session }) => keyOf(session)),
        { fallBack: true },
      );
      const endings = { ...(await store.getLifetimeEndings()) };
      for (const { session, ending } of ended) endings[endpointKey(session.endpoint)] = ending;
      await store.setLifetimeEndings(endings);
      deps.onChange();
    }
    await arrange(ended.length > 0);
    return ended.map(({ ending }) => ending);
  }

  /**
   * The next check: the lifetime alarm at the earliest `max-age` deadline or pending idle check,
   * and the browser's idle detection at the shortest `idle` lifetime of an endpoint with sessions.
   */
  async function arrange(endedSome = false): Promise<void> {
    const [settings, sessions] = await Promise.all([store.getSettings(), store.listSessions()]);
    const inUse: SessionLifetime[] = [];
    let next: number | null = idleCheckAtMs;
    for (const session of sessions) {
      const lifetime = lifetimeIn(settings, endpointKey(session.endpoint));
      inUse.push(lifetime);
      const deadline = lifetimeDeadline(lifetime, { signedInAtMs: signedInAt(session) });
      if (deadline !== null && (next === null || deadline < next)) next = deadline;
    }
    const detection = idleDetectionSeconds(inUse);
    if (detection !== null) idle.setDetectionInterval(detection);
    if (next !== null) await alarms.schedule(LIFETIME_ALARM, next);
    // With nothing to watch, every worker start would otherwise pay for clearing an alarm that is
    // almost never there; one left from an earlier setting only runs a check that ends nothing.
    else if (endedSome || inUse.some((lifetime) => lifetime.kind !== 'stay')) await alarms.clear(LIFETIME_ALARM);
  }

  /**
   * The computer went idle (or was locked) for the detection interval: sessions with that idle
   * time end now; longer ones are checked again when they could be reached.
   */
  async function onIdleStateChanged(state: IdleState): Promise<void> {
    if (state === 'active') {
      idleCheckAtMs = null;
    } else {
      const settings = await store.getSettings();
      const sessions = await store.listSessions();
      const idleTimes = sessions
        .map((s) => lifetimeIn(settings, endpointKey(s.endpoint)))
        .filter((l): l is Extract<SessionLifetime, { kind: 'idle' }> => l.kind === 'idle')
        .map((l) => l.idleSeconds);
      const detection = Math.min(...idleTimes);
      const longer = idleTimes.filter((seconds) => seconds > detection);
      // Idle for `detection` seconds now: a longer idle time is reached that much later.
      idleCheckAtMs = longer.length > 0 ? clock.now() + (Math.min(...longer) - detection) * 1000 : null;
    }
    await enforce();
  }

  /** Before a token goes out: a `max-age` deadline passed that the alarm has not reached yet ends it first. */
  async function isPastDeadline(session: Session): Promise<boolean> {
    const deadline = await deadlineOf(session);
    return deadline !== null && clock.now() >= deadline;
  }

  /** When the session's `max-age` lifetime ends it; null when its lifetime has no deadline. */
  async function deadlineOf(session: Session): Promise<number | null> {
    const settings = await store.getSettings();
    return lifetimeDeadline(lifetimeIn(settings, endpointKey(session.endpoint)), { signedInAtMs: signedInAt(session) });
  }

  async function onAlarm(name: string): Promise<void> {
    if (name !== LIFETIME_ALARM) return;
    idleCheckAtMs = null;
    await enforce();
  }

  /** A sign-in on this endpoint starts afresh: the last ending is no longer what the popup says. */
  async function onSignedIn(session: Session): Promise<void> {
    const endings = await store.getLifetimeEndings();
    const endpointId = endpointKey(session.endpoint);
    if (endings[endpointId]) {
      const { [endpointId]: _, ...rest } = endings;
      await store.setLifetimeEndings(rest);
    }
    // Not awaited: the sign-in is done; the alarm only backs up the deadline check every token
    // request makes (isPastDeadline).
    void arrange().catch((error: unknown) => console.warn('Tako Session: the lifetime alarm could not be set:', describeError(error)));
  }

  async function endingFor(endpointId: string): Promise<LifetimeEnding | undefined> {
    return (await store.getLifetimeEndings())[endpointId];
  }

  return { enforce, arrange, onIdleStateChanged, isPastDeadline, deadlineOf, onAlarm, onSignedIn, endingFor };
}

export type Lifetimes = ReturnType<typeof createLifetimes>;
