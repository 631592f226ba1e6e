/**
 * Work that must not be cut off, counted: a refresh (the API rotates the pair before it is
 * written; cut in between, the session is lost) and a sign-in. An extension update is applied by
 * reloading the extension, so it waits for a moment when none of this work is running.
 *
 * `onIdle` runs its callback synchronously, in the very step that ends the last piece of work:
 * nothing can start between the check and the callback (a reload, which ends everything).
 */
export interface InFlight {
  /** Counts `work` until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Calls `callback` now when nothing runs, otherwise as soon as the running work has ended. */
  onIdle(callback: () => void): void;
  /** How many pieces of work are running. */
  readonly running: number;
}

export function createInFlight(): InFlight {
  let running = 0;
  let waiting: Array<() => void> = [];
  const settled = () => {
    running -= 1;
    if (running > 0) return;
    const callbacks = waiting;
    waiting = [];
    for (const callback of callbacks) callback();
  };
  return {
    track(work) {
      running += 1;
      work.then(settled, settled);
      return work;
    },
    onIdle(callback) {
      if (running === 0) callback();
      else waiting.push(callback);
    },
    get running() {
      return running;
    },
  };
}
