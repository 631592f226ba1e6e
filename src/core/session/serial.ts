/**
 * One writer per record: work queued under a key runs after every piece queued before it under
 * that key has settled, so each read-modify-write reads what the last one wrote. Two keys never
 * wait for each other. Work must not queue under its own key and wait for that (it would wait for
 * itself).
 */
export type Serial = <T>(key: string, work: () => Promise<T>) => Promise<T>;

export function createSerial(): Serial {
  const tails = new Map<string, Promise<unknown>>();
  return function serial<T>(key: string, work: () => Promise<T>): Promise<T> {
    const result = (tails.get(key) ?? Promise.resolve()).then(work);
    // A failure belongs to its caller; the next piece runs either way.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    // Forget an idle key, so that the map holds only keys with work queued.
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}
