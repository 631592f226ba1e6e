/**
 * An organisation's policy, as the browser hands it to the extension (`storage.managed`: Chromium's
 * `3rdparty` extension policy, checked against `managed-schema.json`; Firefox's `3rdparty` policy):
 * read, checked key by key, and the decisions it makes. A key that does not read as described is
 * left out and named in `problems` (the options page shows them); the rest still applies.
 */

import { describeError } from '../contract/errors.ts';
import { customEndpoint, type Endpoint, PRESET_ENDPOINTS } from '../session/endpoints.ts';
import { FORM_LIMITS, lifetimeFromForm, type SessionLifetime } from '../session/session-lifetime.ts';

/** What a policy can set. Absent: the person decides. */
export interface OrganisationPolicy {
  /** The Tako API, locked. */
  endpoint?: Endpoint;
  /** Origins allowed without asking, which the person cannot revoke. */
  allowedSites: string[];
  /** Origins, each with its subdomains, refused without a window (4100), even if allowed before. */
  blockedSites: string[];
  /** False: the MetaHuman SDK token is off (the options form, and pages asking for it). */
  metahumanToken: boolean;
  /** The session lifetime of every endpoint, locked. */
  sessionLifetime?: SessionLifetime;
}

export const NO_POLICY: OrganisationPolicy = { allowedSites: [], blockedSites: [], metahumanToken: true };

/** The policy's keys, as an administrator writes them (and as `managed-schema.json` lists them). */
export const POLICY_KEYS = [
  'endpoint',
  'apiVersion',
  'allowedSites',
  'blockedSites',
  'metahumanToken',
  'sessionLifetime',
  'idleMinutes',
  'maxAgeDays',
] as const;

/** An origin as a policy lists it: http(s), nothing but scheme, host and port. */
function policyOrigin(entry: unknown): string {
  if (typeof entry !== 'string') throw new Error('not a string');
  const url = new URL(entry);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${entry} is not an http(s) origin`);
  if (url.origin !== entry.replace(/\/$/, '')) throw new Error(`${entry} is not an origin (scheme, host and port only)`);
  return url.origin;
}

function originList(raw: unknown, key: string, problems: string[]): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push(`${key}: expected a list of origins`);
    return [];
  }
  const origins: string[] = [];
  for (const entry of raw) {
    try {
      origins.push(policyOrigin(entry));
    } catch (error) {
      problems.push(`${key}: ${describeError(error).slice(0, 200)}`);
    }
  }
  return origins;
}

/** Reads what `storage.managed.get()` returned. Never throws: a bad key is a problem, not a failure. */
export function readPolicy(raw: unknown): { policy: OrganisationPolicy; problems: string[] } {
  const problems: string[] = [];
  const values = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  for (const key of Object.keys(values)) {
    if (!(POLICY_KEYS as readonly string[]).includes(key)) problems.push(`${key}: not a Tako Session policy`);
  }
  const policy: OrganisationPolicy = {
    allowedSites: originList(values.allowedSites, 'allowedSites', problems),
    blockedSites: originList(values.blockedSites, 'blockedSites', problems),
    metahumanToken: true,
  };
  if (values.endpoint !== undefined) {
    try {
      const endpoint = customEndpoint(values.endpoint, values.apiVersion ?? 'v2');
      const preset = Object.values(PRESET_ENDPOINTS).find((p) => p.baseUrl === endpoint.baseUrl && p.version === endpoint.version);
      policy.endpoint = preset ? { ...preset } : endpoint;
    } catch (error) {
      problems.push(`endpoint: ${describeError(error)}`);
    }
  } else if (values.apiVersion !== undefined) {
    problems.push('apiVersion: set only together with endpoint');
  }
  if (values.metahumanToken !== undefined) {
    if (typeof values.metahumanToken === 'boolean') policy.metahumanToken = values.metahumanToken;
    else problems.push('metahumanToken: expected true or false');
  }
  if (values.sessionLifetime !== undefined) {
    const lifetime = lifetimeFromForm(String(values.sessionLifetime), String(values.idleMinutes ?? ''), String(values.maxAgeDays ?? ''));
    if (lifetime) policy.sessionLifetime = lifetime;
    else {
      const { idleMinutes, maxAgeDays } = FORM_LIMITS;
      problems.push(
        `sessionLifetime: expected stay, browser-close, idle (with idleMinutes ${idleMinutes.min} to ${idleMinutes.max}) or max-age (with maxAgeDays ${maxAgeDays.min} to ${maxAgeDays.max})`,
      );
    }
  }
  return { policy, problems };
}

/**
 * What the policy says of an origin: `blocked` (its site is listed as blocked; this wins),
 * `allowed` (listed as allowed), or null (the person decides).
 */
export function policyForSite(policy: OrganisationPolicy, origin: string): 'allowed' | 'blocked' | null {
  if (policy.blockedSites.some((blocked) => coversOrigin(blocked, origin))) return 'blocked';
  if (policy.allowedSites.includes(origin)) return 'allowed';
  return null;
}

/** A blocked entry covers its own origin and, scheme and port alike, every subdomain of its host. */
function coversOrigin(entry: string, origin: string): boolean {
  if (entry === origin) return true;
  let listed: URL;
  let asked: URL;
  try {
    listed = new URL(entry);
    asked = new URL(origin);
  } catch {
    return false;
  }
  return listed.protocol === asked.protocol && listed.port === asked.port && asked.hostname.endsWith(`.${listed.hostname}`);
}

/** Which settings the policy locks, for the options page. */
export interface PolicyLocks {
  endpoint: boolean;
  sessionLifetime: boolean;
  metahumanToken: boolean;
  /** Keys of the policy that could not be read, in words. */
  problems: string[];
}

export function policyLocks(policy: OrganisationPolicy, problems: string[]): PolicyLocks {
  return {
    endpoint: policy.endpoint !== undefined,
    sessionLifetime: policy.sessionLifetime !== undefined,
    metahumanToken: !policy.metahumanToken,
    problems,
  };
}
