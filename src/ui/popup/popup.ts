/** The toolbar popup: shows the session and signs in with one click. */
import type { SessionInfo } from '../../core/session.ts';
import type { WalletInfo } from '../../core/protocol.ts';
import type { PopupState, SignInSource, SignInSourceView } from '../../core/ui-protocol.ts';
import { describeError, SIGN_IN_CANCELLED } from '../../core/errors.ts';
import { ask, onStateChanged } from '../shared/background.ts';
import { byTestIds, showMessage } from '../shared/dom.ts';
import { formatCountdown, formatWhen } from '../shared/time.ts';

const el = byTestIds({
  session: 'session',
  stateLabel: 'state-label',
  address: 'session-address',
  times: 'session-times',
  expires: 'token-expires',
  lapses: 'session-lapses',
  error: 'error',
  picker: 'wallet-picker',
  wallets: 'wallets',
  sites: 'sites',
  sitesEmpty: 'sites-empty',
  cooldownsSection: 'cooldowns-section',
  cooldowns: 'cooldowns',
  endpointLabel: 'endpoint-label',
  accountsSection: 'accounts-section',
  accounts: 'accounts',
  switchOffer: 'switch-offer',
  switchedAddress: 'switched-address',
  sourceSection: 'sign-in-source-section',
  source: 'sign-in-source',
  noSource: 'no-sign-in-source',
});
const sourcePicker = byTestIds({ select: 'sign-in-source-picker' }, HTMLSelectElement).select;
const buttons = byTestIds(
  {
    signIn: 'sign-in',
    refreshNow: 'refresh-now',
    signOut: 'sign-out',
    addAccount: 'add-account',
    signOutAll: 'sign-out-all',
    signInSwitched: 'sign-in-switched',
    cancelSignIn: 'cancel-sign-in',
  },
  HTMLButtonElement,
);

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
  showMessage(el.error, message);
}

function tick(): void {
  const session = current?.session;
  if (!session) return;
  el.expires.textContent = formatCountdown(session.expiresAt - Date.now());
}

function renderSites(state: PopupState): void {
  el.sites.replaceChildren(
    ...state.sites.map(({ origin, metahuman }) => {
      const item = document.createElement('li');
      item.dataset.testid = 'site';
      item.dataset.origin = origin;
      item.dataset.metahuman = String(metahuman);
      const label = document.createElement('span');
      label.textContent = metahuman ? `${origin} (+ MetaHuman token)` : origin;
      label.title = metahuman ? `${origin}: your Tako session and your MetaHuman SDK token` : `${origin}: your Tako session`;
      item.append(label, actionButton('revoke', 'Revoke', () => ask({ type: 'revoke-site', origin })));
      return item;
    }),
  );
  el.sitesEmpty.hidden = state.sites.length > 0;
}

/** Origins refused for a while after the person said no; each can be let to ask again. */
function renderCooldowns(state: PopupState): void {
  const origins = [...new Map(state.cooldowns.map((cooldown) => [cooldown.origin, cooldown])).values()];
  el.cooldowns.replaceChildren(
    ...origins.map(({ origin, until }) => {
      const item = document.createElement('li');
      item.dataset.testid = 'cooldown';
      item.dataset.origin = origin;
      item.dataset.until = String(until);
      const label = document.createElement('span');
      label.textContent = `${origin} until ${formatWhen(until)}`;
      label.title = origin;
      item.append(label, actionButton('lift-cooldown', 'Let it ask', () => ask({ type: 'lift-cooldown', origin })));
      return item;
    }),
  );
  el.cooldownsSection.hidden = origins.length === 0;
}

function shortAddress(address: string): string {
  return `${address.slice(0, 8)}…${address.slice(-6)}`;
}

/** A secondary button that runs `action` (its errors shown in the popup). */
function actionButton(testid: string, label: string, action: () => Promise<unknown>): HTMLButtonElement {
  const button = document.createElement('button');
  button.className = 'secondary';
  button.dataset.testid = testid;
  button.textContent = label;
  button.addEventListener('click', () => void run(action));
  return button;
}

