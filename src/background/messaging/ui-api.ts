/** What the extension's own pages (popup, options, approval) may ask the background. */

import { TakoError } from '../../core/contract/errors.ts';
import { type EndpointSetting, type PopupState, popupStateName, type UiHandlers, type UiRequest } from '../../core/contract/ui-protocol.ts';
import type { DetectedWalletExtension } from '../../core/eth/wallet-extension.ts';
import { parseWalletExtensionId } from '../../core/eth/wallet-extension.ts';
import { policyLocks } from '../../core/policy/policy.ts';
import { customEndpoint, type Endpoint, endpointKey, PRESET_ENDPOINTS } from '../../core/session/endpoints.ts';
import type { Approvals } from '../consent/approvals.ts';
import type { Sites } from '../consent/sites.ts';
import { LOCKED_BY_POLICY, METAHUMAN_OFF_BY_POLICY, type Policy } from '../policy/policy.ts';
import type { HasHostPermission } from '../ports/ports.ts';
import type { Metahuman } from '../session/metahuman.ts';
import type { SessionService } from '../session/service.ts';
import type { Store } from '../storage/store.ts';
import type { DirectWallets } from '../wallets/direct-wallet.ts';
import type { PageWallets, PinnedPage } from '../wallets/page-wallet.ts';

export interface UiApiDeps {
  service: Pick<SessionService, 'snapshot' | 'signIn' | 'cancelSignIn' | 'refreshNow' | 'signOut' | 'activate' | 'onLifetimesChanged'>;
  store: Pick<Store, 'getSettings' | 'saveSettings'>;
  sites: Pick<Sites, 'list' | 'revoke' | 'clearActivity' | 'moveTo'>;
  approvals: Pick<Approvals, 'view' | 'answer' | 'cooldowns' | 'lift' | 'withdraw'>;
  metahuman: Pick<Metahuman, 'view' | 'obtain' | 'saveSettings'>;
  wallets: Pick<PageWallets, 'listPages' | 'pin' | 'pageWallet' | 'listWallets'>;
  /** Wallet extensions reached directly (direct-wallet.ts). */
  directWallets: Pick<DirectWallets, 'wallet'>;
  /** The wallet extension in the settings, else MetaMask stable or Flask: the first one installed. */
  walletExtension: () => Promise<DetectedWalletExtension | null>;
  hasHostPermission: HasHostPermission;
  /** The organisation's policy: what it locks is refused here and shown as locked. */
  policy: Pick<Policy, 'current'>;
  /** The site list or the settings changed. */
  onChanged: () => void;
  /** The unused-sites option changed: grants it ends now are removed, and the alarm set again. */
  onSiteRulesChanged: () => Promise<void>;
}

