/**
 * Session lifetimes: the pure rule on a clock, and the background's session service ending
 * sessions by it (browser closed, computer idle or locked, maximum age) at start, at alarms and
 * before a token goes out, with the reason pages and the popup read.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as v from 'valibot';
import { refreshAlarmName } from '../../src/background/session/keys.ts';
import { LIFETIME_ALARM } from '../../src/background/session/lifetimes.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { endpointKey } from '../../src/core/session/endpoints.ts';
import { keyOf, signedInAt } from '../../src/core/session/session.ts';
import {
  idleDetectionSeconds,
  lifetimeDeadline,
  lifetimeEnded,
  lifetimeIn,
  lifetimeOf,
  MIN_IDLE_SECONDS,
  type SessionLifetime,
  SessionLifetimeSchema,
} from '../../src/core/session/session-lifetime.ts';
import { rejectsTakoError } from '../support/assert-tako-error.ts';
import { ENDPOINT, sessionHarness } from '../support/session-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 11, 5, 9);

describe('lifetimeEnded (pure)', () => {
  const start = { signedInAtMs: T0 };
  const calm = { nowMs: T0 + 10 * HOUR, newBrowserRun: false, idleState: 'active' as const };

  test('stay signed in never ends a session, whatever happens', () => {
    assert.equal(lifetimeEnded({ kind: 'stay' }, start, { nowMs: T0 + 1000 * HOUR, newBrowserRun: true, idleState: 'locked' }), null);
  });

  test('browser-close ends at the first check of a new browser run only', () => {
    assert.equal(lifetimeEnded({ kind: 'browser-close' }, start, { ...calm, newBrowserRun: true }), 'browser-close');
    assert.equal(lifetimeEnded({ kind: 'browser-close' }, start, calm), null);
  });

  test('idle ends when the computer is idle for the idle time, or locked', () => {
    const idle: SessionLifetime = { kind: 'idle', idleSeconds: 600 };
    assert.equal(lifetimeEnded(idle, start, calm), null);
    assert.equal(lifetimeEnded(idle, start, { ...calm, idleState: 'idle' }), 'idle');
    assert.equal(lifetimeEnded(idle, start, { ...calm, idleState: 'locked' }), 'idle');
  });

  test('max-age counts from the sign-in: ends at sign-in + the age, not a moment before', () => {
    const maxAge: SessionLifetime = { kind: 'max-age', maxAgeSeconds: 86_400 };
    assert.equal(lifetimeDeadline(maxAge, start), T0 + 24 * HOUR);
    assert.equal(lifetimeEnded(maxAge, start, { ...calm, nowMs: T0 + 24 * HOUR - 1 }), null);
    assert.equal(lifetimeEnded(maxAge, start, { ...calm, nowMs: T0 + 24 * HOUR }), 'max-age');
    assert.equal(lifetimeDeadline({ kind: 'idle', idleSeconds: 60 }, start), null);
  });

  test('the browser detects the shortest idle time in use', () => {
    assert.equal(idleDetectionSeconds([{ kind: 'stay' }, { kind: 'max-age', maxAgeSeconds: 5 }]), null);
    assert.equal(
      idleDetectionSeconds([
        { kind: 'idle', idleSeconds: 900 },
        { kind: 'idle', idleSeconds: 60 },
      ]),
      60,
    );
  });

  test('only whole seconds within the limits are a lifetime; anything else stored reads as stay', () => {
    assert.ok(v.is(SessionLifetimeSchema, { kind: 'idle', idleSeconds: MIN_IDLE_SECONDS }));
    for (const bad of [
      { kind: 'idle', idleSeconds: MIN_IDLE_SECONDS - 1 },
      { kind: 'idle', idleSeconds: 60.5 },
      { kind: 'max-age', maxAgeSeconds: 0 },
      { kind: 'max-age', maxAgeSeconds: 366 * 86_400 },
      { kind: 'forever' },
      { kind: 'stay', extra: 1 },
    ]) {
      assert.equal(v.is(SessionLifetimeSchema, bad), false, JSON.stringify(bad));
      assert.deepEqual(lifetimeOf({ e: bad }, 'e'), { kind: 'stay' });
    }
    assert.deepEqual(lifetimeOf(undefined, 'e'), { kind: 'stay' });
  });

  test("an organisation's locked lifetime is every endpoint's, whatever the person chose", () => {
    const locked: SessionLifetime = { kind: 'browser-close' };
    assert.deepEqual(lifetimeIn({ lifetimes: { e: { kind: 'stay' } }, lockedLifetime: locked }, 'e'), locked);
    assert.deepEqual(lifetimeIn({ lockedLifetime: locked }, 'other'), locked);
    assert.deepEqual(lifetimeIn({ lifetimes: { e: { kind: 'idle', idleSeconds: 60 } } }, 'e'), { kind: 'idle', idleSeconds: 60 });
  });
});

/** A harness whose seeded session's endpoint has this lifetime. */
async function withLifetime(lifetime: SessionLifetime) {
  const h = sessionHarness();
  const session = await h.seed();
  const settings = await h.held.store.getSettings();
  await h.held.store.saveSettings({ ...settings, lifetimes: { [endpointKey(ENDPOINT)]: lifetime } });
  return { h, session };
}

async function assertTimedOut(h: ReturnType<typeof sessionHarness>) {
  const error = await rejectsTakoError(h.service.getToken());
  assert.equal(error.code, TakoSessionErrorCode.NoSession);
  assert.deepEqual(error.data, { reason: 'timed-out' });
  assert.deepEqual(await h.stored(), [], 'the tokens are deleted');
}

