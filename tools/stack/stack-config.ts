import * as v from 'valibot';
import { describeIssues } from './faults.ts';

export interface StackConfig {
  accessTtlSec: number;
  refreshTtlSec: number;
  /** Added to Date.now() to give the server clock; moves token expiry and the ISSUED AT check. */
  clockOffsetMs: number;
}

/** The lifetimes the real API documents, and a clock that agrees with this machine's. */
export const DEFAULT_CONFIG: StackConfig = { accessTtlSec: 3600, refreshTtlSec: 86_400, clockOffsetMs: 0 };

const wholeNumber = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

// Strict, so that a misspelt setting sent with curl is an error rather than silently ignored.
const ConfigChangesSchema = v.strictObject({
  accessTtlSec: v.optional(wholeNumber(1)),
  refreshTtlSec: v.optional(wholeNumber(1)),
  clockOffsetMs: v.optional(v.pipe(v.number(), v.integer())),
});

/** The settings given, checked; keys left undefined are dropped so they keep their current value. */
export function parseConfigChanges(changes: unknown): Partial<StackConfig> {
  const parsed = v.safeParse(ConfigChangesSchema, changes);
  if (!parsed.success) throw new TypeError(`Invalid stack config: ${describeIssues(parsed.issues)}`);
  return Object.fromEntries(Object.entries(parsed.output).filter(([, value]) => value !== undefined));
}
