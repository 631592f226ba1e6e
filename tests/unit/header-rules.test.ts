/**
 * Header-only access's rules as a pure function, on the documented tokens: which requests get
 * `Authorization: Bearer <token>`, with which token, and which never do.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HEADER_RESOURCE_TYPES,
  type HeaderRulesInput,
  headerRuleIds,
  headerRules,
  headerRulesUpdate,
} from '../../src/core/consent/header-rules.ts';
import { vectors } from '../support/vectors.ts';

const TOKEN = vectors.tokens.getToken.token;
const NEXT_TOKEN = vectors.tokens.refreshToken.token;
const ADDRESS = vectors.tokens.getToken.token_claims.address;
const OTHER_ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const API = 'https://api.tako.so';
const APP = 'https://app.example';

function input(overrides: Partial<HeaderRulesInput> = {}): HeaderRulesInput {
  return {
    apiBaseUrl: API,
    sites: [{ origin: APP, tokenAccess: 'header' }],
    tabs: [{ id: 3, url: `${APP}/swap?x=1` }],
    sessions: [{ address: ADDRESS, accessToken: TOKEN, state: 'signed-in' }],
    activeAddress: ADDRESS,
    ...overrides,
  };
}

test('a header-only site with a tab open: one rule setting the current token on its requests to the API origin only', () => {
  const rules = headerRules(input());
  assert.equal(rules.length, 1);
  const [rule] = rules;
  assert.deepEqual(rule!.action, {
    type: 'modifyHeaders',
    requestHeaders: [{ header: 'Authorization', operation: 'set', value: `Bearer ${TOKEN}` }],
  });
  assert.deepEqual(rule!.condition, {
    urlFilter: `|${API}/`,
    initiatorDomains: ['app.example'],
    tabIds: [3],
    resourceTypes: [...HEADER_RESOURCE_TYPES],
  });
  assert.equal(rule!.id, headerRuleIds([APP]).get(APP));
});

test('the API origin keeps its port and drops the base path: no other port or host of the API matches', () => {
  const [rule] = headerRules(input({ apiBaseUrl: 'http://127.0.0.1:8787/tako' }));
  assert.equal(rule!.condition.urlFilter, '|http://127.0.0.1:8787/');
});

test('navigations never carry the header: only the kinds of request a page script makes', () => {
  const [rule] = headerRules(input());
  for (const kind of ['main_frame', 'sub_frame', 'script', 'image', 'stylesheet']) {
    assert.ok(!(rule!.condition.resourceTypes as string[]).includes(kind), kind);
  }
});

test('a site allowed the other way (tokens), or not allowed, gets no rule', () => {
  assert.deepEqual(headerRules(input({ sites: [{ origin: APP, tokenAccess: 'token' }] })), []);
  assert.deepEqual(headerRules(input({ sites: [{ origin: APP }] })), []);
  assert.deepEqual(headerRules(input({ sites: [] })), []);
});

test('only tabs whose top document is the allowed origin itself: not a subdomain, another port or scheme', () => {
  const rules = headerRules(
    input({
      tabs: [
        { id: 1, url: 'https://evil.app.example/' },
        { id: 2, url: 'https://app.example:8443/' },
        { id: 4, url: 'http://app.example/' },
        { id: 5, url: 'https://app.example.evil.test/' },
        { id: 6, url: `${APP}/` },
        { id: 7 },
        { id: -1, url: `${APP}/` },
      ],
    }),
  );
  assert.deepEqual(rules[0]!.condition.tabIds, [6]);
});

test('no tab of the site open: no rule (an empty tabIds would match every tab)', () => {
  assert.deepEqual(headerRules(input({ tabs: [{ id: 1, url: 'https://other.example/' }] })), []);
});

test('other known sites under the site’s host are excluded as initiators, for their frames in its tabs', () => {
  const [rule] = headerRules(
    input({
      sites: [
        { origin: APP, tokenAccess: 'header' },
        { origin: 'https://pay.app.example', tokenAccess: 'token' },
        { origin: 'https://unrelated.example' },
      ],
    }),
  );
  assert.deepEqual(rule!.condition.excludedInitiatorDomains, ['pay.app.example']);
});

test('the token of the account the site is bound to, whichever is active', () => {
  const sessions = [
    { address: ADDRESS, accessToken: TOKEN, state: 'signed-in' as const },
    { address: OTHER_ADDRESS, accessToken: NEXT_TOKEN, state: 'signed-in' as const },
  ];
  const bound = headerRules(
    input({ sessions, activeAddress: ADDRESS, sites: [{ origin: APP, tokenAccess: 'header', account: OTHER_ADDRESS }] }),
  );
  assert.equal(bound[0]!.action.requestHeaders[0]!.value, `Bearer ${NEXT_TOKEN}`);
  const unbound = headerRules(input({ sessions, activeAddress: OTHER_ADDRESS.toLowerCase() }));
  assert.equal(unbound[0]!.action.requestHeaders[0]!.value, `Bearer ${NEXT_TOKEN}`);
});

test('a refreshed session: the same rule id with the new token, so one update replaces it', () => {
  const before = headerRules(input());
  const after = headerRules(input({ sessions: [{ address: ADDRESS, accessToken: NEXT_TOKEN, state: 'signed-in' }] }));
  assert.equal(after[0]!.id, before[0]!.id);
  assert.equal(after[0]!.action.requestHeaders[0]!.value, `Bearer ${NEXT_TOKEN}`);
  assert.deepEqual(
    headerRulesUpdate(
      before.map((rule) => rule.id),
      after,
    ),
    { removeRuleIds: [before[0]!.id], addRules: after },
  );
});

test('signed out, expired, or the bound account not signed in: no rule', () => {
  assert.deepEqual(headerRules(input({ sessions: [] })), []);
  assert.deepEqual(headerRules(input({ sessions: [{ address: ADDRESS, accessToken: TOKEN, state: 'expired' }] })), []);
  assert.deepEqual(headerRules(input({ sites: [{ origin: APP, tokenAccess: 'header', account: OTHER_ADDRESS }] })), []);
  assert.deepEqual(headerRules(input({ activeAddress: undefined })), []);
});

test('ids are the same for a site whatever else is listed, and distinct', () => {
  const alone = headerRuleIds([APP]).get(APP);
  const many = headerRuleIds(['https://z.example', APP, 'https://a.example', APP]);
  assert.equal(many.get(APP), alone);
  assert.equal(new Set(many.values()).size, 3);
  for (const id of many.values()) assert.ok(Number.isInteger(id) && id >= 1 && id <= 2 ** 30);
});

test('a malformed endpoint or site adds nothing rather than a rule that matches more', () => {
  assert.deepEqual(headerRules(input({ apiBaseUrl: 'not a url' })), []);
  assert.deepEqual(headerRules(input({ sites: [{ origin: 'https://app.example/path', tokenAccess: 'header' }] })), []);
});

test('the update removes every rule held, whatever this worker made', () => {
  assert.deepEqual(headerRulesUpdate([9, 3, 9], []), { removeRuleIds: [3, 9], addRules: [] });
});
