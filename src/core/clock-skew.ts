/**
 * The server's clock decides when its tokens expire, so refresh decisions run on an estimate of
 * it: local time plus the skew measured from the server's `Date` header.
 */

/** `Date` has whole seconds and is truncated: on average the server was half a second later. */
const DATE_HEADER_MIDPOINT_MS = 500;
/** Below this the estimate is noise from the header's one-second resolution, not a real skew. */
export const NEGLIGIBLE_SKEW_MS = 1500;

/** Server time minus local time, from a `Date` header read at `localReceivedMs`. */
export function measureSkewMs(serverDateMs: number | undefined, localReceivedMs: number): number {
  if (serverDateMs === undefined || !Number.isFinite(serverDateMs)) return 0;
  const skew = serverDateMs + DATE_HEADER_MIDPOINT_MS - localReceivedMs;
  return Math.abs(skew) < NEGLIGIBLE_SKEW_MS ? 0 : Math.round(skew);
}

export function parseHttpDate(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
