/**
 * The server's clock as the Date headers of its replies bound it (core/session/server-clock.ts):
 * what one reply bounds, the incident and 2,000 random timelines in which no reply delay makes a
 * token go out after its exp, and which samples are kept for expiry and for ISSUED AT.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTokenReply, REQUEST_TIMEOUT_MS, type TokenGrant } from '../../src/core/api/tako-client.ts';
import { PRESET_ENDPOINTS } from '../../src/core/session/endpoints.ts';
import { decideTokenRequest, failingHandOutMs, minValidityMs, nextRefreshAt, refreshLeadMs } from '../../src/core/session/lifecycle.ts';
import {
  BEST_SAMPLE_MAX_AGE_MS,
  type ClockSample,
  clockFrom,
  DATE_RESOLUTION_MS,
  estimatedServerTime,
  parseHttpDate,
  sampleFromReply,
  unmeasuredClock,
  withSample,
} from '../../src/core/session/server-clock.ts';
import { type Session, serverNow, sessionFromGrant, toLocalTime } from '../../src/core/session/session.ts';
import { vectors } from '../support/vectors.ts';

const { getToken } = vectors.tokens;
const ENDPOINT = PRESET_ENDPOINTS['tako-v2'];
const ADDRESS = getToken.token_claims.address;
/** getToken's pair was issued at its exp - 3600 s, on the server's clock. */
const ISSUED_SERVER_MS = (getToken.token_claims.exp - 3600) * 1000;
const TEN_MINUTES = 600_000;

/** A reply carrying getToken's pair, its Date header stamped at server time `stampedServerMs`. */
function getTokenReply(stampedServerMs: number, sentAtMs: number, receivedAtMs: number): TokenGrant {
  const body = JSON.stringify({
    status: 'success',
    data: { token_type: 'Bearer', token: getToken.token, refresh_token: getToken.refresh_token, expires_in: 3600 },
  });
  return parseTokenReply(200, body, { date: new Date(stampedServerMs).toUTCString() }, receivedAtMs, sentAtMs);
}

