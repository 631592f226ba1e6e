export interface LoggedRequest {
  /** Arrival time by the server clock (ms since the epoch). */
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Parsed JSON, the form fields, or the raw text; null when empty. */
  body: unknown;
  /** The status replied with (set once the server acted, even while a `delay-reply` holds it); null while pending or when the connection was dropped. */
  status: number | null;
  /** Whether an Authorization header was sent (its value is never kept). */
  authorization: boolean;
}

// Enough for any test run; a dev server left running for days must not grow without bound.
const MAX_ENTRIES = 1000;

export class RequestLog {
  #entries: LoggedRequest[] = [];

  /** Records a request and returns its entry so the status can be filled in once known. */
  add(entry: LoggedRequest): LoggedRequest {
    this.#entries.push(entry);
    if (this.#entries.length > MAX_ENTRIES) this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
    return entry;
  }

  /** Copies, oldest first; a string filter matches the path exactly. */
  list(pathFilter?: string | RegExp): LoggedRequest[] {
    const matches = (path: string) =>
      pathFilter === undefined || (typeof pathFilter === 'string' ? path === pathFilter : pathFilter.test(path));
    return this.#entries.filter((entry) => matches(entry.path)).map((entry) => ({ ...entry }));
  }

  clear(): void {
    this.#entries = [];
  }
}
