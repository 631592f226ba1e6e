/**
 * The session lifecycle's decisions on an injected clock (core/session/lifecycle.ts): when to
 * refresh, how long a token is handed out, backoff after failures, and when a session expires.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTokenReply } from '../../src/core/api/tako-client.ts';
import { TakoError } from '../../src/core/contract/errors.ts';
import { PRESET_ENDPOINTS } from '../../src/core/session/endpoints.ts';
import {
  afterTransientFailure,
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffDelayMs,
  decideTokenRequest,
  expire,
  failingHandOutMs,
  isRefreshDue,
  isRefreshTokenAlive,
  MAX_MIN_VALIDITY_MS,
  MAX_REFRESH_LEAD_MS,
  minValidityMs,
  nextRefreshAt,
  refreshLeadMs,
  retryAtMs,
} from '../../src/core/session/lifecycle.ts';
import { type Session, sessionFromGrant } from '../../src/core/session/session.ts';
import { vectors } from '../support/vectors.ts';

const { getToken } = vectors.tokens;

/** Fixed clock, all plain numbers (ms since the epoch). getToken's pair was issued at ISSUED. */
const ISSUED = 1_690_959_847_000; // 2023-08-02T07:04:07Z
const ACCESS_EXP = 1_690_963_447_000; // getToken.token exp x 1000: ISSUED + 3600 s
const REFRESH_EXP = 1_691_046_247_000; // getToken.refresh_token exp x 1000: ISSUED + 86400 s

/** The real 3600 s session from the documented sign-in reply. */
function hourSession(): Session {
  const body = JSON.stringify({
    status: 'success',
    data: { token_type: 'Bearer', token: getToken.token, refresh_token: getToken.refresh_token, expires_in: getToken.expires_in },
  });
  return sessionFromGrant(parseTokenReply(200, body, {}, ISSUED), PRESET_ENDPOINTS['tako-v2'], vectors.signIn.address, ISSUED);
}

/** A session whose access token lives 20 s (as the local stack issues for tests). */
function shortSession(): Session {
  return {
    ...hourSession(),
    accessExpMs: ISSUED + 20_000,
    refreshExpMs: ISSUED + 120_000,
    lifetimeMs: 20_000,
    obtainedAtMs: ISSUED,
  };
}

const networkError = new TakoError('network', 'Could not reach the Tako API at api.tako.so', { transient: true });

describe('the fixture is the documented session', () => {
  test('exp claims x 1000 and a 3600 s lifetime', () => {
    const session = hourSession();
    assert.equal(session.accessExpMs, ACCESS_EXP);
    assert.equal(session.refreshExpMs, REFRESH_EXP);
    assert.equal(session.lifetimeMs, 3_600_000);
    assert.equal(ACCESS_EXP - ISSUED, 3_600_000);
    assert.equal(REFRESH_EXP - ISSUED, 86_400_000);
  });
});

describe('refreshLeadMs: min(300 s, 20% of lifetime)', () => {
  test('3600 s token → 300 s (refresh at 55 min)', () => {
    assert.equal(refreshLeadMs(3_600_000), 300_000);
    assert.equal(MAX_REFRESH_LEAD_MS, 300_000);
  });

  test('20 s token → 4 s (refresh at 16 s)', () => {
    assert.equal(refreshLeadMs(20_000), 4_000);
    assert.equal(20_000 - refreshLeadMs(20_000), 16_000);
  });

  test('the 20% rule gives way to the cap at 1500 s', () => {
    assert.equal(refreshLeadMs(1_500_000), 300_000);
    assert.equal(refreshLeadMs(1_000_000), 200_000);
    assert.equal(refreshLeadMs(86_400_000), 300_000);
  });
});

describe('minValidityMs: min(30 s, 10% of lifetime)', () => {
  test('3600 s token → 30 s', () => {
    assert.equal(minValidityMs(3_600_000), 30_000);
    assert.equal(MAX_MIN_VALIDITY_MS, 30_000);
  });

  test('20 s token → 2 s', () => {
    assert.equal(minValidityMs(20_000), 2_000);
  });

  test('the 10% rule gives way to the cap at 300 s', () => {
    assert.equal(minValidityMs(300_000), 30_000);
    assert.equal(minValidityMs(100_000), 10_000);
  });
});

