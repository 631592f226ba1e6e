/**
 * Header-only access: a site allowed this way never reads a token; the browser adds
 * `Authorization: Bearer <token>` to its requests to the Tako API, by declarativeNetRequest session
 * rules. This is the pure part: from the sites with such a grant, the tabs showing them, the
 * sessions and the endpoint, the exact list of rules, each with an id that depends only on its
 * site. The background applies the list in one `updateSessionRules` call (removing every rule it
 * holds and adding these), so that a request sees the old set or the new one, never a mix.
 *
 * Who gets the header, and who never does:
 * - only requests to the endpoint's own origin (scheme, host and port: `urlFilter` anchored at
 *   its start), of the kinds a page's script makes (`fetch`, XHR, and the rest below), never a
 *   navigation;
 * - only from tabs whose top document is the allowed origin itself (`tabIds`), and only when the
 *   request's initiator is in the site's domain (`initiatorDomains`). `initiatorDomains` alone
 *   would take in every subdomain and every port of that host: `tabIds` is what keeps a page of
 *   `evil.app.example`, or of `app.example:8080`, in a tab of its own, out; other known sites under
 *   the site's host are excluded by name as well (`excludedInitiatorDomains`), for their frames;
 * - only the token of the account the site is bound to (or of the active account, for a site
 *   bound to none), and only while that session is signed in: an expired or signed-out session
 *   adds no rule, nor does a site with no tab open.
 */

/** How a site receives the session: tokens handed to its JavaScript, or only a header the browser adds. */
export type TokenAccess = 'token' | 'header';
export const TOKEN_ACCESS_MODES = ['token', 'header'] as const satisfies readonly TokenAccess[];

/** The resource types a page's scripts can send to the API with: everything but navigations. */
export const HEADER_RESOURCE_TYPES = ['xmlhttprequest', 'other', 'ping', 'websocket'] as const;

/** A declarativeNetRequest rule, as this module makes them (the browser's type, narrowed). */
export interface HeaderRule {
  id: number;
  priority: number;
  action: {
    type: 'modifyHeaders';
    requestHeaders: Array<{ header: 'Authorization'; operation: 'set'; value: string }>;
  };
  condition: {
    urlFilter: string;
    initiatorDomains: string[];
    excludedInitiatorDomains?: string[];
    tabIds: number[];
    resourceTypes: Array<(typeof HEADER_RESOURCE_TYPES)[number]>;
  };
}

export interface HeaderRulesInput {
  /** The active endpoint's base URL: its origin is the only place the header goes. */
  apiBaseUrl: string;
  /** Every allowed site, each with how it receives the session and the account it is bound to. */
  sites: ReadonlyArray<{ origin: string; tokenAccess?: TokenAccess; account?: string }>;
  /** Open tabs with the URL of their top document. */
  tabs: ReadonlyArray<{ id?: number; url?: string }>;
  /** The sessions of the active endpoint (only a signed-in one gives a header). */
  sessions: ReadonlyArray<{ address: string; accessToken: string; state: 'signed-in' | 'expired' }>;
  /** The active account of that endpoint, for sites bound to none. */
  activeAddress?: string;
}

/** Ids from 1 up to this: room for any number of sites, and within the browser's integer range. */
const ID_SPACE = 2 ** 30;

/** FNV-1a of the origin: the same site gets the same id in every worker. */
function hashOf(origin: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < origin.length; i++) {
    hash ^= origin.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Each origin's rule id: its hash, moved on by one while another origin (in sorted order) holds
 * it. Stable for a site as long as no two sites share a hash, which is all but certain.
 */
export function headerRuleIds(origins: readonly string[]): Map<string, number> {
  const ids = new Map<string, number>();
  const taken = new Set<number>();
  for (const origin of [...new Set(origins)].sort()) {
    let id = (hashOf(origin) % ID_SPACE) + 1;
    while (taken.has(id)) id = (id % ID_SPACE) + 1;
    taken.add(id);
    ids.set(origin, id);
  }
  return ids;
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const { protocol, origin } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? origin : undefined;
  } catch {
    return undefined;
  }
}

const sameAddress = (a: string, b: string | undefined) => b !== undefined && a.toLowerCase() === b.toLowerCase();

/** The rules for these inputs, ordered by id. */
export function headerRules(input: HeaderRulesInput): HeaderRule[] {
  const api = originOf(input.apiBaseUrl);
  if (!api) return [];
  const headerSites = input.sites.filter((site) => site.tokenAccess === 'header');
  const ids = headerRuleIds(headerSites.map((site) => site.origin));
  const knownHosts = input.sites.map((site) => originOf(site.origin)).flatMap((origin) => (origin ? [new URL(origin).hostname] : []));
  const rules: HeaderRule[] = [];
  for (const site of headerSites) {
    const origin = originOf(site.origin);
    if (!origin || origin !== site.origin) continue;
    const tabIds = input.tabs
      .filter((tab) => tab.id !== undefined && tab.id >= 0 && originOf(tab.url) === origin)
      .map((tab) => tab.id!)
      .sort((a, b) => a - b);
    if (tabIds.length === 0) continue;
    const bound = site.account ?? input.activeAddress;
    const session = input.sessions.find((candidate) => sameAddress(candidate.address, bound));
    if (session?.state !== 'signed-in' || !session.accessToken) continue;
    const host = new URL(origin).hostname;
    const below = [...new Set(knownHosts.filter((other) => other.endsWith(`.${host}`)))].sort();
    rules.push({
      id: ids.get(site.origin)!,
      priority: 1,
      action: {
        type: 'modifyHeaders',
        requestHeaders: [{ header: 'Authorization', operation: 'set', value: `Bearer ${session.accessToken}` }],
      },
      condition: {
        urlFilter: `|${api}/`,
        initiatorDomains: [host],
        ...(below.length > 0 ? { excludedInitiatorDomains: below } : {}),
        tabIds,
        resourceTypes: [...HEADER_RESOURCE_TYPES],
      },
    });
  }
  return rules.sort((a, b) => a.id - b.id);
}

/**
 * The one update that replaces every rule the browser holds (`heldIds`) with `next`: one call, so
 * that no request sees some of the old rules and some of the new, or none between the two.
 */
export function headerRulesUpdate(
  heldIds: readonly number[],
  next: readonly HeaderRule[],
): { removeRuleIds: number[]; addRules: HeaderRule[] } {
  return { removeRuleIds: [...new Set(heldIds)].sort((a, b) => a - b), addRules: [...next] };
}
