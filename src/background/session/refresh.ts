/**
 * Refresh scheduling: one refresh request per session at a time, its outcome stored the moment the
 * reply is parsed, alarms kept in step, and the start-up reconcile. Decisions come from the pure
 * core (`lifecycle.ts`); this part does the I/O.
 *
 * Every write of a session, and of its alarm, runs in that session's serial step (`writes`), and
 * a refresh writes only if the session it started from is still the stored one, checked in the
 * same step: a sign-out, or a new sign-in, that lands while a refresh is out always wins.
 */

import { requestRefresh, type TakoClientDeps } from '../../core/api/tako-client.ts';
import { describeError, TakoError } from '../../core/contract/errors.ts';
import type { InFlight } from '../../core/session/in-flight.ts';
import { afterTransientFailure, expire, isRefreshDue, isRefreshTokenAlive, nextRefreshAt } from '../../core/session/lifecycle.ts';
import type { Serial } from '../../core/session/serial.ts';
import { keyOf, type Session, serverNow, sessionFromGrant, signedInAt, toLocalTime } from '../../core/session/session.ts';
import type { SessionServiceDeps } from '../ports/session-ports.ts';
import { REFRESH_ALARM_PREFIX, refreshAlarmName, sessionRecordKey } from './keys.ts';

/** The same session: not signed out, nor replaced by a sign-in or a refresh, since it was read. */
function isStill(current: Session | undefined, before: Session): current is Session {
  return current !== undefined && current.refreshToken === before.refreshToken;
}

export const LAPSED_MESSAGE = 'The session lapsed: the refresh token expired';
/**
 * What the person is told when a refresh cut off by the worker stopping (after the API rotated the
 * pair, before the new pair was written) is refused at the next start: the pair is gone.
 */
export const NOT_SAVED_MESSAGE = 'The session could not be saved: sign in again';

