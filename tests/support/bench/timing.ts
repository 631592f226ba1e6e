/**
 * What the bench's measurements time with: calls from a page, each timed in the page with
 * performance.now(); percentiles and rounding of the samples; waiting in Node.
 */
import type { BenchTab } from './engines.ts';

export const round = (ms: number) => Math.round(ms * 100) / 100;

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Sequential calls from the page, each timed with performance.now(). */
export function timeCalls(tab: BenchTab, method: string, count: number): Promise<number[]> {
  return tab.run(
    async ([m, n]) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        // bench_echo exists only in the bench build, so it is not in the public method types.
        await window.takoSession!.request({ method: m as 'tako_getToken' });
        times.push(performance.now() - start);
      }
      return times;
    },
    [method, count] as const,
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const median = (samples: number[]) => percentile(samples, 50);
