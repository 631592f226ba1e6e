/** The rules of consent (core/consent.ts) on an injected clock. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  afterRefusal,
  ALLOW_DELAY_MS,
  allowEnabled,
  COOLDOWN_BASE_MS,
  COOLDOWN_FORGET_MS,
  COOLDOWN_MAX_MS,
  cooldownLength,
  isCoolingDown,
  isInsecureOrigin,
  nextToShow,
} from '../../src/core/consent.ts';

const ORIGIN = 'https://app.example';

describe('cool-down after a refusal', () => {
  // Guards: a minute after the first refusal, doubling while the origin keeps asking, capped.
  test('starts at a minute and doubles with each refusal, up to the cap', () => {
    assert.equal(cooldownLength(1), COOLDOWN_BASE_MS);
    assert.equal(cooldownLength(2), 2 * COOLDOWN_BASE_MS);
    assert.equal(cooldownLength(3), 4 * COOLDOWN_BASE_MS);
    assert.equal(cooldownLength(1000), COOLDOWN_MAX_MS);
    const first = afterRefusal(undefined, ORIGIN, 0);
    assert.deepEqual(first, { origin: ORIGIN, refusals: 1, until: COOLDOWN_BASE_MS });
    assert.equal(isCoolingDown(first, COOLDOWN_BASE_MS - 1), true);
    assert.equal(isCoolingDown(first, COOLDOWN_BASE_MS), false);
    const asked = afterRefusal(first, ORIGIN, 10_000);
    assert.deepEqual(asked, { origin: ORIGIN, refusals: 2, until: 10_000 + 2 * COOLDOWN_BASE_MS });
  });

  // Guards: asking again never shortens a cool-down, and an old refusal is forgotten after a day.
  test('never shrinks, and is forgotten a day after it ended', () => {
    const long = { origin: ORIGIN, refusals: 1, until: 10 * COOLDOWN_BASE_MS };
    assert.ok(afterRefusal(long, ORIGIN, 0).until >= long.until);
    const old = { origin: ORIGIN, refusals: 9, until: 0 };
    assert.equal(afterRefusal(old, ORIGIN, COOLDOWN_FORGET_MS).refusals, 1);
    assert.equal(afterRefusal(old, ORIGIN, COOLDOWN_FORGET_MS - 1).refusals, 10);
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
  const request = (requestId: string, tabIds: number[], createdAt: number, windowId?: number) => ({ requestId, tabIds, createdAt, windowId });

  // Guards: one window at a time, the oldest request of a tab in front first, none for a background tab.
  test('the oldest request of a tab in front, and nothing while a window is open', () => {
    const a = request('a', [1], 1);
    const b = request('b', [2], 2);
    assert.equal(nextToShow([b, a], new Set([1, 2]))?.requestId, 'a');
    assert.equal(nextToShow([a, b], new Set([2]))?.requestId, 'b');
    assert.equal(nextToShow([a, b], new Set([3])), undefined);
    assert.equal(nextToShow([request('a', [1], 1, 10), b], new Set([1, 2])), undefined);
  });
});
