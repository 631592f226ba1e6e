/**
 * Header-only access's background part over fake ports: the rules follow the stored state in one
 * update per change, a new worker replaces what the last one left, tab events are followed only
 * while a header-only site exists, and which requests carried the current token.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHeaderAccess } from '../../src/background/consent/header-access.ts';
import { createSites } from '../../src/background/consent/sites.ts';
import type { HeldHeaderRule } from '../../src/background/ports/ports.ts';
import type { HeaderRule } from '../../src/core/consent/header-rules.ts';
import { DEFAULT_ENDPOINT, endpointKey } from '../../src/core/session/endpoints.ts';
import { keyOf, type Session } from '../../src/core/session/session.ts';
import { memoryStore } from '../support/memory-store.ts';
import { vectors } from '../support/vectors.ts';

const APP = 'https://app.example';
const ADDRESS = vectors.tokens.getToken.token_claims.address;

function harness(held: HeldHeaderRule[] = []) {
  const { store } = memoryStore();
  let time = 1_000;
  const sites = createSites(store, () => time);
  let sessions: Session[] = [];
  const session = (accessToken: string, state: Session['state'] = 'signed-in') =>
    ({ endpoint: DEFAULT_ENDPOINT, address: ADDRESS, accessToken, state }) as Session;
  const updates: Array<{ removeRuleIds: number[]; addRules: HeaderRule[] }> = [];
  let browserRules: HeldHeaderRule[] = held;
  const watching: boolean[] = [];
  const access = createHeaderAccess({
    rules: {
      held: async () => browserRules,
      async update(update) {
        updates.push(update);
        browserRules = [...browserRules.filter((rule) => !update.removeRuleIds.includes(rule.id)), ...update.addRules];
      },
    },
    tabs: { query: async () => [{ id: 4, url: `${APP}/` }] },
    sites,
    store: {
      getSettings: store.getSettings,
      listSessions: async () => sessions,
      getActive: async () => (sessions[0] ? { [endpointKey(DEFAULT_ENDPOINT)]: keyOf(sessions[0]) } : {}),
    },
    watchTabs: (on) => void watching.push(on),
    now: () => time,
  });
  return {
    access,
    sites,
    updates,
    watching,
    browserRules: () => browserRules,
    signIn: (token: string, state?: Session['state']) => {
      sessions = [session(token, state)];
    },
    signOut: () => {
      sessions = [];
    },
    advance: (ms: number) => {
      time += ms;
    },
  };
}

const tokenIn = (rules: ReadonlyArray<HeldHeaderRule>) => rules.map((rule) => rule.action?.requestHeaders?.[0]?.value);

// Guards one atomic update per change, and none when nothing changed (a publish of anything else
// costs no browser call).
test('each change is one update replacing every rule; a pass that changes nothing calls nothing', async () => {
  const h = harness();
  h.signIn('token-1');
  await h.sites.allow(APP, { tokenAccess: 'header' });
  await h.access.sync();
  assert.equal(h.updates.length, 1);
  assert.deepEqual(tokenIn(h.browserRules()), ['Bearer token-1']);
  await h.access.sync();
  assert.equal(h.updates.length, 1);

  h.signIn('token-2');
  await h.access.sync();
  assert.equal(h.updates.length, 2);
  assert.deepEqual(h.updates[1]!.removeRuleIds, [h.updates[0]!.addRules[0]!.id]);
  assert.deepEqual(tokenIn(h.browserRules()), ['Bearer token-2']);

  h.signOut();
  await h.access.sync();
  assert.deepEqual(h.browserRules(), []);
  h.signIn('token-3', 'expired');
  await h.access.sync();
  assert.deepEqual(h.browserRules(), []);
});

// Guards the start of a worker: what an earlier worker left (a token since replaced, a site since
// revoked) is removed by the first pass, whatever its ids.
test('a new worker replaces every rule the browser holds', async () => {
  const h = harness([{ id: 77, condition: { tabIds: [4] }, action: { requestHeaders: [{ value: 'Bearer stale' }] } }]);
  await h.access.sync();
  assert.deepEqual(h.updates, [{ removeRuleIds: [77], addRules: [] }]);
  assert.deepEqual(h.browserRules(), []);
});

// Guards "only listen to what you need": tab events reach the worker only while a header-only
// site is allowed.
test('tab events are followed only while a header-only site is allowed', async () => {
  const h = harness();
  h.signIn('token-1');
  await h.access.sync();
  await h.sites.allow(APP, { tokenAccess: 'header' });
  await h.access.sync();
  await h.sites.revoke(APP);
  await h.access.sync();
  assert.deepEqual(h.watching, [false, true, false]);
});

// Guards the report rule's facts: a request sent before its tab carried the current token (none,
// or an older one) is told apart from one that carried it; an earlier worker's rules count as old.
test('carriedCurrent: since when each tab carries the current token', async () => {
  const h = harness([{ id: 5, condition: { tabIds: [4] }, action: { requestHeaders: [{ value: 'Bearer token-1' }] } }]);
  h.signIn('token-1');
  await h.sites.allow(APP, { tokenAccess: 'header' });
  assert.equal(await h.access.carriedCurrent(4, 0), true, 'left by an earlier worker');
  assert.equal(await h.access.carriedCurrent(9, 10_000), false, 'a tab with no header');
  await h.access.sync();
  assert.equal(await h.access.carriedCurrent(4, 0), true, 'the same token: unchanged');

  h.advance(500);
  h.signIn('token-2');
  await h.access.sync();
  assert.equal(await h.access.carriedCurrent(4, 1_499), false, 'sent with the token before');
  assert.equal(await h.access.carriedCurrent(4, 1_500), true);
});

test('calls made while a pass waits to start share it', async () => {
  const h = harness();
  h.signIn('token-1');
  await h.sites.allow(APP, { tokenAccess: 'header' });
  await Promise.all([h.access.sync(), h.access.sync(), h.access.sync()]);
  assert.equal(h.updates.length, 1);
});

// Guards "removed at grant expiry": a grant for a day past its end adds no rule, with no revoke.
test('a grant that ended (its time passed) loses its rule at the next pass', async () => {
  const h = harness();
  h.signIn('token-1');
  await h.sites.allow(APP, { tokenAccess: 'header', expiresAt: 2_000 });
  await h.access.sync();
  assert.deepEqual(tokenIn(h.browserRules()), ['Bearer token-1']);
  h.advance(1_000);
  await h.access.sync();
  assert.deepEqual(h.browserRules(), []);
});
