/** The rules of consent (core/consent/consent.ts) on an injected clock. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALLOW_DELAY_MS,
  afterRefusal,
  allowEnabled,
  COOLDOWN_BASE_MS,
  COOLDOWN_FORGET_MS,
  COOLDOWN_MAX_MS,
  cooldownLength,
  coversAsk,
  isCoolingDown,
  isInsecureOrigin,
  mayRaise,
  nextToShow,
  RAISE_INTERVAL_MS,
  sameCaller,
  siteOf,
} from '../../src/core/consent/consent.ts';

describe('cool-down after a refusal', () => {
  const SITE = 'https://app.example';
  // Guards: a minute after the first refusal, doubling while the site keeps asking, capped.
  test('starts at a minute and doubles with each refusal, up to the cap', () => {
    assert.equal(cooldownLength(1), COOLDOWN_BASE_MS);
    assert.equal(cooldownLength(2), 2 * COOLDOWN_BASE_MS);
    assert.equal(cooldownLength(3), 4 * COOLDOWN_BASE_MS);
    assert.equal(cooldownLength(1000), COOLDOWN_MAX_MS);
    const first = afterRefusal(undefined, SITE, [7], 0);
    assert.deepEqual(first, { site: SITE, tabIds: [7], refusals: 1, until: COOLDOWN_BASE_MS });
    assert.equal(isCoolingDown(first, COOLDOWN_BASE_MS - 1), true);
    assert.equal(isCoolingDown(first, COOLDOWN_BASE_MS), false);
    const asked = afterRefusal(first, SITE, [9], 10_000);
    assert.deepEqual(asked, { site: SITE, tabIds: [7, 9], refusals: 2, until: 10_000 + 2 * COOLDOWN_BASE_MS });
  });

  // Guards: asking again never shortens a cool-down, and an old refusal is forgotten after a day.
  test('never shrinks, and is forgotten a day after it ended', () => {
    const long = { site: SITE, tabIds: [], refusals: 1, until: 10 * COOLDOWN_BASE_MS };
    assert.ok(afterRefusal(long, SITE, [], 0).until >= long.until);
    const old = { site: SITE, tabIds: [], refusals: 9, until: 0 };
    assert.equal(afterRefusal(old, SITE, [], COOLDOWN_FORGET_MS).refusals, 1);
    assert.equal(afterRefusal(old, SITE, [], COOLDOWN_FORGET_MS - 1).refusals, 10);
  });

  // Guards that a cool-down cannot be dodged: it covers every origin of the site and every ask
  // from a tab that asked, whatever origin that tab shows now; not another site in another tab.
  test('covers the site and the tabs that asked', () => {
    const cooldown = afterRefusal(undefined, siteOf('https://app.example'), [7], 0);
    assert.equal(coversAsk(cooldown, 'https://www.app.example', 3), true);
    assert.equal(coversAsk(cooldown, 'https://evil.app.example:8443', 3), true);
    assert.equal(coversAsk(cooldown, 'https://elsewhere.example', 7), true);
    assert.equal(coversAsk(cooldown, 'https://elsewhere.example', 3), false);
    assert.equal(coversAsk(cooldown, 'http://app.example', 3), false, 'another scheme is another site');
  });
});

describe('the site of an origin', () => {
  // Guards the registrable domain: siblings are one site, sites under a shared public suffix are
  // not, and an address or localhost is just that origin (local development on several ports).
  test('scheme and registrable domain; an address or localhost is the origin itself', () => {
    assert.equal(siteOf('https://app.example'), 'https://app.example');
    assert.equal(siteOf('https://a.b.app.example'), 'https://app.example');
    assert.equal(siteOf('https://shop.example.co.uk'), 'https://example.co.uk');
    assert.equal(siteOf('https://example.co.uk'), 'https://example.co.uk');
    assert.equal(siteOf('https://x.example.com.au'), 'https://example.com.au');
    assert.equal(siteOf('https://alice.github.io'), 'https://alice.github.io');
    assert.notEqual(siteOf('https://alice.github.io'), siteOf('https://bob.github.io'));
    assert.equal(siteOf('https://www.co.example'), 'https://co.example', 'a generic label counts only under a country domain');
    assert.equal(siteOf('http://127.0.0.1:8787'), 'http://127.0.0.1:8787');
    assert.notEqual(siteOf('http://127.0.0.1:8787'), siteOf('http://127.0.0.1:3000'));
    assert.equal(siteOf('http://localhost:3000'), 'http://localhost:3000');
    assert.equal(siteOf('http://app.localhost:3000'), 'http://app.localhost:3000');
    assert.equal(siteOf('http://[::1]:3000'), 'http://[::1]:3000');
  });
});

describe('bringing the window to the front', () => {
  // Guards: a repeated ask raises the window at most once every RAISE_INTERVAL_MS.
  test('at most once every RAISE_INTERVAL_MS', () => {
    assert.equal(mayRaise(undefined, 0), true);
    assert.equal(mayRaise(1000, 1000 + RAISE_INTERVAL_MS - 1), false);
    assert.equal(mayRaise(1000, 1000 + RAISE_INTERVAL_MS), true);
    assert.ok(RAISE_INTERVAL_MS >= 2 * ALLOW_DELAY_MS, 'a raised window can be read before it rises again');
  });
});

describe('the Allow button', () => {
  // Guards: Allow only after the window has been visible and focused for ALLOW_DELAY_MS, never while it is not.
  test('is enabled ALLOW_DELAY_MS after the window came to the front, and never while it is not', () => {
    assert.equal(allowEnabled(null, 1e9), false);
    assert.equal(allowEnabled(1000, 1000), false);
    assert.equal(allowEnabled(1000, 1000 + ALLOW_DELAY_MS - 1), false);
    assert.equal(allowEnabled(1000, 1000 + ALLOW_DELAY_MS), true);
  });
});

describe('insecure origins', () => {
  // Guards: allowing an http:// origin other than this computer warns.
  test('http:// is insecure unless it is loopback', () => {
    assert.equal(isInsecureOrigin('https://app.example'), false);
    assert.equal(isInsecureOrigin('http://127.0.0.1:8080'), false);
    assert.equal(isInsecureOrigin('http://localhost:3000'), false);
    assert.equal(isInsecureOrigin('http://[::1]:3000'), false);
    assert.equal(isInsecureOrigin('http://app.example'), true);
    assert.equal(isInsecureOrigin('http://127.0.0.1.evil.example'), true);
    assert.equal(isInsecureOrigin('http://192.168.1.2'), true);
  });
});

describe('which request the approval window shows', () => {
  const request = (requestId: string, tabIds: number[], createdAt: number, windowId?: number) => ({
    requestId,
    callers: tabIds.map((tabId) => ({ tabId })),
    createdAt,
    windowId,
  });

  // Guards: one window at a time, the oldest request of the tab in front first, none for a
  // background tab or when no web page is in front.
  test('the oldest request of the tab in front, and nothing while a window is open', () => {
    const a = request('a', [1, 2], 1);
    const b = request('b', [2], 2);
    assert.equal(nextToShow([b, a], new Set([2]))?.requestId, 'a');
    assert.equal(nextToShow([a, b], new Set([1]))?.requestId, 'a');
    assert.equal(nextToShow([b], new Set([2]))?.requestId, 'b');
    assert.equal(nextToShow([a, b], new Set([3])), undefined);
    assert.equal(nextToShow([a, b], new Set()), undefined);
    assert.equal(nextToShow([request('a', [1], 1, 10), b], new Set([2])), undefined);
  });

  test('a caller is one document: the same tab and, where known, the same document', () => {
    assert.equal(sameCaller({ tabId: 1, documentId: 'A' }, { tabId: 1, documentId: 'A' }), true);
    assert.equal(sameCaller({ tabId: 1, documentId: 'A' }, { tabId: 1, documentId: 'B' }), false);
    assert.equal(sameCaller({ tabId: 1 }, { tabId: 2 }), false);
  });
});