describe('the session service ends sessions by their lifetime', () => {
  test('browser-close: the first start of a new browser run signs out; a worker restart in the same run does not', async () => {
    const { h } = await withLifetime({ kind: 'browser-close' });
    // Signed in during this run: the run's first start is behind us.
    await h.lifetime.ports.browserRun.startedNow();
    h.restartWorker();
    await h.service.reconcile();
    assert.ok((await h.service.getToken()).token, 'a worker stopped and started again keeps the session');

    h.lifetime.restartBrowser();
    h.restartWorker();
    await h.service.reconcile();
    await assertTimedOut(h);
    const snapshot = await h.service.snapshot();
    assert.equal(snapshot.session, null);
    assert.deepEqual(
      { rule: snapshot.lifetimeEnding?.rule, at: snapshot.lifetimeEnding?.atMs },
      { rule: 'browser-close', at: h.now() },
      'the popup can say why and when',
    );
  });

  test('browser-close with the run mark unreadable: nothing is ended on a guess, and the start goes on', async () => {
    const { h } = await withLifetime({ kind: 'browser-close' });
    h.lifetime.ports.browserRun.startedNow = async () => {
      throw new Error('storage.session is not available');
    };
    h.restartWorker();
    await h.service.reconcile();
    assert.ok((await h.service.getToken()).token);
  });

  test('stay signed in (the default) keeps the session across a browser restart', async () => {
    const h = sessionHarness();
    await h.seed();
    h.lifetime.restartBrowser();
    await h.service.reconcile();
    assert.equal((await h.stored()).length, 1);
    await h.service.getToken();
  });

  test('max-age: refreshed all along, the session still ends at sign-in + the age; no refresh goes out after', async () => {
    const { h, session } = await withLifetime({ kind: 'max-age', maxAgeSeconds: 2 * 3600 });
    await h.service.reconcile();
    assert.equal(h.alarms.get(LIFETIME_ALARM), signedInAt(session) + 2 * HOUR, 'an alarm at the deadline');
    // The harness's tokens live an hour: two refreshes keep the session going until the deadline.
    h.advance(HOUR - 4 * MINUTE);
    await h.service.onAlarm(refreshAlarmName(keyOf(session)));
    h.advance(HOUR - 4 * MINUTE);
    await h.service.onAlarm(refreshAlarmName(keyOf(session)));
    const token = await h.service.getToken();
    assert.equal(h.requests.length, 2, 'refreshed twice');
    const [refreshed] = await h.stored();
    assert.equal(signedInAt(refreshed!), signedInAt(session), 'a refresh keeps the sign-in time');

    assert.ok(token.token);
    h.advance(8 * MINUTE);
    // At the deadline a refresh alarm that fires first ends the session instead of refreshing it.
    await h.service.onAlarm(refreshAlarmName(keyOf(session)));
    assert.equal(h.requests.length, 2, 'no refresh after the lifetime ended');
    await assertTimedOut(h);
    assert.equal(h.alarms.has(refreshAlarmName(keyOf(session))), false);
    assert.equal(h.alarms.has(LIFETIME_ALARM), false, 'nothing left to watch');
  });

  test('idle: idle for the idle time or locked ends it; idle for less, or back at the keyboard, does not', async () => {
    const { h } = await withLifetime({ kind: 'idle', idleSeconds: 600 });
    await h.service.reconcile();
    assert.equal(h.lifetime.detectionSeconds(), 600, 'the browser watches for the idle time');
    h.advance(9 * MINUTE);
    await h.service.onIdleStateChanged('idle');
    assert.equal((await h.stored()).length, 1, 'idle for less than the idle time');
    h.lifetime.input();
    h.advance(10 * MINUTE);
    await h.service.onIdleStateChanged('idle');
    await assertTimedOut(h);
  });

  test('max-age: past the deadline before any alarm fired (alarms may come late), no token goes out', async () => {
    const { h } = await withLifetime({ kind: 'max-age', maxAgeSeconds: 600 });
    h.advance(10 * MINUTE);
    await assertTimedOut(h);
    assert.equal(h.requests.length, 0);
  });

  test('idle: a locked screen ends it at once', async () => {
    const { h } = await withLifetime({ kind: 'idle', idleSeconds: 3600 });
    h.lifetime.lock();
    await h.service.onIdleStateChanged('locked');
    await assertTimedOut(h);
  });

  test('idle: an endpoint with a longer idle time than the one detected is checked again when it could be reached', async () => {
    const h = sessionHarness();
    const session = await h.seed();
    const other = { ...ENDPOINT, baseUrl: 'https://other.example' };
    await h.held.store.saveSettings({
      v: 1,
      endpoint: ENDPOINT,
      lifetimes: { [endpointKey(ENDPOINT)]: { kind: 'idle', idleSeconds: 1800 }, [endpointKey(other)]: { kind: 'idle', idleSeconds: 60 } },
    });
    await h.held.store.putSession({ ...session, endpoint: other });
    await h.service.reconcile();
    assert.equal(h.lifetime.detectionSeconds(), 60, 'the shortest idle time in use');
    h.advance(MINUTE);
    await h.service.onIdleStateChanged('idle');
    assert.deepEqual(
      (await h.stored()).map((s) => s.endpoint.baseUrl),
      [ENDPOINT.baseUrl],
      'the 60 s endpoint ended, the 30 min one not yet',
    );
    assert.equal(h.alarms.get(LIFETIME_ALARM), h.now() + 29 * MINUTE);
    h.advance(29 * MINUTE);
    await h.service.onAlarm(LIFETIME_ALARM);
    await assertTimedOut(h);
  });
});