/** Several accounts on this endpoint: each can be made active or signed out on its own. */
function renderAccounts(state: PopupState): void {
  el.accountsSection.hidden = state.accounts.length < 2;
  el.accounts.replaceChildren(
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
      if (!account.active) item.append(actionButton('use-account', 'Use', () => ask({ type: 'activate-account', address: account.address })));
      item.append(actionButton('sign-out-account', 'Sign out', () => ask({ type: 'sign-out-account', address: account.address })));
      return item;
    }),
  );
  buttons.signOutAll.hidden = state.accounts.length < 2;
  buttons.addAccount.hidden = !state.session || state.state === 'signing-in';
  el.switchOffer.hidden = !state.switchedAccount || state.state === 'signing-in';
  el.switchedAddress.textContent = state.switchedAccount ?? '';
}

/**
 * Where the signature will come from, named before anything is sent: the background lists the
 * sources with the one it would use first (a wallet extension, else the page in front, else the most
 * recently used page); the person may pick another. Only the named source is ever used.
 */
let sources: SignInSourceView[] = [];
let chosenKey: string | undefined;

function sourceKey(source: SignInSourceView): string {
  return source.kind === 'extension' ? `extension ${source.extensionId}` : `page ${source.tabId} ${source.origin}`;
}

function chosenSource(): SignInSourceView | undefined {
  return sources.find((source) => sourceKey(source) === chosenKey) ?? sources[0];
}

function describeSource(source: SignInSourceView): string {
  return source.kind === 'extension' ? `${source.name} (wallet extension)` : `the wallet on ${source.origin}`;
}

function renderSources(state: PopupState | undefined): void {
  const chosen = chosenSource();
  chosenKey = chosen ? sourceKey(chosen) : undefined;
  // Named wherever a sign-in can start: the sign-in button, "add account", the switched-wallet offer.
  const offered = !!state && state.state !== 'signing-in' && (!buttons.signIn.hidden || !buttons.addAccount.hidden || !el.switchOffer.hidden);
  el.sourceSection.hidden = !offered || !chosen;
  el.noSource.hidden = !offered || !!chosen;
  el.source.dataset.kind = chosen?.kind ?? '';
  el.source.dataset.origin = chosen?.kind === 'page' ? chosen.origin : '';
  el.source.textContent = chosen ? describeSource(chosen) : '';
  el.source.title = chosen?.kind === 'page' ? `${chosen.title}\n${chosen.origin}` : (chosen?.extensionId ?? '');
  sourcePicker.replaceChildren(
    ...sources.map((source) => {
      const option = document.createElement('option');
      option.value = sourceKey(source);
      option.dataset.kind = source.kind;
      if (source.kind === 'page') option.dataset.origin = source.origin;
      option.textContent = source.kind === 'page' && source.title ? `${source.origin} (${source.title})` : describeSource(source);
      option.selected = option.value === chosenKey;
      return option;
    }),
  );
  sourcePicker.parentElement!.hidden = sources.length < 2;
}

/** The request form of a listed source: what the person was shown, and nothing more. */
function requestSource(source: SignInSourceView): SignInSource {
  return source.kind === 'extension' ? { kind: 'extension', extensionId: source.extensionId } : { kind: 'page', tabId: source.tabId, origin: source.origin };
}

/** Which token pair the popup shows: a new one means whatever failed before has been overtaken. */
function tokenIdentity(state: PopupState): string {
  return state.session ? `${state.session.address} ${state.tokenObtainedAt}` : '';
}