describe('nextRefreshAt / isRefreshDue', () => {
  test('3600 s session: refresh at exp - 300 s, 55 min after sign-in', () => {
    const session = hourSession();
    assert.equal(nextRefreshAt(session), ACCESS_EXP - 300_000);
    assert.equal(nextRefreshAt(session), ISSUED + 55 * 60_000);
  });

  test('20 s session: refresh 16 s after sign-in', () => {
    assert.equal(nextRefreshAt(shortSession()), ISSUED + 16_000);
  });

  test('a pending retry replaces the normal schedule', () => {
    const session: Session = { ...hourSession(), retryAtMs: ISSUED + 3_400_000 };
    assert.equal(nextRefreshAt(session), ISSUED + 3_400_000);
  });

  test('due exactly at nextRefreshAt, and overdue after (sleep, closed browser)', () => {
    const session = hourSession();
    const at = ACCESS_EXP - 300_000;
    assert.equal(isRefreshDue(session, at - 1), false);
    assert.equal(isRefreshDue(session, at), true);
    assert.equal(isRefreshDue(session, ACCESS_EXP + 3_600_000), true);
  });

  test('an expired session is never due', () => {
    assert.equal(isRefreshDue(expire(hourSession(), 'refresh token reused'), ACCESS_EXP), false);
  });

  test('the refresh token is alive strictly before its exp', () => {
    const session = hourSession();
    assert.equal(isRefreshTokenAlive(session, REFRESH_EXP - 1), true);
    assert.equal(isRefreshTokenAlive(session, REFRESH_EXP), false);
  });
});

describe('decideTokenRequest', () => {
  test('serve while at least 30 s are left (3600 s token)', () => {
    const session = hourSession();
    assert.deepEqual(decideTokenRequest(session, ISSUED), { kind: 'serve' });
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP - 300_000), { kind: 'serve' });
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP - 30_000), { kind: 'serve' });
  });

  test('refresh first once less than 30 s are left, and after the token expired', () => {
    const session = hourSession();
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP - 29_999), { kind: 'refresh' });
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP), { kind: 'refresh' });
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP + 60_000), { kind: 'refresh' });
  });

  test('20 s token: serve until 2 s are left, then refresh', () => {
    const session = shortSession();
    assert.deepEqual(decideTokenRequest(session, ISSUED + 18_000), { kind: 'serve' });
    assert.deepEqual(decideTokenRequest(session, ISSUED + 18_001), { kind: 'refresh' });
  });

  test('unavailable "expired" for an expired session, even with time left on the token', () => {
    const session = expire(hourSession(), 'refresh token reused');
    assert.deepEqual(decideTokenRequest(session, ISSUED), { kind: 'unavailable', reason: 'expired' });
  });

  test('unavailable "expired" when a refresh is needed but the refresh token is dead', () => {
    const session = hourSession();
    assert.deepEqual(decideTokenRequest(session, REFRESH_EXP), { kind: 'unavailable', reason: 'expired' });
    const both = { ...shortSession(), refreshExpMs: ISSUED + 19_000 };
    assert.deepEqual(decideTokenRequest(both, ISSUED + 19_000), { kind: 'unavailable', reason: 'expired' });
    // Still enough time on the access token itself: it is handed out.
    assert.deepEqual(decideTokenRequest(both, ISSUED + 19_000 - 2_000), { kind: 'serve' });
  });

  // Guards the failing-mode hand-out margin (SPEC, Page API): while refreshes fail, the current
  // token is handed out only while half the hand-out minimum is left, so that it cannot expire on
  // its way to the page. Serving it "until it expires" (the old rule) handed a page a token that
  // arrived 438 ms dead.
  test('while backing off: serve the current token while half the minimum is left, then "failing"', () => {
    const session: Session = { ...hourSession(), failures: 3, retryAtMs: ACCESS_EXP + 10_000 };
    assert.equal(failingHandOutMs(session.lifetimeMs), 15_000);
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP - 29_999), { kind: 'serve' });
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP - 15_000), { kind: 'serve' });
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP - 14_999), { kind: 'unavailable', reason: 'failing' });
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP - 1), { kind: 'unavailable', reason: 'failing' });
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP), { kind: 'unavailable', reason: 'failing' });
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP + 9_999), { kind: 'unavailable', reason: 'failing' });
  });

  // The incident's timeline on a 20 s token: 1 s is the failing-mode margin, and a token with a
  // sliver of life left is never handed out while the refresh that would replace it is failing.
  test('20 s token while backing off: served down to 1 s left, never with less', () => {
    const session: Session = { ...shortSession(), failures: 2, retryAtMs: ISSUED + 21_000 };
    assert.equal(failingHandOutMs(session.lifetimeMs), 1_000);
    assert.deepEqual(decideTokenRequest(session, ISSUED + 19_000), { kind: 'serve' });
    assert.deepEqual(decideTokenRequest(session, ISSUED + 19_001), { kind: 'unavailable', reason: 'failing' });
    assert.deepEqual(decideTokenRequest(session, ISSUED + 19_562), { kind: 'unavailable', reason: 'failing' });
  });

  test('once the retry is due, refresh again', () => {
    const session: Session = { ...hourSession(), failures: 3, retryAtMs: ACCESS_EXP + 10_000 };
    assert.deepEqual(decideTokenRequest(session, ACCESS_EXP + 10_000), { kind: 'refresh' });
  });
});