export function createUiApi(deps: UiApiDeps) {
  const { service, store, sites, approvals, metahuman, wallets } = deps;

  /**
   * The account a site is to be bound to: `named` when it is signed in on the current endpoint (its
   * address as the session spells it), else a clear refusal; none named: the active account.
   */
  async function boundAccount(named: string | undefined): Promise<string | undefined> {
    const { accounts } = await service.snapshot();
    if (named === undefined) return accounts.find((account) => account.active)?.address;
    const match = accounts.find((account) => account.address.toLowerCase() === named.toLowerCase());
    if (!match) throw new TakoError('invalid', `${named} is not signed in`);
    return match.address;
  }
  /**
   * The document pinned when the popup listed the named page's wallets: the sign-in that follows
   * goes to that same document, or fails if the tab has moved on.
   */
  let listed: PinnedPage | undefined;

  async function pinnedFor(source: { tabId: number; origin: string }): Promise<PinnedPage> {
    if (listed && listed.tabId === source.tabId && listed.origin === source.origin) return listed;
    return wallets.pin(source.tabId, source.origin);
  }

  async function endpointFrom(setting: EndpointSetting): Promise<Endpoint> {
    if (setting.preset !== 'custom') return PRESET_ENDPOINTS[setting.preset];
    const endpoint = customEndpoint(setting.baseUrl, setting.version);
    // The options page asks for the host when the person saves (this computer's too: only the
    // development build has it from the manifest); refuse to point at a host we cannot reach
    // rather than fail at sign-in.
    if (!(await deps.hasHostPermission(endpoint.baseUrl))) {
      throw new TakoError('rejected', `Access to ${new URL(endpoint.baseUrl).host} was not granted, so it cannot be used`);
    }
    return endpoint;
  }

  async function popupState(): Promise<PopupState> {
    const [snapshot, settings, allowed, cooldowns] = await Promise.all([
      service.snapshot(),
      store.getSettings(),
      sites.list(),
      approvals.cooldowns(),
    ]);
    return {
      state: popupStateName(snapshot.signingIn, snapshot.session),
      session: snapshot.session,
      accounts: snapshot.accounts,
      switchedAccount: snapshot.switchedAccount,
      refreshExpiresAt: snapshot.refreshExpiresAt,
      tokenObtainedAt: snapshot.tokenObtainedAt,
      lifetimeEnding: snapshot.lifetimeEnding,
      lifetimeEndsAt: snapshot.lifetimeEndsAt,
      error: snapshot.signingIn ? null : (snapshot.lastSignInError ?? snapshot.lastError),
      endpoint: settings.endpoint,
      sites: allowed,
      cooldowns,
    };
  }

  const handlers: UiHandlers = {
    'get-state': popupState,
    // The wallet extension first: with it, no web page takes part in the sign-in.
    'list-sign-in-sources': async () => {
      const [direct, pages] = await Promise.all([deps.walletExtension(), wallets.listPages()]);
      return [...(direct ? [{ kind: 'extension' as const, ...direct }] : []), ...pages];
    },
    'list-wallets': async ({ source }) => {
      listed = undefined;
      const page = await wallets.pin(source.tabId, source.origin);
      listed = page;
      return { origin: page.origin, wallets: await wallets.listWallets(page) };
    },
    'sign-in': async ({ source, walletId }) => {
      if (source.kind === 'extension') {
        const extensionId = parseWalletExtensionId(source.extensionId);
        if (!extensionId) throw new TakoError('invalid', 'Name the wallet extension to sign in with');
        return service.signIn(deps.directWallets.wallet(extensionId));
      }
      return service.signIn(wallets.pageWallet(await pinnedFor(source)), walletId);
    },
    'cancel-sign-in': async () => {
      service.cancelSignIn();
      return null;
    },
    'refresh-now': () => service.refreshNow(),
    'sign-out': async (request) => {
      await service.signOut(request.scope);
      return null;
    },
    'sign-out-account': async (request) => {
      await service.signOut({ address: request.address });
      return null;
    },
    'activate-account': (request) => service.activate(request.address),
    'get-settings': async () => {
      const [settings, { policy, problems }] = await Promise.all([store.getSettings(), deps.policy.current()]);
      return { ...settings, locks: policyLocks(policy, problems) };
    },
    'save-settings': async (request) => {
      // Everything is checked before anything is stored: a bad id or endpoint, or a setting the
      // organisation's policy locks, changes nothing.
      const { policy } = await deps.policy.current();
      const stored = await store.getSettings();
      const walletExtensionId =
        request.walletExtensionId === undefined ? stored.walletExtensionId : parseWalletExtensionId(request.walletExtensionId);
      const endpoint = await endpointFrom(request.endpoint);
      if (policy.endpoint && endpointKey(endpoint) !== endpointKey(policy.endpoint)) {
        throw new TakoError('invalid', `${LOCKED_BY_POLICY}: the Tako API is ${policy.endpoint.baseUrl} (${policy.endpoint.version})`);
      }
      const lifetime = request.sessionLifetime;
      if (policy.sessionLifetime && lifetime && JSON.stringify(lifetime) !== JSON.stringify(policy.sessionLifetime)) {
        throw new TakoError('invalid', `${LOCKED_BY_POLICY}: how long you stay signed in`);
      }
      const lifetimes = lifetime && !policy.sessionLifetime ? { ...stored.lifetimes, [endpointKey(endpoint)]: lifetime } : stored.lifetimes;
      const forgetUnusedDays = request.forgetUnusedDays === undefined ? stored.forgetUnusedDays : (request.forgetUnusedDays ?? undefined);
      await store.saveSettings({
        v: 1,
        endpoint,
        ...(walletExtensionId ? { walletExtensionId } : {}),
        ...(lifetimes ? { lifetimes } : {}),
        ...(forgetUnusedDays !== undefined ? { forgetUnusedDays } : {}),
      });
      // Sites unused for longer than a new limit are removed now, not at the next alarm.
      if (request.forgetUnusedDays !== undefined) await deps.onSiteRulesChanged();
      // A session already past its endpoint's new lifetime ends now, not at its next alarm.
      if (lifetime) await service.onLifetimesChanged();
      deps.onChanged();
      return store.getSettings();
    },
    'revoke-site': async (request) => {
      await sites.revoke(request.origin);
      // A MetaHuman approval still open for the site ends with it: revoking wins over a grant in flight.
      await approvals.withdraw(request.origin);
      deps.onChanged();
      return null;
    },
    'move-site': async ({ origin, address }) => {
      const account = await boundAccount(address);
      if (!account || !(await sites.moveTo(origin, account)))
        throw new TakoError('invalid', `${origin.slice(0, 200)} is not an allowed site`);
      deps.onChanged();
      return null;
    },
    'clear-activity': async () => {
      await sites.clearActivity();
      deps.onChanged();
      return null;
    },
    'get-approval': async (request) => {
      const view = await approvals.view(request.requestId);
      if (!view) throw new TakoError('invalid', 'This request is no longer pending');
      const { accounts } = await service.snapshot();
      return { ...view, accounts: accounts.map(({ address, active }) => ({ address, active })) };
    },
    'answer-approval': async (request) => {
      // The site is bound to the account named, which must be signed in; none named: the active one.
      const account = request.approved ? await boundAccount(request.account) : undefined;
      const answered = await approvals.answer(request.requestId, request.approved, request.duration, account);
      if (!answered) throw new TakoError('invalid', 'This request is no longer pending');
      return null;
    },
    'lift-cooldown': async (request) => {
      await approvals.lift(request.site);
      return null;
    },
    'get-metahuman': () => metahuman.view(),
    'obtain-metahuman': async (request) => {
      if (!(await deps.policy.current()).policy.metahumanToken) throw new TakoError('invalid', METAHUMAN_OFF_BY_POLICY);
      return metahuman.obtain(request);
    },
    'save-metahuman-settings': (request) => metahuman.saveSettings(request.baseUrl),
  };

  return {
    /** Each request type has exactly one handler, typed by its reply (`UiHandlers`). */
    handle(request: UiRequest): Promise<unknown> {
      const handler = handlers[request.type] as (request: UiRequest) => Promise<unknown>;
      return handler(request);
    },
  };
}

export type UiApi = ReturnType<typeof createUiApi>;