/** A grant with a chosen lifetime and exp (seconds), for timelines the vectors do not have. */
function grantOf(expSec: number, lifetimeSec: number, clock: ClockSample | undefined): TokenGrant {
  return {
    token: 'access',
    refreshToken: 'refresh',
    tokenType: 'Bearer',
    expiresInSec: lifetimeSec,
    access: { address: ADDRESS, type: 'token', exp: expSec },
    refresh: { address: ADDRESS, type: 'refresh_token', exp: expSec + 86_400 },
    clock,
  };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A session waiting out a retry: the failing mode, where the hand-out margin is smallest. */
const failing = (session: Session): Session => ({ ...session, failures: 1, retryAtMs: Number.MAX_SAFE_INTEGER });

describe('sampleFromReply: what one Date header bounds', () => {
  // The run that found the bug: 20 s tokens, the server's clock equal to ours. The refresh request
  // reached the API at 14:43:08.015, which stamped Date then (14:43:08) and answered at 11.520.
  // A point estimate from the arrival (Date + 0.5 s - arrival) read the server as 3 s behind.
  const sent = Date.UTC(2026, 10, 30, 14, 43, 8, 15);
  const stamped = Date.UTC(2026, 10, 30, 14, 43, 8);
  const received = Date.UTC(2026, 10, 30, 14, 43, 11, 520);

  test('a reply stamped on arrival and held 3.5 s: the server is between 3.52 s behind and 0.985 s ahead', () => {
    assert.deepEqual(sampleFromReply(stamped, sent, received), { lowMs: -3520, highMs: 985, atMs: received });
  });

  // Guards the incident's outcome. The new token's exp was 14:43:31: its refresh is due at 27 on
  // the server's clock, and when refreshes fail no page gets it with less than the failing-mode
  // margin (1 s) left. With the point estimate the refresh was due at 30 and the token was
  // handed out at 31.388, after its exp.
  test('the incident: the refresh falls due before exp - lead, and no token is served past its margin', () => {
    const expSec = Date.UTC(2026, 10, 30, 14, 43, 31) / 1000;
    const session = sessionFromGrant(grantOf(expSec, 20, sampleFromReply(stamped, sent, received)), ENDPOINT, ADDRESS, received);
    const exp = expSec * 1000;
    assert.ok(toLocalTime(session, nextRefreshAt(session)) <= exp - refreshLeadMs(20_000));
    for (const askedAt of [exp - failingHandOutMs(20_000) + 1, exp - 100, exp + 388]) {
      assert.notEqual(decideTokenRequest(failing(session), serverNow(session, askedAt)).kind, 'serve', `asked at exp ${askedAt - exp} ms`);
    }
    assert.equal(decideTokenRequest(session, serverNow(session, exp - minValidityMs(20_000) + 1)).kind, 'refresh');
  });

  test('no readable Date, or our clock going back while the request was out, bounds nothing', () => {
    assert.equal(sampleFromReply(undefined, sent, received), undefined);
    assert.equal(sampleFromReply(Number.NaN, sent, received), undefined);
    assert.equal(sampleFromReply(stamped, received, sent), undefined);
  });

  test('parseHttpDate reads IMF-fixdate and refuses garbage', () => {
    assert.equal(parseHttpDate('Tue, 01 Aug 2023 10:29:31 GMT'), Date.parse('2023-08-01T10:29:31.000Z'));
    assert.equal(parseHttpDate('soon'), undefined);
    assert.equal(parseHttpDate(null), undefined);
  });
});

describe('no reply delay makes a token be handed out after its exp', () => {
  // Guards the bound itself, on 2,000 random timelines: the server's clock anywhere within 10
  // minutes of ours, up to 300 ms of network each way, the server holding the request up to the
  // request timeout and stamping Date at any moment of it. Whatever the timeline, the true server
  // clock lies within the sample's bound, the refresh alarm fires no later than exp - lead on the
  // server's clock, and a token is served (even in the failing mode) only with its margin left.
  test('2,000 random timelines: bound holds, alarm in time, every hand-out with its margin left', () => {
    const next = random(23);
    const lifetime = 3_600_000;
    const exp = getToken.token_claims.exp * 1000;
    for (let i = 0; i < 2000; i++) {
      const offset = Math.round((next() * 2 - 1) * TEN_MINUTES);
      const held = Math.round(next() * REQUEST_TIMEOUT_MS);
      const up = Math.round(next() * 300);
      const down = Math.round(next() * 300);
      // The reply leaves the server when the pair is issued; the request arrived `held` before.
      const repliedServer = ISSUED_SERVER_MS;
      const arrivedServer = repliedServer - held;
      const stampedServer = arrivedServer + Math.round(next() * held);
      const sentLocal = arrivedServer - offset - up;
      const receivedLocal = repliedServer - offset + down;
      const case_ = `case ${i}: offset ${offset}, held ${held}, up ${up}, down ${down}, stamped +${stampedServer - arrivedServer}`;

      const grant = getTokenReply(stampedServer, sentLocal, receivedLocal);
      const trueOffset = offset;
      assert.ok(grant.clock && grant.clock.lowMs <= trueOffset && trueOffset <= grant.clock.highMs, case_);
      const session = sessionFromGrant(grant, ENDPOINT, ADDRESS, receivedLocal);

      // The alarm: no later, on the server's true clock, than exp - lead.
      assert.ok(toLocalTime(session, nextRefreshAt(session)) + trueOffset <= exp - refreshLeadMs(lifetime), case_);
      // Hand-out: asked for when the true server clock leaves less than the margin, never served.
      const margin = failingHandOutMs(lifetime);
      for (const left of [margin - 1, margin / 2, 1, 0, -500]) {
        const askedLocal = exp - left - trueOffset;
        assert.notEqual(decideTokenRequest(failing(session), serverNow(session, askedLocal)).kind, 'serve', `${case_}, ${left} ms left`);
      }
      const healthyAsk = exp - (minValidityMs(lifetime) - 1) - trueOffset;
      assert.notEqual(decideTokenRequest(session, serverNow(session, healthyAsk)).kind, 'serve', case_);
    }
  });

  for (const offset of [TEN_MINUTES, -TEN_MINUTES]) {
    test(`server ${offset > 0 ? 'ahead' : 'behind'} by 10 minutes: refresh and hand-out follow its clock, fresh tokens are served`, () => {
      const receivedLocal = ISSUED_SERVER_MS - offset + 40;
      const session = sessionFromGrant(
        getTokenReply(ISSUED_SERVER_MS, receivedLocal - 80, receivedLocal),
        ENDPOINT,
        ADDRESS,
        receivedLocal,
      );
      // Fresh on the server's clock: served, with no refresh (a naive local check would loop
      // refreshing when the server is behind, or serve expired tokens when it is ahead).
      assert.deepEqual(decideTokenRequest(session, serverNow(session, receivedLocal + 1000)), { kind: 'serve' });
      // The alarm: at most 1 s + the round trip early, never late.
      const alarm = toLocalTime(session, nextRefreshAt(session));
      const due = getToken.token_claims.exp * 1000 - 300_000 - offset;
      assert.ok(alarm <= due && alarm >= due - DATE_RESOLUTION_MS - 80, `alarm ${alarm - due} ms from due`);
    });
  }
});

describe('keeping samples: the newest for expiry, the narrowest for ISSUED AT', () => {
  const at = 1_800_000_000_000;
  const narrow: ClockSample = { lowMs: 100, highMs: 1150, atMs: at };
  const wide: ClockSample = { lowMs: -3000, highMs: 1400, atMs: at + 60_000 };

  test('the newest sample is the latest; the narrowest stays the best', () => {
    const clock = withSample(withSample(undefined, narrow), wide)!;
    assert.equal(clock.latest, wide);
    assert.equal(clock.best, narrow);
    // ISSUED AT keeps to the narrowest bound, not to the slow reply's (which allows our clock).
    assert.equal(estimatedServerTime(clock, at + 120_000), at + 120_000 + 100);
  });

  test('ISSUED AT is our clock while the narrowest bound allows it, else the nearest time it allows', () => {
    const local = at + 5000;
    // A server in step with ours: every reply's bound holds 0, and the message is dated by our
    // clock, never in the server's future as a bound's middle would be (up to half a second).
    const inStep = sampleFromReply(Math.floor((at + 30) / 1000) * 1000, at, at + 60)!;
    assert.ok(inStep.lowMs <= 0 && inStep.highMs > 0);
    assert.equal(estimatedServerTime(clockFrom([inStep])!, local), local);
    // Ahead by more than the bound allows us: its lowest; behind: its highest.
    assert.equal(estimatedServerTime(clockFrom([{ lowMs: 2000, highMs: 3100, atMs: at }])!, local), local + 2000);
    assert.equal(estimatedServerTime(clockFrom([{ lowMs: -4200, highMs: -3100, atMs: at }])!, local), local - 3100);
  });

  test('a narrower or equally narrow newer sample becomes the best', () => {
    const same = { ...narrow, atMs: at + 1000 };
    assert.equal(withSample(withSample(undefined, narrow), same)!.best, same);
  });

  test('an old best gives way, and so does one the newest sample contradicts (the server clock was set)', () => {
    const later = { ...wide, atMs: at + BEST_SAMPLE_MAX_AGE_MS + 1 };
    assert.equal(withSample(withSample(undefined, narrow), later)!.best, later);
    const stepped: ClockSample = { lowMs: 5000, highMs: 9000, atMs: at + 60_000 };
    assert.equal(withSample(withSample(undefined, narrow), stepped)!.best, stepped);
  });

  test('no new sample keeps the clock; samples from several sources fold oldest first', () => {
    const clock = withSample(undefined, narrow);
    assert.equal(withSample(clock, undefined), clock);
    assert.deepEqual(clockFrom([wide, narrow]), { latest: wide, best: narrow });
    assert.equal(clockFrom([]), undefined);
  });

  test('a refresh adds its reply to the session clock it started from', () => {
    const clock = withSample(undefined, narrow);
    const session = sessionFromGrant(grantOf(1_900_000_000, 3600, wide), ENDPOINT, ADDRESS, at + 60_000, clock);
    assert.deepEqual(session.clock, { latest: wide, best: narrow });
    // Nothing measured at all: the clocks are taken to agree.
    assert.deepEqual(sessionFromGrant(grantOf(1_900_000_000, 3600, undefined), ENDPOINT, ADDRESS, at).clock, unmeasuredClock(at));
  });
});
