/**
 * How long a session may last, as the person chose it per endpoint, and the pure decision of
 * whether a session has reached that end. The background gathers the facts (the clock, whether
 * this is a new browser run, the computer's idle state) and acts on the answer.
 */

import * as v from 'valibot';

/**
 * `stay`: refreshed for as long as the API allows (the default). `browser-close`: ends when the
 * browser closes. `idle`: ends after `idleSeconds` without input on the computer (a locked screen
 * counts as idle at once). `max-age`: ends `maxAgeSeconds` after sign-in, however often refreshed.
 */
export type SessionLifetime =
  | { kind: 'stay' }
  | { kind: 'browser-close' }
  | { kind: 'idle'; idleSeconds: number }
  | { kind: 'max-age'; maxAgeSeconds: number };

export type SessionLifetimeKind = SessionLifetime['kind'];

export const STAY_SIGNED_IN: SessionLifetime = { kind: 'stay' };

/** The shortest idle time the browsers can detect (`idle.setDetectionInterval`). */
export const MIN_IDLE_SECONDS = 15;
const DAY_SECONDS = 86_400;
/** Longest limits accepted: a week idle, a year of age (the form offers minutes and days within these). */
export const MAX_IDLE_SECONDS = 7 * DAY_SECONDS;
export const MAX_AGE_SECONDS = 365 * DAY_SECONDS;

const WholeSeconds = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/** A lifetime as the options page sends it and as it is stored: anything else is refused. */
export const SessionLifetimeSchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('stay') }),
  v.strictObject({ kind: v.literal('browser-close') }),
  v.strictObject({ kind: v.literal('idle'), idleSeconds: WholeSeconds(MIN_IDLE_SECONDS, MAX_IDLE_SECONDS) }),
  v.strictObject({ kind: v.literal('max-age'), maxAgeSeconds: WholeSeconds(1, MAX_AGE_SECONDS) }),
]);

/** The options form's units: minutes idle, days of age. */
export const FORM_LIMITS = {
  idleMinutes: { min: 1, max: MAX_IDLE_SECONDS / 60 },
  maxAgeDays: { min: 1, max: MAX_AGE_SECONDS / DAY_SECONDS },
};

/**
 * The lifetime the options form describes, or null when its number is not a whole one within the
 * form's limits (the page says so, and nothing is saved).
 */
export function lifetimeFromForm(kind: string, idleMinutes: string, maxAgeDays: string): SessionLifetime | null {
  const whole = (text: string, { min, max }: { min: number; max: number }) => {
    const n = Number(text.trim());
    return text.trim() !== '' && Number.isInteger(n) && n >= min && n <= max ? n : null;
  };
  switch (kind) {
    case 'stay':
    case 'browser-close':
      return { kind };
    case 'idle': {
      const minutes = whole(idleMinutes, FORM_LIMITS.idleMinutes);
      return minutes === null ? null : { kind, idleSeconds: minutes * 60 };
    }
    case 'max-age': {
      const days = whole(maxAgeDays, FORM_LIMITS.maxAgeDays);
      return days === null ? null : { kind, maxAgeSeconds: days * DAY_SECONDS };
    }
    default:
      return null;
  }
}

/** A stored lifetime in the form's units (a lifetime set in seconds shows rounded up). */
export function formOfLifetime(lifetime: SessionLifetime): { kind: SessionLifetimeKind; idleMinutes?: number; maxAgeDays?: number } {
  if (lifetime.kind === 'idle') return { kind: 'idle', idleMinutes: Math.ceil(lifetime.idleSeconds / 60) };
  if (lifetime.kind === 'max-age') return { kind: 'max-age', maxAgeDays: Math.ceil(lifetime.maxAgeSeconds / DAY_SECONDS) };
  return { kind: lifetime.kind };
}

/** What the background knows when it checks a session against its lifetime. */
export interface LifetimeFacts {
  nowMs: number;
  /** The browser started (or the extension was reloaded) since sessions were last checked. */
  newBrowserRun: boolean;
  /**
   * The computer's state for the lifetime's idle time (`idle.queryState(idleSeconds)`); only
   * asked for an `idle` lifetime.
   */
  idleState?: 'active' | 'idle' | 'locked';
}

/** A session's start, as lifetimes count it: when the person signed in, not the last refresh. */
export interface LifetimeStart {
  signedInAtMs: number;
}

/** Whether the session has reached the end of its lifetime; the rule that ended it, or null. */
export function lifetimeEnded(
  lifetime: SessionLifetime,
  session: LifetimeStart,
  facts: LifetimeFacts,
): Exclude<SessionLifetimeKind, 'stay'> | null {
  switch (lifetime.kind) {
    case 'stay':
      return null;
    case 'browser-close':
      return facts.newBrowserRun ? 'browser-close' : null;
    case 'idle':
      return facts.idleState === 'idle' || facts.idleState === 'locked' ? 'idle' : null;
    case 'max-age':
      return facts.nowMs >= lifetimeDeadline(lifetime, session)! ? 'max-age' : null;
  }
}

/** The moment a `max-age` lifetime ends the session; null for the others, which end on events. */
export function lifetimeDeadline(lifetime: SessionLifetime, session: LifetimeStart): number | null {
  return lifetime.kind === 'max-age' ? session.signedInAtMs + lifetime.maxAgeSeconds * 1000 : null;
}

/** The idle time the browser must report: the shortest `idle` lifetime in use, or null when none. */
export function idleDetectionSeconds(lifetimes: Iterable<SessionLifetime>): number | null {
  let shortest: number | null = null;
  for (const lifetime of lifetimes) {
    if (lifetime.kind === 'idle' && (shortest === null || lifetime.idleSeconds < shortest)) shortest = lifetime.idleSeconds;
  }
  return shortest;
}

/**
 * Settings keep a lifetime per endpoint key; an endpoint with none, or with a record that no longer
 * reads as a lifetime, stays signed in (today's behaviour).
 */
export function lifetimeOf(lifetimes: Readonly<Record<string, unknown>> | undefined, endpointId: string): SessionLifetime {
  const stored = lifetimes?.[endpointId];
  const parsed = v.safeParse(SessionLifetimeSchema, stored);
  return parsed.success ? parsed.output : STAY_SIGNED_IN;
}

/** The lifetime of an endpoint: the one the organisation's policy locks, else the person's choice. */
export function lifetimeIn(
  settings: { lifetimes?: Readonly<Record<string, unknown>>; lockedLifetime?: SessionLifetime },
  endpointId: string,
): SessionLifetime {
  return settings.lockedLifetime ?? lifetimeOf(settings.lifetimes, endpointId);
}

/** How a session ended by its lifetime is remembered, per endpoint, for the popup and for pages. */
export interface LifetimeEnding {
  rule: Exclude<SessionLifetimeKind, 'stay'>;
  address: string;
  atMs: number;
}
