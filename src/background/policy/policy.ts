/**
 * The organisation's policy in the background: read once per worker from managed storage (again
 * when the browser says it changed), and laid over what the person chose: the settings (a locked
 * endpoint, a locked session lifetime) and the allowed sites (allowed or blocked by policy). The
 * decisions are the pure core's (core/policy/policy.ts).
 */
import type { AllowedOrigin } from '../../core/consent/records.ts';
import { describeError, TakoError } from '../../core/contract/errors.ts';
import { type OrganisationPolicy, policyForSite, readPolicy } from '../../core/policy/policy.ts';
import type { Sites } from '../consent/sites.ts';
import type { Store } from '../storage/store.ts';

/** `storage.managed.get()`: what the organisation set; it rejects when none is set (Firefox). */
export type ReadManagedStorage = () => Promise<unknown>;

/** The last policy managed storage gave, kept across browser runs (`storage.local`). */
export interface PolicyKept {
  get(): Promise<unknown>;
  set(raw: unknown): Promise<void>;
}

export interface PolicyOptions {
  kept?: PolicyKept;
  /** Managed storage, answering late, said something else than the policy kept: apply it now. */
  onLateChange?: () => void;
}

type PolicyRead = { policy: OrganisationPolicy; problems: string[] };

/**
 * Read once per worker. After a browser start Chromium answers `storage.managed.get` only once it
 * has loaded its policies, seconds later (about 2.7 s on this project's machine), and every page
 * call and the popup would wait for it: the policy kept from the last read applies meanwhile, and
 * what managed storage then says, if different, is applied as a change of policy is. With nothing
 * kept (the first start ever), it is waited for.
 */
export function createPolicy(readManaged: ReadManagedStorage, options: PolicyOptions = {}) {
  const { kept, onLateChange } = options;
  let loaded: Promise<PolicyRead> | undefined;
  /** Bumped by reload(): a late answer from before a reload is not applied over it. */
  let generation = 0;
  const keep = (raw: unknown) =>
    kept?.set(raw).catch((error: unknown) => console.warn('Tako Session: the policy could not be kept:', describeError(error)));

  async function load(): Promise<PolicyRead> {
    const started = generation;
    // Nothing set reads as {} (Firefox rejects), so that "no policy" is kept too.
    const reading = readManaged().then(
      (raw) => raw ?? {},
      () => ({}),
    );
    const last = kept ? await kept.get().catch(() => undefined) : undefined;
    if (last === undefined) {
      const raw = await reading;
      void keep(raw);
      return readPolicy(raw);
    }
    void reading.then((raw) => {
      if (generation !== started || JSON.stringify(raw) === JSON.stringify(last)) return;
      void keep(raw);
      loaded = Promise.resolve(readPolicy(raw));
      onLateChange?.();
    });
    return readPolicy(last);
  }

  const current = () => {
    loaded ??= load();
    return loaded;
  };
  return {
    current,
    policy: async () => (await current()).policy,
    /** The browser changed the managed storage: read it again at the next question. */
    reload(): void {
      generation++;
      loaded = undefined;
    },
  };
}

export type Policy = ReturnType<typeof createPolicy>;

/**
 * The store with the policy laid over the settings: a locked endpoint is the one in use and the one
 * written; a locked session lifetime is every endpoint's (`lockedLifetime`, never stored).
 */
export function withPolicySettings(store: Store, policy: Policy): Store {
  return {
    ...store,
    async getSettings() {
      const [stored, { endpoint, sessionLifetime }] = await Promise.all([store.getSettings(), policy.policy()]);
      return {
        ...stored,
        ...(endpoint ? { endpoint } : {}),
        ...(sessionLifetime ? { lockedLifetime: sessionLifetime } : {}),
      };
    },
    async saveSettings(settings) {
      const { lockedLifetime: _, ...stored } = settings;
      await store.saveSettings(stored);
    },
  };
}

export const BLOCKED_BY_POLICY = 'This site is blocked by your organisation’s policy';
export const LOCKED_BY_POLICY = 'Set by your organisation’s policy';
export const METAHUMAN_OFF_BY_POLICY = 'The MetaHuman SDK token is turned off by your organisation’s policy';

/**
 * The sites with the policy laid over them: a blocked site is not allowed (even if the person
 * allowed it before), an allowed one is, without asking, and cannot be revoked.
 */
export function withPolicySites(sites: Sites, policy: Policy): Sites {
  const rule = async (origin: string) => policyForSite(await policy.policy(), origin);
  return {
    ...sites,
    async isAllowed(origin, tabId) {
      const decided = await rule(origin);
      return decided === null ? sites.isAllowed(origin, tabId) : decided === 'allowed';
    },
    async list(options): Promise<AllowedOrigin[]> {
      const [stored, current] = await Promise.all([sites.list(options), policy.policy()]);
      const listed = stored
        .filter((site) => policyForSite(current, site.origin) !== 'blocked')
        .map((site) => (policyForSite(current, site.origin) === 'allowed' ? { ...site, byPolicy: true as const } : site));
      const added = current.allowedSites
        .filter((origin) => policyForSite(current, origin) === 'allowed' && !stored.some((site) => site.origin === origin))
        .map((origin) => ({ origin, allowedAt: 0, metahuman: false, byPolicy: true as const }));
      return [...listed, ...added];
    },
    async allow(origin, terms) {
      if ((await rule(origin)) === 'blocked') throw new TakoError('not-allowed', BLOCKED_BY_POLICY);
      return sites.allow(origin, terms);
    },
    async hasMetahuman(origin) {
      return (await rule(origin)) !== 'blocked' && sites.hasMetahuman(origin);
    },
    async grantMetahuman(origin) {
      const decided = await rule(origin);
      if (decided === 'blocked') return false;
      // A site allowed by policy has no record of its own until it gets its MetaHuman grant.
      if (decided === 'allowed')
        await sites.allow(origin, (await sites.tokenAccessOf(origin)) === 'header' ? { tokenAccess: 'header' } : {});
      return sites.grantMetahuman(origin);
    },
    async revoke(origin) {
      if ((await rule(origin)) === 'allowed') {
        throw new TakoError('internal', 'This site is allowed by your organisation’s policy and cannot be revoked here');
      }
      return sites.revoke(origin);
    },
  };
}
