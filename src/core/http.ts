/**
 * The HTTP plumbing both API clients share: one POST with a deadline, its failures turned into
 * transient TakoErrors, and the small readers of a reply. The fetch is injected.
 */
import { TakoError } from './errors.ts';

export interface HttpDeps {
  fetch: typeof fetch;
  timeoutMs?: number;
}

export interface RawReply {
  status: number;
  text: string;
  headers: Headers;
}

/**
 * POSTs `body` to `url` within `timeoutMs`. Anything that keeps a reply from arriving is a
 * transient TakoError naming `apiName` (a reply, whatever its status, is returned as is).
 */
export async function postWithDeadline(
  deps: HttpDeps,
  apiName: string,
  url: string,
  init: { contentType: string; body: string },
  defaultTimeoutMs: number,
): Promise<RawReply> {
  const timeoutMs = deps.timeoutMs ?? defaultTimeoutMs;
  try {
    const response = await deps.fetch(url, {
      method: 'POST',
      headers: { 'content-type': init.contentType, accept: 'application/json' },
      body: init.body,
      signal: AbortSignal.timeout(timeoutMs),
      credentials: 'omit',
      cache: 'no-store',
    });
    return { status: response.status, text: await response.text(), headers: response.headers };
  } catch (cause) {
    const name = (cause as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new TakoError('timeout', `The ${apiName} did not answer within ${Math.round(timeoutMs / 1000)} s`, {
        transient: true,
        cause,
      });
    }
    throw new TakoError('network', `Could not reach the ${apiName} at ${new URL(url).host}`, { transient: true, cause });
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Statuses where trying again later can help: server trouble, rate limits, request timeouts. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}