/** `work` counts each refresh from its first read to its last write (an update waits for them). */
export function createRefreshScheduler(deps: SessionServiceDeps, client: TakoClientDeps, writes: Serial, work: InFlight) {
  const { store, clock, alarms } = deps;
  const inFlight = new Map<string, Promise<Session | undefined>>();

  /** Sets or clears the session's alarm; called in the session's serial step. */
  async function schedule(session: Session): Promise<void> {
    const name = refreshAlarmName(keyOf(session));
    if (session.state === 'expired') await alarms.clear(name);
    else await alarms.schedule(name, toLocalTime(session, nextRefreshAt(session)));
  }

  /** One refresh request per session at a time, however many callers ask. */
  function refresh(key: string): Promise<Session | undefined> {
    const running = inFlight.get(key);
    if (running) return running;
    const attempt = work.track(
      runRefresh(key).finally(() => {
        inFlight.delete(key);
        deps.onChange();
      }),
    );
    inFlight.set(key, attempt);
    deps.onChange();
    return attempt;
  }

  /**
   * Reads the session and marks it as refreshing (stored, see `refreshStartedAtMs`), in one step.
   * `done` when there is nothing to send: signed out, expired, or lapsed (settled here).
   */
  function begin(key: string): Promise<{ before: Session } | { done: Session | undefined }> {
    return writes(sessionRecordKey(key), async () => {
      const before = await store.getSession(key);
      if (!before || before.state === 'expired') return { done: before };
      if (!isRefreshTokenAlive(before, serverNow(before, clock.now()))) {
        return { done: await write(before, expire(before, LAPSED_MESSAGE)) };
      }
      await store.putSession({ ...before, refreshStartedAtMs: clock.now() });
      return { before };
    });
  }

  async function runRefresh(key: string): Promise<Session | undefined> {
    const started = await begin(key);
    if ('done' in started) return started.done;
    const { before } = started;
    let next: Session;
    try {
      const grant = await requestRefresh(client, before.endpoint, before.refreshToken);
      next = sessionFromGrant(grant, before.endpoint, before.address, clock.now(), before.clock, signedInAt(before));
    } catch (error) {
      // Anything that is not the API's answer (a storage hiccup, say) says nothing about the
      // refresh token, so it is retried rather than taken as a refusal.
      const failure = error instanceof TakoError ? error : new TakoError('internal', describeError(error), { transient: true });
      next = failure.transient
        ? afterTransientFailure(before, failure, serverNow(before, clock.now()), clock.random())
        : // A marker left by an earlier attempt: that attempt may have rotated the pair on the
          // server and died before writing it. A refusal now means exactly that.
          expire(before, before.refreshStartedAtMs !== undefined ? NOT_SAVED_MESSAGE : failure.message);
    }
    // No other await before the write: every moment between the parsed reply and the stored
    // pair is one in which a stopped worker loses the rotated pair.
    return settle(before, next);
  }

  /**
   * Stores the outcome of a refresh unless the session changed meanwhile (signed out, or signed
   * in again): a late reply must never resurrect or overwrite newer state.
   */
  function settle(before: Session, outcome: Session): Promise<Session | undefined> {
    return writes(sessionRecordKey(keyOf(before)), () => write(before, outcome));
  }

  /** The write of `settle`, inside the session's serial step. */
  async function write(before: Session, outcome: Session): Promise<Session | undefined> {
    const current = await store.getSession(keyOf(before));
    if (!isStill(current, before)) return current;
    const { refreshStartedAtMs: _, ...next } = outcome;
    await store.putSession(next);
    await schedule(next);
    if (next.state === 'expired' && before.state !== 'expired') deps.onExpired(next);
    return next;
  }

  /**
   * The session's alarm is already what `schedule` would set: a worker start then costs no alarm
   * call per session (the last worker set it, and alarms outlive the worker).
   */
  function alarmInPlace(session: Session, scheduled: Map<string, number>): boolean {
    const at = scheduled.get(refreshAlarmName(keyOf(session)));
    return session.state === 'expired' ? at === undefined : at === toLocalTime(session, nextRefreshAt(session));
  }

  /** Rebuilds a session's alarm, if it is still the stored session. */
  function reschedule(session: Session): Promise<void> {
    return writes(sessionRecordKey(keyOf(session)), async () => {
      const current = await store.getSession(keyOf(session));
      if (isStill(current, session)) await schedule(current);
    });
  }

  /** Back online: sessions waiting out a backoff retry now instead of at their next alarm. */
  async function retryFailing(): Promise<void> {
    const sessions = await store.listSessions();
    await Promise.all(sessions.filter((s) => s.state === 'signed-in' && s.failures > 0).map((s) => refresh(keyOf(s))));
  }

  /**
   * On every worker start: refresh what fell due while we slept (at once: a token already inside
   * its lead has no time to spare), settle a refresh the last worker was cut off in, and rebuild
   * the alarms. Due refreshes are started, not awaited: requests waiting on a start-up reconcile
   * must not sit behind a slow network (a token caller joins the refresh in flight anyway).
   * `alarmsSet` is the alarms as they were at start (asked for while the lifetimes were checked):
   * an alarm cleared since only makes a stale one cleared twice.
   */
  async function reconcile(alarmsSet: Promise<Map<string, number>> = alarms.scheduled()): Promise<void> {
    const sessions = await store.listSessions();
    const known = new Set(sessions.map((s) => refreshAlarmName(keyOf(s))));
    const scheduled = await alarmsSet;
    const stale = [...scheduled.keys()].filter((name) => name.startsWith(REFRESH_ALARM_PREFIX) && !known.has(name));
    // In the session's step too: a session signed in meanwhile keeps the alarm its sign-in set.
    await Promise.all(
      stale.map((name) => {
        const key = name.slice(REFRESH_ALARM_PREFIX.length);
        return writes(sessionRecordKey(key), async () => {
          if (!(await store.getSession(key))) await alarms.clear(name);
        });
      }),
    );
    await Promise.all(
      sessions.map(async (session) => {
        const now = serverNow(session, clock.now());
        if (session.state === 'signed-in' && !isRefreshTokenAlive(session, now)) {
          await settle(session, expire(session, LAPSED_MESSAGE));
        } else if (isRefreshDue(session, now) || (session.state === 'signed-in' && session.refreshStartedAtMs !== undefined)) {
          void refresh(keyOf(session)).catch((error: unknown) => {
            console.warn('Tako Session: refresh at start failed:', describeError(error));
          });
        } else if (!alarmInPlace(session, scheduled)) {
          await reschedule(session);
        }
      }),
    );
    deps.onChange();
  }

  async function onAlarm(name: string): Promise<void> {
    if (!name.startsWith(REFRESH_ALARM_PREFIX)) return;
    await refresh(name.slice(REFRESH_ALARM_PREFIX.length));
  }

  return {
    schedule,
    refresh,
    isRefreshing: (key: string) => inFlight.has(key),
    retryFailing,
    reconcile,
    onAlarm,
  };
}

export type RefreshScheduler = ReturnType<typeof createRefreshScheduler>;
