/** The toolbar popup: shows the session and signs in with one click. */
import type { SessionInfo } from '../../core/session.ts';
import type { WalletInfo } from '../../core/protocol.ts';
import type { PopupState } from '../../core/ui-protocol.ts';
import { describeError } from '../../core/errors.ts';
import { ask, byTestId, onStateChanged, showMessage } from '../shared/background.ts';
import { formatCountdown, formatWhen } from '../shared/time.ts';

const root = byTestId('session');
const stateLabel = byTestId('state-label');
const address = byTestId('session-address');
const times = byTestId('session-times');
const expires = byTestId('token-expires');
const lapses = byTestId('session-lapses');
const errorBox = byTestId('error');
const signInButton = byTestId<HTMLButtonElement>('sign-in');
const refreshButton = byTestId<HTMLButtonElement>('refresh-now');
const signOutButton = byTestId<HTMLButtonElement>('sign-out');
const picker = byTestId('wallet-picker');
const walletList = byTestId('wallets');
const sites = byTestId('sites');
const sitesEmpty = byTestId('sites-empty');
const endpointLabel = byTestId('endpoint-label');
const accountsSection = byTestId('accounts-section');
const accountList = byTestId('accounts');
const addAccountButton = byTestId<HTMLButtonElement>('add-account');
const signOutAllButton = byTestId<HTMLButtonElement>('sign-out-all');
const switchOffer = byTestId('switch-offer');
const switchedAddress = byTestId('switched-address');
const signInSwitchedButton = byTestId<HTMLButtonElement>('sign-in-switched');

const LABELS: Record<PopupState['state'], string> = {
  'signed-out': 'Signed out',
  'signing-in': 'Signing in… confirm in your wallet',
  'signed-in': 'Signed in',
  refreshing: 'Refreshing the token…',
  expired: 'Session expired: sign in again',
};

/**
 * A local error (from a click) wins over the background's until the next action, or until the
 * session itself changes (a retry succeeded meanwhile, say), when it is no longer true.
 */
let localError: string | null = null;
let localErrorSession = '';
let current: PopupState | undefined;

function showError(message: string | null): void {
  showMessage(errorBox, message);
}

function tick(): void {
  const session = current?.session;
  if (!session) return;
  expires.textContent = formatCountdown(session.expiresAt - Date.now());
}

function renderSites(state: PopupState): void {
  sites.replaceChildren(
    ...state.sites.map(({ origin }) => {
      const item = document.createElement('li');
      item.dataset.testid = 'site';
      item.dataset.origin = origin;
      const label = document.createElement('span');
      label.textContent = origin;
      label.title = origin;
      const revoke = document.createElement('button');
      revoke.className = 'secondary';
      revoke.dataset.testid = 'revoke';
      revoke.textContent = 'Revoke';
      revoke.addEventListener('click', () => void run(() => ask({ type: 'revoke-site', origin })));
      item.append(label, revoke);
      return item;
    }),
  );
  sitesEmpty.hidden = state.sites.length > 0;
}

function shortAddress(address: string): string {
  return `${address.slice(0, 8)}…${address.slice(-6)}`;
}

function accountButton(testid: string, label: string, action: () => Promise<unknown>): HTMLButtonElement {
  const button = document.createElement('button');
  button.className = 'secondary';
  button.dataset.testid = testid;
  button.textContent = label;
  button.addEventListener('click', () => void run(action));
  return button;
}

/** Several accounts on this endpoint: each can be made active or signed out on its own. */
function renderAccounts(state: PopupState): void {
  accountsSection.hidden = state.accounts.length < 2;
  accountList.replaceChildren(
    ...state.accounts.map((account) => {
      const item = document.createElement('li');
      item.dataset.testid = 'account';
      item.dataset.address = account.address;
      item.dataset.active = String(account.active);
      const label = document.createElement('span');
      label.className = 'mono';
      label.textContent = shortAddress(account.address);
      label.title = account.address;
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = account.active ? 'active' : account.state === 'expired' ? 'expired' : '';
      item.append(label, tag);
      if (!account.active) item.append(accountButton('use-account', 'Use', () => ask({ type: 'activate-account', address: account.address })));
      item.append(accountButton('sign-out-account', 'Sign out', () => ask({ type: 'sign-out-account', address: account.address })));
      return item;
    }),
  );
  signOutAllButton.hidden = state.accounts.length < 2;
  addAccountButton.hidden = !state.session || state.state === 'signing-in';
  switchOffer.hidden = !state.switchedAccount || state.state === 'signing-in';
  switchedAddress.textContent = state.switchedAccount ?? '';
}

