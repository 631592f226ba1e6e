import * as v from 'valibot';
import { describeError } from '../../src/core/contract/errors.ts';
import { describeIssues, type FaultPlan, FaultRequestSchema } from './faults.ts';
import { type HttpReply, jsonReply } from './http-io.ts';
import type { RequestLog } from './request-log.ts';
import type { StackConfig } from './stack-config.ts';
import { takoError } from './tako-api.ts';

export const CONTROL_PREFIX = '/__stack/';

export interface ControlTarget {
  log: RequestLog;
  faults: FaultPlan;
  /** Applies checked changes (throws TypeError on bad ones) and returns the whole configuration. */
  configure(changes: unknown): StackConfig;
  now(): number;
  /** Revokes every access token issued so far; returns how many. */
  revokeAccessTokens(): number;
}

/**
 * The stack's own controls, for driving it with curl:
 *   GET  /__stack/requests[?path=/v2/token]   POST /__stack/requests/clear
 *   GET  /__stack/faults                      POST /__stack/faults {path, count, kind, ...}
 *   POST /__stack/faults/clear
 *   GET  /__stack/config                      POST /__stack/config {accessTtlSec, refreshTtlSec, clockOffsetMs}
 *   POST /__stack/revoke-access-tokens        (authenticated routes then answer 401 to them)
 */
export function answerControl(target: ControlTarget, method: string, url: URL, bodyText: string): HttpReply {
  // Parsed whatever the Content-Type, since `curl -d '{...}'` labels JSON as a form.
  let json: unknown = {};
  try {
    if (bodyText.trim() !== '') json = JSON.parse(bodyText);
  } catch {
    return takoError(400, 'The body must be JSON');
  }

  switch (`${method} ${url.pathname}`) {
    case 'GET /__stack/requests':
      return jsonReply(200, { requests: target.log.list(url.searchParams.get('path') ?? undefined) });
    case 'POST /__stack/requests/clear':
      target.log.clear();
      return jsonReply(200, { ok: true });
    case 'GET /__stack/faults':
      return jsonReply(200, { pending: target.faults.pending() });
    case 'POST /__stack/faults': {
      const parsed = v.safeParse(FaultRequestSchema, json);
      if (!parsed.success) return takoError(400, `Invalid fault: ${describeIssues(parsed.issues)}`);
      const { path, ...fault } = parsed.output;
      target.faults.inject(path, fault);
      return jsonReply(200, { ok: true, pending: target.faults.pending() });
    }
    case 'POST /__stack/faults/clear':
      target.faults.clear();
      return jsonReply(200, { ok: true });
    case 'GET /__stack/config':
      return jsonReply(200, { ...target.configure({}), now: target.now() });
    case 'POST /__stack/config':
      try {
        return jsonReply(200, { ...target.configure(json), now: target.now() });
      } catch (error) {
        return takoError(400, describeError(error));
      }
    case 'POST /__stack/revoke-access-tokens':
      return jsonReply(200, { revoked: target.revokeAccessTokens() });
    default:
      return takoError(404, `Not found: ${method} ${url.pathname}`);
  }
}
