/**
 * Work that an update waits for: the pure counter, and the session service's refreshes and
 * sign-ins counted by it, in Node with the real service over a held Tako API.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WalletPort } from '../../src/background/ports/session-ports.ts';
import { createInFlight } from '../../src/core/session/in-flight.ts';
import { sessionHarness } from '../support/session-harness.ts';

/** A promise and the functions that settle it. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = () => ok();
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Lets every promise job that can run, run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('in-flight work', () => {
  test('with nothing running, onIdle calls back at once, synchronously', () => {
    const work = createInFlight();
    let called = 0;
    work.onIdle(() => called++);
    assert.equal(called, 1);
  });

  // Guards the update's timing: a callback that ran while work was still running (or that did
  // not run once it had all ended) would reload in the middle of a refresh, or never.
  test('onIdle waits for every piece of work, whether it succeeds or fails', async () => {
    const work = createInFlight();
    const first = deferred();
    const second = deferred();
    void work.track(first.promise);
    work.track(second.promise).catch(() => undefined);
    let called = 0;
    work.onIdle(() => called++);
    first.resolve();
    await settled();
    assert.equal(called, 0);
    assert.equal(work.running, 1);
    second.reject(new Error('refused'));
    await settled();
    assert.equal(called, 1);
    assert.equal(work.running, 0);
  });

  // Guards that a callback waiting is not run when the pieces it saw have ended but one that
  // started meanwhile (a refresh alarm firing during a sign-in, say) is still running.
  test('work that starts while a callback waits is waited for too', async () => {
    const work = createInFlight();
    const first = deferred();
    const next = deferred();
    void work.track(first.promise);
    let called = 0;
    work.onIdle(() => called++);
    void work.track(next.promise);
    first.resolve();
    await settled();
    assert.equal(called, 0);
    next.resolve();
    await settled();
    assert.equal(called, 1);
  });
});

describe('the session service: an update waits for a refresh', () => {
  // Guards the cause of a lost pair on update: a reload after the API rotated the pair, before it
  // was stored. The callback waits through the reply and through the write of the new pair.
  test('onIdle calls back only once the refreshed pair is stored', async () => {
    const h = sessionHarness();
    const seeded = await h.seed();
    const marker = h.held.hold('putSession');
    const refreshing = h.service.refreshNow();
    await marker.reached;
    const saving = h.held.hold('putSession');
    let called = 0;
    h.service.onIdle(() => called++);
    marker.release();
    await saving.reached;
    await settled();
    assert.equal(called, 0, 'called back while the rotated pair was not stored');
    saving.release();
    await refreshing;
    assert.equal(called, 1);
    const [stored] = await h.stored();
    assert.notEqual(stored!.refreshToken, seeded.refreshToken);
  });

  // Guards that a sign-in counts too: reloaded while the wallet or the API is answering, the
  // person would sign in for nothing.
  test('onIdle waits for a sign-in until it has ended', async () => {
    const h = sessionHarness();
    const accounts = deferred();
    const wallet: WalletPort = {
      source: 'a page',
      requestAccounts: () => accounts.promise,
      sign: async () => assert.fail('nothing is signed without an account'),
    };
    const signingIn = h.service.signIn(wallet).catch((error: unknown) => error);
    let called = 0;
    h.service.onIdle(() => called++);
    await settled();
    assert.equal(called, 0, 'called back while the wallet was still asked');
    accounts.reject(new Error('The person closed the wallet'));
    await signingIn;
    assert.equal(called, 1);
  });

  test('with nothing running, onIdle calls back at once', async () => {
    const h = sessionHarness();
    await h.seed();
    let called = 0;
    h.service.onIdle(() => called++);
    assert.equal(called, 1);
  });
});
