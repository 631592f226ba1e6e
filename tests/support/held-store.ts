/**
 * A Store whose calls a test can hold and let go, to drive interleavings deterministically: the
 * next call of a method waits, once it has started, until the test releases it. Everything else
 * passes straight through to the wrapped store.
 */
import type { Store } from '../../src/background/storage/store.ts';

export interface HeldCall {
  /** Resolves once the held call has been made (and is waiting). */
  reached: Promise<void>;
  /** Lets the held call go on to the wrapped store. */
  release(): void;
}

export function withHeldCalls(inner: Store) {
  const holds = new Map<keyof Store, HeldCall & { arrive(): void; released: Promise<void> }>();
  /** Every call made, by method, in order (after any hold). */
  const calls: Array<keyof Store> = [];

  const store = Object.fromEntries(
    (Object.keys(inner) as Array<keyof Store>).map((method) => [
      method,
      async (...args: unknown[]) => {
        const held = holds.get(method);
        if (held) {
          holds.delete(method);
          held.arrive();
          await held.released;
        }
        calls.push(method);
        return (inner[method] as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  ) as unknown as Store;

  return {
    store,
    calls,
    /** Holds the next call of `method`. */
    hold(method: keyof Store): HeldCall {
      let arrive!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      const held = { reached, release, arrive, released };
      holds.set(method, held);
      return { reached, release };
    },
  };
}
