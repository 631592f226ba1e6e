import * as v from 'valibot';

const wholeNumber = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/** How the next `count` requests to a path fail. Strict so that a typo in a curl call is an error. */
export const FaultSchema = v.strictObject({
  count: wholeNumber(1, 1_000_000),
  /**
   * `delay` holds the request before the server handles it; `delay-reply` handles it at once (a
   * refresh rotates the pair, the log shows the status) and holds only the reply: the client has
   * not got the answer the server already acted on.
   */
  kind: v.picklist(['status', 'delay', 'delay-reply', 'drop', 'malformed', 'redirect']),
  /** For `status`; 500 when left out. */
  status: v.optional(wholeNumber(400, 599)),
  /** For `status`: sent as a Retry-After header (seconds). */
  retryAfterSec: v.optional(wholeNumber(0, 86_400)),
  /** For `delay` and `delay-reply`; 1000 when left out. */
  delayMs: v.optional(wholeNumber(0, 600_000)),
  /** For `redirect`: a 307 to this path on the same server; `<path>/moved` when left out. */
  location: v.optional(v.pipe(v.string(), v.startsWith('/'), v.maxLength(2048))),
});

export type FaultSpec = v.InferOutput<typeof FaultSchema>;
export type FaultKind = FaultSpec['kind'];

/** The body of POST /__stack/faults: a fault plus the path it applies to. */
export const FaultRequestSchema = v.strictObject({
  path: v.pipe(v.string(), v.startsWith('/')),
  ...FaultSchema.entries,
});

export interface PendingFault extends FaultSpec {
  path: string;
}

/** One line naming each field that is wrong, for curl users and thrown errors alike. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .map((issue) => {
      const path = v.getDotPath(issue);
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Faults queued per path; each request to the path uses up one occurrence of the oldest. */
export class FaultPlan {
  #pending: PendingFault[] = [];

  inject(path: string, spec: FaultSpec): void {
    const parsed = v.safeParse(FaultRequestSchema, { path, ...spec });
    if (!parsed.success) throw new TypeError(`Invalid fault: ${describeIssues(parsed.issues)}`);
    this.#pending.push({ ...parsed.output });
  }

  /** The fault for this request, if one is queued for its path; uses up one occurrence. */
  take(path: string): Readonly<PendingFault> | undefined {
    const index = this.#pending.findIndex((fault) => fault.path === path);
    if (index < 0) return undefined;
    const fault = this.#pending[index]!;
    fault.count -= 1;
    if (fault.count === 0) this.#pending.splice(index, 1);
    return fault;
  }

  pending(): PendingFault[] {
    return this.#pending.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.#pending = [];
  }
}
