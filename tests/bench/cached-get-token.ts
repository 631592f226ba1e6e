/**
 * The cost of a cached `tako_getToken` from an allowed page, against the floor: a bare echo through
 * the same page API, relay and background (`bench_echo`), timed in interleaved blocks. The same in
 * both engines.
 */
import type { BenchTab } from '../support/bench/engines.ts';
import { percentile, round, timeCalls } from '../support/bench/timing.ts';
import { CALLS } from './flags.ts';

export async function measureCached(demo: BenchTab) {
  // Warm up both paths, then interleave blocks so drift affects both alike.
  await timeCalls(demo, 'tako_getToken', 50);
  await timeCalls(demo, 'bench_echo', 50);
  const getToken: number[] = [];
  const echo: number[] = [];
  const block = 100;
  for (let done = 0; done < CALLS; done += block) {
    getToken.push(...(await timeCalls(demo, 'tako_getToken', Math.min(block, CALLS - done))));
    echo.push(...(await timeCalls(demo, 'bench_echo', Math.min(block, CALLS - done))));
  }
  const p50 = percentile(getToken, 50);
  const echoP50 = percentile(echo, 50);
  return { p50Ms: round(p50), p99Ms: round(percentile(getToken, 99)), echoP50Ms: round(echoP50), ratioP50: round(p50 / echoP50) };
}