describe('backoffDelayMs', () => {
  test('1 s doubling up to the 60 s cap (random = 1: no jitter reduction)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 50, 1000].map((failures) => backoffDelayMs(failures, 1));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000]);
    assert.equal(BACKOFF_BASE_MS, 1000);
    assert.equal(BACKOFF_MAX_MS, 60_000);
  });

  test('jitter: random = 0 gives half of the step', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((failures) => backoffDelayMs(failures, 0));
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000]);
  });

  test('jitter stays within [50%, 100%] of the step, random out of range is clamped', () => {
    assert.equal(backoffDelayMs(3, 0.5), 3000);
    assert.equal(backoffDelayMs(3, -1), 2000);
    assert.equal(backoffDelayMs(3, 7), 4000);
    for (let i = 0; i <= 10; i++) {
      const delay = backoffDelayMs(4, i / 10);
      assert.ok(delay >= 4000 && delay <= 8000, `delay ${delay} out of bounds`);
    }
  });

  test('failures 0 counts as the first retry', () => {
    assert.equal(backoffDelayMs(0, 1), 1000);
  });

  test('Retry-After is honoured: never sooner than the server asked', () => {
    assert.equal(backoffDelayMs(1, 1, 7000), 7000);
    assert.equal(backoffDelayMs(1, 0, 7000), 7000);
    assert.equal(backoffDelayMs(7, 1, 120_000), 120_000);
    // A shorter Retry-After does not shorten the backoff.
    assert.equal(backoffDelayMs(5, 1, 1000), 16_000);
    assert.equal(backoffDelayMs(5, 1, undefined), 16_000);
  });
});

