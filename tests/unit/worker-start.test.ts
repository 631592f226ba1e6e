/**
 * What a worker start, and the first call of a page that woke it, cost in storage and alarm calls
 * (the bench's cold start): the refresh alarm the last worker left in place is kept rather than set
 * again, and the site activity record is read only when unused sites are forgotten.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSites } from '../../src/background/consent/sites.ts';
import { refreshAlarmName } from '../../src/background/session/keys.ts';
import { nextRefreshAt } from '../../src/core/session/lifecycle.ts';
import { keyOf, toLocalTime } from '../../src/core/session/session.ts';
import { withHeldCalls } from '../support/held-store.ts';
import { memoryStore } from '../support/memory-store.ts';
import { sessionHarness } from '../support/session-harness.ts';

const SITE = 'https://a.example';

describe('a worker start', () => {
  test('keeps the refresh alarm the last worker set, and sets it again when it is not where it belongs', async () => {
    const h = sessionHarness();
    // Seeded with its alarm at the token's expiry, not at its refresh time.
    const session = await h.seed();
    const name = refreshAlarmName(keyOf(session));
    const refreshAt = toLocalTime(session, nextRefreshAt(session));
    await h.service.reconcile();
    assert.equal(h.alarms.get(name), refreshAt);

    h.alarmCalls.length = 0;
    h.restartWorker();
    await h.service.reconcile();
    assert.deepEqual(h.alarmCalls, [], 'no alarm call for an alarm in place');

    h.alarms.delete(name);
    h.restartWorker();
    await h.service.reconcile();
    assert.equal(h.alarms.get(name), refreshAt, 'a missing alarm is set again');
  });

  test('a page call, the grant alarm and the publisher read no site activity unless unused sites are forgotten', async () => {
    for (const forgetUnusedDays of [undefined, 10]) {
      const held = withHeldCalls(memoryStore().store);
      const sites = createSites(held.store, () => 1, { forgetUnusedDays: async () => forgetUnusedDays });
      await sites.allow(SITE);
      held.calls.length = 0;
      assert.equal(await sites.isAllowed(SITE), true);
      await sites.nextExpiry();
      assert.deepEqual(
        (await sites.list({ activity: false })).map((site) => site.origin),
        [SITE],
      );
      assert.equal(held.calls.includes('getSiteActivity'), forgetUnusedDays !== undefined, `forgetUnusedDays ${forgetUnusedDays}`);
    }
  });
});
