/**
 * The browser as session lifetimes see it, on a test clock: the computer's last input (idle after
 * `seconds` without one, as `idle.queryState` reports), a locked screen, and browser runs (a
 * browser that closed and started again is a new run, asked about once).
 */
import type { IdleState, LifetimePorts } from '../../src/background/ports/session-ports.ts';

export function lifetimePorts(now: () => number) {
  let lastInputAt = now();
  let locked = false;
  let detectionSeconds: number | null = null;
  let runStarted = true;
  const ports: LifetimePorts = {
    idle: {
      async queryState(seconds): Promise<IdleState> {
        if (locked) return 'locked';
        return now() - lastInputAt >= seconds * 1000 ? 'idle' : 'active';
      },
      setDetectionInterval(seconds) {
        detectionSeconds = seconds;
      },
    },
    browserRun: {
      async startedNow() {
        const started = runStarted;
        runStarted = false;
        return started;
      },
    },
  };
  return {
    ports,
    /** The person touched the computer now. */
    input() {
      lastInputAt = now();
      locked = false;
    },
    lock() {
      locked = true;
    },
    /** The browser closed and started again: the next worker start is in a new run. */
    restartBrowser() {
      runStarted = true;
    },
    /** The idle time the background asked the browser to detect, or null. */
    detectionSeconds: () => detectionSeconds,
  };
}