function render(state: PopupState): void {
  current = state;
  if (localError && tokenIdentity(state) !== localErrorSession) localError = null;
  el.session.dataset.state = state.state;
  el.stateLabel.textContent = LABELS[state.state];
  el.endpointLabel.textContent = state.endpoint.baseUrl.replace(/^https?:\/\//, '');
  el.endpointLabel.title = `${state.endpoint.baseUrl} (${state.endpoint.version})`;
  const session: SessionInfo | null = state.session;
  el.address.hidden = !session;
  el.times.hidden = !session;
  el.address.textContent = session?.address ?? '';
  el.address.dataset.address = session?.address ?? '';
  el.expires.dataset.expiresAt = session ? String(session.expiresAt) : '';
  el.lapses.textContent = state.refreshExpiresAt ? `${formatWhen(state.refreshExpiresAt)} unless refreshed` : '';
  tick();
  const busy = state.state === 'signing-in';
  buttons.signIn.hidden = !(state.state === 'signed-out' || state.state === 'expired' || busy);
  buttons.signIn.disabled = busy;
  buttons.refreshNow.hidden = !(state.state === 'signed-in' || state.state === 'refreshing');
  buttons.refreshNow.disabled = state.state === 'refreshing';
  buttons.signOut.hidden = !session;
  if (session || busy) el.picker.hidden = true;
  buttons.cancelSignIn.hidden = !busy;
  showError(localError ?? state.error);
  renderAccounts(state);
  renderSites(state);
  renderCooldowns(state);
  renderSources(state);
}

/** Reloads overlap (a change notice during a click's own reload): only the newest one renders. */
let latestReload = 0;

/**
 * `withSources`: list the sign-in sources again too (on opening and after each action; finding a
 * wallet extension costs a round trip to it, too much for every change notice).
 */
async function reload(withSources = false): Promise<void> {
  const ticket = ++latestReload;
  const [state, listed] = await Promise.all([ask({ type: 'get-state' }), withSources ? ask({ type: 'list-sign-in-sources' }) : undefined]);
  if (listed) sources = listed;
  if (ticket === latestReload) render(state);
  else if (listed) renderSources(current);
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
  await reload(true).catch((error: unknown) => showError(describeError(error)));
}

/**
 * Asks for the sign-in and waits for its end (it goes on in the background if the popup closes).
 * One the person cancelled ends quietly.
 */
async function askSignIn(source: SignInSource, walletId?: string): Promise<void> {
  try {
    await ask({ type: 'sign-in', source, ...(walletId ? { walletId } : {}) });
  } catch (error) {
    if ((error as Error).message !== SIGN_IN_CANCELLED) throw error;
  }
}

function signIn(source: SignInSource, walletId?: string): Promise<void> {
  el.picker.hidden = true;
  return run(() => askSignIn(source, walletId));
}

function showPicker(source: SignInSource, wallets: WalletInfo[]): void {
  el.wallets.replaceChildren(
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
      button.addEventListener('click', () => void signIn(source, wallet.id));
      item.append(button);
      return item;
    }),
  );
  el.picker.hidden = false;
}

/**
 * Sign-in with the named source. A page's wallet: one wallet there signs at once; several let the
 * person pick by name and icon.
 */
function startSignIn(): void {
  void run(async () => {
    const named = chosenSource();
    if (!named) throw new Error(el.noSource.textContent?.trim() ?? 'No wallet to sign in with');
    const source = requestSource(named);
    if (source.kind === 'extension') {
      await askSignIn(source);
      return;
    }
    const { origin, wallets } = await ask({ type: 'list-wallets', source });
    if (wallets.length === 0) throw new Error(`No wallet found on ${origin}. Open a page where your wallet is available and try again.`);
    if (wallets.length > 1) {
      showPicker(source, wallets);
      return;
    }
    await askSignIn(source, wallets[0]!.id);
  });
}

buttons.signIn.addEventListener('click', startSignIn);
buttons.addAccount.addEventListener('click', startSignIn);
buttons.signInSwitched.addEventListener('click', startSignIn);
buttons.cancelSignIn.addEventListener('click', () => void run(() => ask({ type: 'cancel-sign-in' })));
sourcePicker.addEventListener('change', () => {
  chosenKey = sourcePicker.value;
  el.picker.hidden = true;
  renderSources(current);
});
buttons.signOutAll.addEventListener('click', () => void run(() => ask({ type: 'sign-out', scope: 'all' })));
buttons.refreshNow.addEventListener('click', () => void run(() => ask({ type: 'refresh-now' })));
buttons.signOut.addEventListener('click', () => void run(() => ask({ type: 'sign-out', scope: 'active' })));

onStateChanged(() => void reload().catch((error: unknown) => showError(describeError(error))));
setInterval(tick, 1000);
void reload(true).catch((error: unknown) => showError(describeError(error)));
