/**
 * The server's clock, as far as its replies bound it. Tokens expire on the server's clock, so the
 * lifecycle decides on an estimate of it; this module turns `Date` headers into bounds and says
 * which bound each decision takes.
 *
 * A `Date` header has whole seconds and is stamped at some moment between our request leaving
 * (`sent`) and its reply arriving (`received`): the server's clock read `[Date, Date + 1 s)` then.
 * So at `received` the server's clock is at least `Date` and less than `Date + 1 s + (received -
 * sent)` (an NTP-style bound). A slow reply widens the bound; it never moves it off the truth, as
 * a point estimate from the arrival time alone did (a reply stamped on arrival and held 3.5 s
 * read as a server 3 s behind, and tokens were handed out past their `exp`).
 *
 * - Expiry decisions (hand-out minimum, failing-mode margin, refresh lead, refresh-token `exp`)
 *   take the LATEST the server's clock can be: the newest reply's upper bound. Its upper bound
 *   depends only on when the request left, so no delay of the reply can make it late.
 * - ISSUED AT takes the TIGHTEST estimate: the narrowest bound seen lately (the reply with the
 *   smallest round trip, as NTP keeps). Within it our own clock is kept when the bound allows it:
 *   it reads milliseconds where `Date` reads seconds, and a bound's middle would date a message
 *   from a server in step with us up to half a second in the server's future. When the bound
 *   excludes our clock, the nearest time it allows: the smallest correction the replies demand.
 */

/** Server time minus local time, bounded by one reply. Times are ms (local clock). */
export interface ClockSample {
  /** The least and the most the server's clock can be ahead of ours (negative: behind). */
  lowMs: number;
  highMs: number;
  /** When the reply arrived, on our clock. */
  atMs: number;
}

export interface ServerClock {
  /** From the newest reply: expiry decisions take its `highMs`. */
  latest: ClockSample;
  /** The narrowest bound seen lately: ISSUED AT keeps to it. */
  best: ClockSample;
}

/** `Date` has whole seconds, truncated. */
export const DATE_RESOLUTION_MS = 1000;
/**
 * The narrowest sample is kept at most this long: clocks drift and get set, and an hour-old
 * sample no longer says much more than a new one.
 */
export const BEST_SAMPLE_MAX_AGE_MS = 60 * 60_000;

const width = (sample: ClockSample) => sample.highMs - sample.lowMs;

/**
 * The bound one reply gives, or undefined when it gives none: no readable `Date`, or our own clock
 * went backwards while the request was out (then `sent` and `received` bound nothing).
 */
export function sampleFromReply(serverDateMs: number | undefined, sentAtMs: number, receivedAtMs: number): ClockSample | undefined {
  if (serverDateMs === undefined || !Number.isFinite(serverDateMs) || receivedAtMs < sentAtMs) return undefined;
  return { lowMs: serverDateMs - receivedAtMs, highMs: serverDateMs + DATE_RESOLUTION_MS - sentAtMs, atMs: receivedAtMs };
}

/** What we assume with no reply to go by: the server's clock agrees with ours. */
export function unmeasuredClock(atMs: number): ServerClock {
  const sample = { lowMs: 0, highMs: 0, atMs };
  return { latest: sample, best: sample };
}

/**
 * The clock after one more reply. The new sample is always the latest. It becomes the best when it
 * is at most as wide, when the best is too old, or when the two do not overlap (the server's clock
 * was set: the older evidence no longer holds).
 */
export function withSample(clock: ServerClock | undefined, sample: ClockSample | undefined): ServerClock | undefined {
  if (!sample) return clock;
  if (!clock) return { latest: sample, best: sample };
  const { best } = clock;
  const replaces =
    sample.atMs - best.atMs > BEST_SAMPLE_MAX_AGE_MS ||
    sample.lowMs > best.highMs ||
    sample.highMs < best.lowMs ||
    width(sample) <= width(best);
  return { latest: sample, best: replaces ? sample : best };
}

/** Several samples (from a probe and from other sessions on the same server), oldest first. */
export function clockFrom(samples: readonly ClockSample[]): ServerClock | undefined {
  return [...samples].sort((a, b) => a.atMs - b.atMs).reduce<ServerClock | undefined>(withSample, undefined);
}

/** The latest the server's clock can read at local time `localMs`: what expiry decisions use. */
export function latestServerTime(clock: ServerClock, localMs: number): number {
  return localMs + clock.latest.highMs;
}

/** The earliest local moment at which the server's clock can read `serverMs` (for alarms). */
export function earliestLocalTime(clock: ServerClock, serverMs: number): number {
  return serverMs - clock.latest.highMs;
}

/**
 * The server's time at local `localMs`, as tightly as we can tell: for ISSUED AT. Our clock when
 * the narrowest bound allows it, else the bound's edge nearest to it.
 */
export function estimatedServerTime(clock: ServerClock, localMs: number): number {
  const { lowMs, highMs } = clock.best;
  return Math.round(localMs + Math.min(Math.max(0, lowMs), highMs));
}

/**
 * A clock from the single skew older builds stored (`Date + 0.5 s - arrival`, under 1.5 s taken as
 * none): taken as within 2 s either side, until the next reply measures it properly.
 */
export function clockFromLegacySkew(skewMs: number, atMs: number): ServerClock {
  const sample = { lowMs: skewMs - 2000, highMs: skewMs + 2000, atMs };
  return { latest: sample, best: sample };
}

export function parseHttpDate(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function isClockSample(value: unknown): value is ClockSample {
  const sample = value as Partial<ClockSample> | null;
  return (
    typeof sample === 'object' &&
    sample !== null &&
    Number.isFinite(sample.lowMs) &&
    Number.isFinite(sample.highMs) &&
    Number.isFinite(sample.atMs) &&
    sample.lowMs! <= sample.highMs!
  );
}

export function isServerClock(value: unknown): value is ServerClock {
  const clock = value as Partial<ServerClock> | null;
  return typeof clock === 'object' && clock !== null && isClockSample(clock.latest) && isClockSample(clock.best);
}