/** Which token pair the popup shows: a new one means whatever failed before has been overtaken. */
function tokenIdentity(state: PopupState): string {
  return state.session ? `${state.session.address} ${state.tokenObtainedAt}` : '';
}

function render(state: PopupState): void {
  current = state;
  if (localError && tokenIdentity(state) !== localErrorSession) localError = null;
  root.dataset.state = state.state;
  stateLabel.textContent = LABELS[state.state];
  endpointLabel.textContent = state.endpoint.baseUrl.replace(/^https?:\/\//, '');
  endpointLabel.title = `${state.endpoint.baseUrl} (${state.endpoint.version})`;
  const session: SessionInfo | null = state.session;
  address.hidden = !session;
  times.hidden = !session;
  address.textContent = session?.address ?? '';
  address.dataset.address = session?.address ?? '';
  expires.dataset.expiresAt = session ? String(session.expiresAt) : '';
  lapses.textContent = state.refreshExpiresAt ? `${formatWhen(state.refreshExpiresAt)} unless refreshed` : '';
  tick();
  const busy = state.state === 'signing-in';
  signInButton.hidden = !(state.state === 'signed-out' || state.state === 'expired' || busy);
  signInButton.disabled = busy;
  refreshButton.hidden = !(state.state === 'signed-in' || state.state === 'refreshing');
  refreshButton.disabled = state.state === 'refreshing';
  signOutButton.hidden = !session;
  if (session || busy) picker.hidden = true;
  showError(localError ?? state.error);
  renderAccounts(state);
  renderSites(state);
}

/** Reloads overlap (a change notice during a click's own reload): only the newest one renders. */
let latestReload = 0;

async function reload(): Promise<void> {
  const ticket = ++latestReload;
  const state = await ask({ type: 'get-state' });
  if (ticket === latestReload) render(state);
}

async function run(action: () => Promise<unknown>): Promise<void> {
  localError = null;
  showError(null);
  try {
    await action();
  } catch (error) {
    localError = describeError(error);
    localErrorSession = current ? tokenIdentity(current) : '';
  }
  await reload().catch((error: unknown) => showError(describeError(error)));
}

function signIn(walletId?: string): Promise<void> {
  picker.hidden = true;
  return run(() => ask({ type: 'sign-in', ...(walletId ? { walletId } : {}) }));
}

function showPicker(wallets: WalletInfo[]): void {
  walletList.replaceChildren(
    ...wallets.map((wallet) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.dataset.testid = 'wallet-option';
      button.dataset.walletId = wallet.id;
      if (wallet.icon) {
        const icon = document.createElement('img');
        icon.src = wallet.icon;
        icon.alt = '';
        button.append(icon);
      }
      button.append(wallet.name);
      button.addEventListener('click', () => void signIn(wallet.id));
      item.append(button);
      return item;
    }),
  );
  picker.hidden = false;
}

/** Sign-in: one wallet on the page signs at once; several let the person pick by name and icon. */
function startSignIn(): void {
  void run(async () => {
    const { origin, wallets } = await ask({ type: 'list-wallets' });
    if (wallets.length === 0) throw new Error(`No wallet found on ${origin}. Open a page where your wallet is available and try again.`);
    if (wallets.length > 1) {
      showPicker(wallets);
      return;
    }
    // The flow runs in the background: if the popup closes when the wallet takes focus, it goes on.
    await ask({ type: 'sign-in', walletId: wallets[0]!.id });
  });
}

signInButton.addEventListener('click', startSignIn);
addAccountButton.addEventListener('click', startSignIn);
signInSwitchedButton.addEventListener('click', startSignIn);
signOutAllButton.addEventListener('click', () => void run(() => ask({ type: 'sign-out', scope: 'all' })));
refreshButton.addEventListener('click', () => void run(() => ask({ type: 'refresh-now' })));
signOutButton.addEventListener('click', () => void run(() => ask({ type: 'sign-out', scope: 'active' })));

onStateChanged(() => void reload().catch((error: unknown) => showError(describeError(error))));
setInterval(tick, 1000);
void reload().catch((error: unknown) => showError(describeError(error)));