describe('afterTransientFailure', () => {
  const alarmAt = ACCESS_EXP - 300_000; // the scheduled refresh time

  test('schedules the first retry 1 s later and records the reason', () => {
    const session = hourSession();
    const next = afterTransientFailure(session, networkError, alarmAt, 1);
    assert.deepEqual(next, {
      ...session,
      failures: 1,
      retryAtMs: alarmAt + 1000,
      lastError: 'Could not reach the Tako API at api.tako.so',
    });
    assert.equal(next.state, 'signed-in');
    assert.equal(nextRefreshAt(next), alarmAt + 1000);
    // The input is not modified.
    assert.equal(session.failures, 0);
    assert.equal(session.retryAtMs, null);
  });

  test('consecutive failures double the delay', () => {
    let session = hourSession();
    let now = alarmAt;
    const gaps: number[] = [];
    for (let i = 0; i < 8; i++) {
      session = afterTransientFailure(session, networkError, now, 1);
      gaps.push(session.retryAtMs! - now);
      now = session.retryAtMs!;
    }
    assert.deepEqual(gaps, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    assert.equal(session.failures, 8);
  });

  test('honours the Retry-After carried by the error', () => {
    const tooMany = new TakoError('http', 'The Tako API answered 429: too many requests', {
      transient: true,
      httpStatus: 429,
      retryAfterMs: 7000,
    });
    const next = afterTransientFailure(hourSession(), tooMany, alarmAt, 1);
    assert.equal(next.retryAtMs, alarmAt + 7000);
    assert.equal(next.lastError, 'The Tako API answered 429: too many requests');
  });

  test('expires the session when the retry would land at or past the refresh token exp', () => {
    const session = hourSession();
    const stillOk = afterTransientFailure(session, networkError, REFRESH_EXP - 1001, 1);
    assert.equal(stillOk.state, 'signed-in');
    assert.equal(stillOk.retryAtMs, REFRESH_EXP - 1);

    const atExp = afterTransientFailure(session, networkError, REFRESH_EXP - 1000, 1);
    assert.equal(atExp.state, 'expired');
    assert.equal(atExp.retryAtMs, null);
    assert.equal(atExp.lastError, 'Could not reach the Tako API at api.tako.so');

    const longRetryAfter = new TakoError('http', 'The Tako API answered 503: HTTP 503', {
      transient: true,
      retryAfterMs: 86_400_000,
    });
    assert.equal(afterTransientFailure(session, longRetryAfter, alarmAt, 1).state, 'expired');
  });
});

// Guards the late-start edge: a token refreshed only inside its last stretch (the browser was
// closed at its refresh time) must not have its next retry carried past its `exp` by the backoff
// when the server allows an earlier one, or pages wait out a dead token for nothing.
describe('retryAtMs: a retry is not carried past the token exp when an earlier one is allowed', () => {
  const exp = ISSUED + 20_000; // shortSession(): 20 s token, lead 4 s, hand-out minimum 2 s (1 s failing)

  test('a backoff that lands before exp is kept as is', () => {
    assert.equal(retryAtMs(shortSession(), 1, ISSUED + 16_000, 1), ISSUED + 17_000);
    assert.equal(retryAtMs(shortSession(), 2, ISSUED + 17_000, 1), ISSUED + 19_000);
  });

  test('past exp, pulled in to when the token stops being handed out (exp - 1 s)', () => {
    // The incident: second failure 159 ms before exp - 1 s; the backoff (1-2 s) lands after exp.
    assert.equal(retryAtMs(shortSession(), 2, exp - 1_159, 1), exp - 1_000);
    assert.equal(retryAtMs(shortSession(), 4, ISSUED + 17_500, 0), exp - 1_000);
  });

  test('once that moment has passed, pulled in to exp itself', () => {
    assert.equal(retryAtMs(shortSession(), 2, exp - 159, 1), exp);
    assert.equal(retryAtMs(shortSession(), 3, exp - 1_000, 1), exp);
  });

  test('after exp the plain backoff applies (no storm of pulled-in retries)', () => {
    assert.equal(retryAtMs(shortSession(), 3, exp, 1), exp + 4_000);
    assert.equal(retryAtMs(shortSession(), 4, exp + 10, 0), exp + 10 + 4_000);
  });

  test('never sooner than Retry-After: it may still carry the retry past exp', () => {
    assert.equal(retryAtMs(shortSession(), 2, exp - 1_500, 1, 300), exp - 1_000);
    assert.equal(retryAtMs(shortSession(), 2, exp - 1_500, 1, 1_200), exp - 300);
    assert.equal(retryAtMs(shortSession(), 2, exp - 1_500, 1, 3_000), exp + 1_500);
  });

  test('afterTransientFailure schedules the pulled-in retry', () => {
    const failed = afterTransientFailure({ ...shortSession(), failures: 1 }, networkError, exp - 1_159, 1);
    assert.equal(failed.failures, 2);
    assert.equal(failed.retryAtMs, exp - 1_000);
    assert.equal(nextRefreshAt(failed), exp - 1_000);
  });
});

describe('expire', () => {
  test('the session becomes expired with the reason and no pending retry', () => {
    const failing: Session = { ...hourSession(), failures: 2, retryAtMs: ACCESS_EXP, lastError: 'offline' };
    const expired = expire(failing, 'The Tako API answered 401: refresh token reused');
    assert.equal(expired.state, 'expired');
    assert.equal(expired.retryAtMs, null);
    assert.equal(expired.lastError, 'The Tako API answered 401: refresh token reused');
    assert.equal(expired.address, vectors.signIn.address);
    assert.equal(expired.accessExpMs, ACCESS_EXP);
    assert.equal(failing.state, 'signed-in', 'the input is not modified');
    assert.deepEqual(decideTokenRequest(expired, ISSUED), { kind: 'unavailable', reason: 'expired' });
  });
});
