/**
 * A page cannot make the extension work for it: reports of a refused token force at most one
 * refresh per token and one every 10 s, and asks during a cool-down write nothing. The rules on a
 * clock, then the real modules driven as a hostile page would.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createApprovals } from '../../src/background/consent/approvals.ts';
import { ALLOW_DELAY_MS, COOLDOWN_BASE_MS } from '../../src/core/consent/consent.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';
import { decideRejectedReport, FORCED_REFRESH_INTERVAL_MS } from '../../src/core/session/lifecycle.ts';
import { withHeldCalls } from '../support/held-store.ts';
import { memoryStore } from '../support/memory-store.ts';
import { sessionHarness } from '../support/session-harness.ts';

describe('decideRejectedReport', () => {
  const session = { accessToken: 'current', state: 'signed-in' as const };
  const idle = { refreshing: false, forcedForToken: false, lastForcedAtMs: undefined };

  test('a token already replaced, or an expired session: the current state, no request', () => {
    assert.deepEqual(decideRejectedReport(session, 'older', idle, 0), { kind: 'current' });
    assert.deepEqual(decideRejectedReport({ ...session, state: 'expired' }, 'current', idle, 0), { kind: 'current' });
  });

  test('the current token, first report: force; while that refresh is out: join', () => {
    assert.deepEqual(decideRejectedReport(session, 'current', idle, 0), { kind: 'force' });
    assert.deepEqual(decideRejectedReport(session, 'current', { ...idle, refreshing: true, forcedForToken: true, lastForcedAtMs: 0 }, 5), {
      kind: 'join',
    });
  });

  test('once per token, and once every 10 s whatever the token', () => {
    assert.equal(decideRejectedReport(session, 'current', { ...idle, forcedForToken: true, lastForcedAtMs: 0 }, 60_000).kind, 'refuse');
    const recent = { ...idle, lastForcedAtMs: 1000 };
    assert.deepEqual(decideRejectedReport(session, 'current', recent, 1000 + FORCED_REFRESH_INTERVAL_MS - 1), {
      kind: 'refuse',
      retryInMs: 1,
    });
    assert.deepEqual(decideRejectedReport(session, 'current', recent, 1000 + FORCED_REFRESH_INTERVAL_MS), { kind: 'force' });
  });
});

/** Makes `report` 50 times in a row and gives each refusal as "code reason", in order. */
async function fiftyReports(report: () => Promise<unknown>): Promise<string[]> {
  const refusals: string[] = [];
  for (let i = 0; i < 50; i++) {
    try {
      await report();
    } catch (error) {
      const { code, data } = error as { code: number; data: { reason: string } };
      refusals.push(`${code} ${data.reason}`);
    }
  }
  return refusals;
}
/** What the 49 reports after the one that forced a refresh are told. */
const FORTY_NINE_REFUSED = Array.from({ length: 49 }, () => `${TakoSessionErrorCode.NoSession} refresh-failing`);

describe('a page reporting every token it gets as refused', () => {
  // Guards the 10 s limit: each report of the new current token forced one more refresh (50
  // reports, 50 requests in 223 ms). Now one refresh, the rest 4900 refresh-failing, and the next
  // forced refresh only once the interval has passed on the clock.
  test('50 reports in a row cause one refresh request; after 10 s a report may force another', async () => {
    const h = sessionHarness();
    await h.seed();
    let token = (await h.service.getToken()).token;
    const refusals = await fiftyReports(async () => {
      token = (await h.service.getToken({ rejectedToken: token })).token;
    });
    assert.equal(h.requests.length, 1);
    assert.deepEqual(refusals, FORTY_NINE_REFUSED);
    // A report of a token already replaced gets the current one, with no request.
    h.advance(1000);
    assert.equal((await h.service.getToken({ rejectedToken: 'an-older-token' })).token, token);
    assert.equal(h.requests.length, 1);

    h.advance(FORCED_REFRESH_INTERVAL_MS);
    const next = await h.service.getToken({ rejectedToken: token });
    assert.notEqual(next.token, token);
    assert.equal(h.requests.length, 2);
  });
});

describe('a header-only site reporting every request as refused', () => {
  // Guards tako_reportRejected's limits: it is the rejectedToken rule for the current token, so a
  // page that never sees a token cannot make the session refresh more than once every 10 s either.
  test('50 reports without the token cause one refresh request; after 10 s a report may force another', async () => {
    const h = sessionHarness();
    await h.seed();
    const before = (await h.service.getToken()).token;
    const refusals = await fiftyReports(() => h.service.reportRejected());
    assert.equal(h.requests.length, 1);
    assert.deepEqual(refusals, FORTY_NINE_REFUSED);
    const replaced = (await h.service.getToken()).token;
    assert.notEqual(replaced, before);
    h.advance(FORCED_REFRESH_INTERVAL_MS);
    await h.service.reportRejected();
    assert.equal(h.requests.length, 2);
    assert.notEqual((await h.service.getToken()).token, replaced);
  });
});

describe('asks during a cool-down', () => {
  // Guards: a page that keeps asking after the person refused it cannot make the worker write
  // (or publish): every ask is refused, the cool-down grows in memory only, and the next refusal
  // by the person stores it.
  test('write nothing, publish nothing, and still make the cool-down longer', async () => {
    const held = withHeldCalls(memoryStore().store);
    let time = 1_000;
    let published = 0;
    const opened: string[] = [];
    const deps = {
      windows: {
        openPopup: async (path: string) => {
          opened.push(new URL(path, 'chrome-extension://x/').searchParams.get('request')!);
          return 100 + opened.length;
        },
        close: async () => undefined,
        focus: async () => undefined,
        exists: async () => true,
      },
      tabs: { query: async () => [{ id: 7 }], documentOrigin: async () => 'https://pushy.example' },
      store: held.store,
      now: () => time,
      grant: async () => undefined,
      onChanged: () => void published++,
      watchWindows: () => undefined,
    };
    const approvals = createApprovals(deps);
    const asking = approvals.decisionFor('https://pushy.example', 'session', { tabId: 7 });
    while (opened.length === 0) await new Promise((resolve) => setImmediate(resolve));
    time += ALLOW_DELAY_MS;
    await approvals.answer(opened[0]!, false);
    assert.equal(await asking, false);
    const [stored] = await approvals.cooldowns();
    const writesBefore = held.calls.filter((call) => call === 'setConsent').length;
    const publishedBefore = published;

    for (let i = 0; i < 50; i++) assert.equal(await approvals.decisionFor('https://pushy.example', 'session', { tabId: 7 }), false);

    assert.equal(held.calls.filter((call) => call === 'setConsent').length, writesBefore, 'no write');
    assert.equal(published, publishedBefore, 'nothing published');
    assert.equal(opened.length, 1, 'no window');
    const [grownCooldown] = await approvals.cooldowns();
    assert.ok(grownCooldown!.until > stored!.until, 'the cool-down grew');
    // A new worker starts from what was stored: the first refusal's minute.
    const [afterRestart] = await createApprovals(deps).cooldowns();
    assert.equal(afterRestart!.until, 1_000 + ALLOW_DELAY_MS + COOLDOWN_BASE_MS);
  });
});
