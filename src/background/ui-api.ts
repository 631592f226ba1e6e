/** What the extension's own pages (popup, options, approval) may ask the background. */
import browser from 'webextension-polyfill';
import { customEndpoint, hostPermissionFor, isLoopbackUrl, PRESET_ENDPOINTS, type Endpoint } from '../core/endpoints.ts';
import { TakoError } from '../core/errors.ts';
import type { EndpointSetting, UiToBackground } from '../core/protocol.ts';
import type { SessionInfo } from '../core/session.ts';
import type { Approvals } from './approvals.ts';
import type { Metahuman } from './metahuman.ts';
import type { SessionService } from './session-service.ts';
import type { Sites } from './sites.ts';
import type { AllowedOrigin, Settings, Store } from './store.ts';
import { findTargetTab, listTabWallets, tabWallet } from './wallet.ts';

export type PopupStateName = 'signed-out' | 'signing-in' | 'signed-in' | 'refreshing' | 'expired';

export interface AccountInfo extends SessionInfo {
  active: boolean;
}

export interface PopupState {
  state: PopupStateName;
  session: SessionInfo | null;
  /** Every account signed in on the current endpoint. */
  accounts: AccountInfo[];
  /** The wallet switched to this account, which has no session yet. */
  switchedAccount: string | null;
  refreshExpiresAt: number | null;
  /**
   * When the current token pair arrived. Every sign-in and refresh changes it, even when the new
   * token's expiry (whole seconds) equals the old one's.
   */
  tokenObtainedAt: number | null;
  error: string | null;
  endpoint: Endpoint;
  sites: AllowedOrigin[];
}

export interface UiApiDeps {
  service: SessionService;
  store: Store;
  sites: Sites;
  approvals: Approvals;
  metahuman: Metahuman;
  onSitesChanged: () => void;
  onSettingsChanged: () => void;
}

async function endpointFrom(setting: EndpointSetting): Promise<Endpoint> {
  if (setting.preset !== 'custom') return PRESET_ENDPOINTS[setting.preset];
  const endpoint = customEndpoint(setting.baseUrl, setting.version);
  // The options page asks for the host when the person saves; refuse to point at a host we
  // cannot reach rather than fail at sign-in.
  if (!isLoopbackUrl(endpoint.baseUrl)) {
    const granted = await browser.permissions.contains({ origins: [hostPermissionFor(endpoint.baseUrl)] });
    if (!granted) throw new TakoError('rejected', `Access to ${new URL(endpoint.baseUrl).host} was not granted, so it cannot be used`);
  }
  return endpoint;
}

export function createUiApi(deps: UiApiDeps) {
  const { service, store, sites, approvals } = deps;

  async function popupState(): Promise<PopupState> {
    const [snapshot, settings, allowed] = await Promise.all([service.snapshot(), store.getSettings(), sites.list()]);
    const state: PopupStateName = snapshot.signingIn ? 'signing-in' : (snapshot.session?.state ?? 'signed-out');
    return {
      state,
      session: snapshot.session,
      accounts: snapshot.accounts,
      switchedAccount: snapshot.switchedAccount,
      refreshExpiresAt: snapshot.refreshExpiresAt,
      tokenObtainedAt: snapshot.tokenObtainedAt,
      error: snapshot.signingIn ? null : (snapshot.lastSignInError ?? snapshot.lastError),
      endpoint: settings.endpoint,
      sites: allowed,
    };
  }

  async function handle(message: UiToBackground): Promise<unknown> {
    switch (message.type) {
      case 'get-state':
        return popupState();
      case 'list-wallets': {
        const tab = await findTargetTab();
        return { origin: new URL(tab.url).origin, wallets: await listTabWallets(tab.id) };
      }
      case 'sign-in': {
        const tab = await findTargetTab();
        return service.signIn(tabWallet(tab.id), message.walletId);
      }
      case 'refresh-now':
        return service.refreshNow();
      case 'sign-out':
        await service.signOut(message.scope);
        return null;
      case 'sign-out-account':
        await service.signOut({ address: message.address });
        return null;
      case 'activate-account':
        return service.activate(message.address);
      case 'get-settings':
        return store.getSettings();
      case 'save-settings': {
        const settings: Settings = { v: 1, endpoint: await endpointFrom(message.endpoint) };
        await store.saveSettings(settings);
        deps.onSettingsChanged();
        return settings;
      }
      case 'revoke-site': {
        await sites.revoke(message.origin);
        deps.onSitesChanged();
        return null;
      }
      case 'get-approval': {
        const origin = approvals.originOf(message.requestId);
        if (!origin) throw new TakoError('invalid', 'This request is no longer pending');
        return { origin };
      }
      case 'answer-approval': {
        const answered = await approvals.answer(message.requestId, message.approved);
        if (!answered) throw new TakoError('invalid', 'This request is no longer pending');
        return null;
      }
      case 'get-metahuman':
        return deps.metahuman.view();
      case 'obtain-metahuman':
        return deps.metahuman.obtain(message);
      case 'save-metahuman-settings':
        return deps.metahuman.saveSettings(message.baseUrl);
    }
  }

  return { handle, popupState };
}
