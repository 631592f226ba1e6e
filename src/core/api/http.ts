/**
 * The HTTP plumbing both API clients share: one POST with a deadline, its failures turned into
 * transient TakoErrors, and the small readers of a reply. The fetch is injected.
 */

import { TakoError } from '../contract/errors.ts';
import { assertSecureUrl } from '../session/endpoints.ts';

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
  assertSecureUrl(url);
  let response: Response;
  let text: string;
  try {
    response = await deps.fetch(url, {
      method: 'POST',
      headers: { 'content-type': init.contentType, accept: 'application/json' },
      body: init.body,
      signal: AbortSignal.timeout(timeoutMs),
      credentials: 'omit',
      cache: 'no-store',
      // These bodies carry a signature, a token or personal details: never sent on to another URL.
      redirect: 'manual',
    });
    text = await response.text();
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
  // A browser reports a redirect it did not follow as an opaque response with status 0; other
  // fetches hand over the 3xx itself.
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    throw new TakoError(
      'http',
      `The ${apiName} at ${new URL(url).host} answered with a redirect; requests that carry a token or a signature are never sent on`,
      { transient: true, ...(response.status > 0 ? { httpStatus: response.status } : {}) },
    );
  }
  return { status: response.status, text, headers: response.headers };
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
