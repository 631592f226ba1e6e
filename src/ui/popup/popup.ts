/** The toolbar popup: shows the session and signs in with one click. */

import browser from 'webextension-polyfill';
import { describeError, SIGN_IN_CANCELLED } from '../../core/contract/errors.ts';
import type { WalletInfo } from '../../core/contract/protocol.ts';
import type { PopupState, SignInSource, SignInSourceView } from '../../core/contract/ui-protocol.ts';
import { shortAddress } from '../../core/eth/address.ts';
import { hostPermissionFor } from '../../core/session/endpoints.ts';
import { refreshLeadMs } from '../../core/session/lifecycle.ts';
import type { SessionInfo } from '../../core/session/session.ts';
import { ask, onStateChanged } from '../shared/background.ts';
import { byTestIds, showMessage } from '../shared/dom.ts';
import { dayAndTime, localizePage, plural, relativeTime, t } from '../shared/i18n.ts';
import { formatCountdown, formatWhen } from '../shared/time.ts';

localizePage();

const el = byTestIds({
  session: 'session',
  stateLabel: 'state-label',
  address: 'session-address',
  times: 'session-times',
  expires: 'token-expires',
  lapses: 'session-lapses',
  ended: 'session-ended',
  renews: 'token-renews',
  accountsHeading: 'accounts-heading',
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
    clearActivity: 'clear-activity',
  },
  HTMLButtonElement,
);

/** The host the popup talks to, as a person reads it: "api.tako.so". */
function endpointHost(state: PopupState): string {
  return state.endpoint.baseUrl.replace(/^https?:\/\//, '');
}

/**
 * The popup's first line: the whole state in one sentence, e.g. "Signed in as 0xf39F…2266 on
 * api.tako.so — stays signed in". Announced (role=status) when it changes.
 */
function stateSentence(state: PopupState): string {
  const host = endpointHost(state);
  const address = state.session ? shortAddress(state.session.address) : '';
  switch (state.state) {
    case 'signed-out':
      return t('stateSignedOut', host);
    case 'signing-in':
      return t('stateSigningIn', host);
    case 'refreshing':
      return t('stateRefreshing', address, host);
    case 'expired':
      return t('stateExpired', address, host);
    case 'signed-in':
      // A background error while signed in is a refresh that keeps failing: still signed in, retrying.
      return state.error ? t('stateSignedInRetrying', address, host) : t('stateSignedIn', address, host);
  }
}

/**
 * When the token renews ("Token renews in 54 minutes") and when the session lapses if nothing can
 * refresh it ("Sign in again by tomorrow 13:44 if this browser stays closed").
 */
function renderTimes(state: PopupState): void {
  const session = state.session;
  const live = session && session.state !== 'expired';
  // While refreshes fail the next attempt is a retry, not the schedule: no time is promised then.
  const obtainedAt = state.tokenObtainedAt;
  const onSchedule = live && state.state === 'signed-in' && !state.error && obtainedAt !== null;
  el.renews.hidden = !onSchedule;
  if (onSchedule) {
    const renewsAt = session.expiresAt - refreshLeadMs(Math.max(0, session.expiresAt - obtainedAt));
    el.renews.textContent = t('tokenRenews', relativeTime(Math.max(renewsAt, Date.now())));
  }
  // The session lifetime chosen in Settings ends it first: that is the time to sign in again.
  const lifetimeFirst = state.lifetimeEndsAt !== null && (!state.refreshExpiresAt || state.lifetimeEndsAt < state.refreshExpiresAt);
  el.lapses.hidden = !live || !(state.refreshExpiresAt || lifetimeFirst);
  el.lapses.textContent = !live
    ? ''
    : lifetimeFirst
      ? t('lifetimeEndsAt', dayAndTime(state.lifetimeEndsAt!))
      : state.refreshExpiresAt
        ? t('signInAgainBy', dayAndTime(state.refreshExpiresAt))
        : '';
}

/** Why nobody is signed in, when the session lifetime chosen in Settings ended the last session, and when. */
const ENDED_MESSAGES = { 'browser-close': 'endedBrowserClose', idle: 'endedIdle', 'max-age': 'endedMaxAge' } as const;

function renderEnding(state: PopupState): void {
  const ending = state.state === 'signed-out' ? state.lifetimeEnding : null;
  el.ended.hidden = !ending;
  el.ended.dataset.rule = ending?.rule ?? '';
  el.ended.dataset.endedAt = ending ? String(ending.atMs) : '';
  el.ended.textContent = ending ? t(ENDED_MESSAGES[ending.rule], dayAndTime(ending.atMs)) : '';
}

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
  renderTimes(current!);
}

/** Where favicons come from: Chromium's `_favicon` service with the `favicon` permission; none elsewhere. */
const faviconsAvailable = (browser.runtime.getManifest().permissions ?? []).includes('favicon' as never);

/** The site's favicon (Chromium), or its first letter where the browser has no favicon service. */
function siteIcon(origin: string): HTMLElement {
  if (faviconsAvailable) {
    const icon = document.createElement('img');
    const url = new URL(browser.runtime.getURL('/_favicon/'));
    // The site's front page, as the browser stored its favicon when it was visited.
    url.searchParams.set('pageUrl', new URL(origin).href);
    url.searchParams.set('size', '16');
    icon.src = url.href;
    icon.alt = '';
    icon.width = icon.height = 16;
    icon.className = 'favicon';
    icon.dataset.testid = 'site-icon';
    return icon;
  }
  const letter = document.createElement('span');
  letter.className = 'favicon letter';
  letter.dataset.testid = 'site-icon';
  letter.setAttribute('aria-hidden', 'true');
  letter.textContent = (new URL(origin).hostname.replace(/^www\./, '')[0] ?? '?').toUpperCase();
  return letter;
}

/** One allowed site: its icon, its origin, what it has (the session; the MetaHuman token) and Revoke. */
function siteItem(
  { origin, metahuman, byPolicy, allowedAt, lastUsedAt, tokens, expiresAt, tabIds, account, tokenAccess }: PopupState['sites'][number],
  accounts: PopupState['accounts'],
): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset.testid = 'site';
  item.dataset.origin = origin;
  item.dataset.metahuman = String(metahuman);
  // Header-only access: the site calls the API with a header the browser adds, and never sees a token.
  item.dataset.tokenAccess = tokenAccess === 'header' ? 'header' : 'token';
  item.dataset.lastUsed = lastUsedAt === undefined ? '' : String(lastUsedAt);
  item.dataset.tokens = String(tokens ?? 0);
  item.dataset.expiresAt = expiresAt === undefined ? '' : String(expiresAt);
  // The account the site uses: the one it is bound to, or the active one.
  const uses = account ?? accounts.find((a) => a.active)?.address ?? '';
  item.dataset.account = uses;
  item.dataset.duration = tabIds !== undefined ? 'open-tabs' : expiresAt !== undefined ? 'timed' : 'until-revoked';
  const label = document.createElement('span');
  label.className = 'site-name';
  label.textContent = origin;
  label.title = origin;
  const grants = document.createElement('span');
  grants.className = 'grants muted';
  grants.dataset.testid = 'site-grants';
  grants.textContent =
    tokenAccess === 'header'
      ? t(metahuman ? 'siteHasSessionHeaderOnlyAndMetahuman' : 'siteHasSessionHeaderOnly')
      : t(metahuman ? 'siteHasSessionAndMetahuman' : 'siteHasSession');
  // When it was allowed, last used, and how many tokens it received.
  const activity = document.createElement('span');
  activity.className = 'grants muted';
  activity.dataset.testid = 'site-activity';
  const allowed = allowedAt > 0 ? t('siteAllowedOn', formatWhen(allowedAt)) : '';
  const used = lastUsedAt === undefined ? t('siteNotUsed') : t('siteLastUsed', relativeTime(lastUsedAt), String(tokens ?? 0));
  // How long the access lasts, when it does not last until revoked.
  const lasts = tabIds !== undefined ? t('siteWhileTabOpen') : expiresAt !== undefined ? t('siteAccessEnds', relativeTime(expiresAt)) : '';
  activity.textContent = [allowed, used, lasts].filter(Boolean).join(' · ');
  const text = document.createElement('span');
  text.className = 'site-text';
  text.append(label, grants, activity);
  // With several accounts signed in, the site can be moved to another one.
  if (accounts.length > 1 && !byPolicy) {
    const picker = document.createElement('select');
    picker.dataset.testid = 'site-account';
    picker.className = 'mono';
    picker.setAttribute('aria-label', t('siteAccountLabel', origin));
    picker.replaceChildren(
      ...accounts.map(({ address }) => {
        const option = document.createElement('option');
        option.value = address;
        option.textContent = shortAddress(address);
        option.title = address;
        option.selected = address === uses;
        return option;
      }),
    );
    picker.addEventListener('change', () => void run(() => ask({ type: 'move-site', origin, address: picker.value })));
    text.append(picker);
  }
  item.dataset.byPolicy = String(byPolicy === true);
  // Allowed by the organisation: said instead of a Revoke the background would refuse.
  if (byPolicy) {
    grants.textContent += ` · ${t('allowedByOrganisation')}`;
    item.append(siteIcon(origin), text);
    return item;
  }
  const revoke = actionButton('revoke', t('revoke'), () => ask({ type: 'revoke-site', origin }));
  revoke.setAttribute('aria-label', t('revokeSite', origin));
  item.append(siteIcon(origin), text, revoke);
  return item;
}

function renderSites(state: PopupState): void {
  el.sites.replaceChildren(...state.sites.map((site) => siteItem(site, state.accounts)));
  el.sitesEmpty.hidden = state.sites.length > 0;
  buttons.clearActivity.hidden = !state.sites.some((site) => site.lastUsedAt !== undefined);
}

/** Sites refused for a while after the person said no; each can be let to ask again. */
function renderCooldowns(state: PopupState): void {
  const sites = [...new Map(state.cooldowns.map((cooldown) => [cooldown.site, cooldown])).values()];
  el.cooldowns.replaceChildren(
    ...sites.map(({ site, until }) => {
      const item = document.createElement('li');
      item.dataset.testid = 'cooldown';
      item.dataset.site = site;
      item.dataset.until = String(until);
      const label = document.createElement('span');
      label.textContent = t('refusedUntil', site, formatWhen(until));
      label.title = site;
      const lift = actionButton('lift-cooldown', t('liftCooldown'), () => ask({ type: 'lift-cooldown', site }));
      lift.setAttribute('aria-label', t('liftCooldownFor', site));
      item.append(label, lift);
      return item;
    }),
  );
  el.cooldownsSection.hidden = sites.length === 0;
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
  el.accountsHeading.textContent = plural(state.accounts.length, { one: 'accountsCountOne', other: 'accountsCountOther' });
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
      tag.textContent = account.active ? t('accountActive') : account.state === 'expired' ? t('accountExpired') : '';
      item.append(label, tag);
      if (!account.active) {
        const use = actionButton('use-account', t('useAccount'), () => ask({ type: 'activate-account', address: account.address }));
        use.setAttribute('aria-label', t('useAccountFor', account.address));
        item.append(use);
      }
      const signOut = actionButton('sign-out-account', t('signOut'), () => ask({ type: 'sign-out-account', address: account.address }));
      signOut.setAttribute('aria-label', t('signOutAccount', account.address));
      item.append(signOut);
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
  if (source.kind === 'page') return t('sourcePage', source.origin);
  // An id says nothing to a person: an unknown extension is the one they set (the id is its tooltip).
  return source.name === undefined ? t('sourceSettingsExtension') : t('sourceExtension', source.name);
}

function renderSources(state: PopupState | undefined): void {
  const chosen = chosenSource();
  chosenKey = chosen ? sourceKey(chosen) : undefined;
  // Named wherever a sign-in can start: the sign-in button, "add account", the switched-wallet offer.
  const offered =
    !!state && state.state !== 'signing-in' && (!buttons.signIn.hidden || !buttons.addAccount.hidden || !el.switchOffer.hidden);
  el.sourceSection.hidden = !offered || !chosen;
  el.noSource.hidden = !offered || !!chosen;
  el.source.dataset.kind = chosen?.kind ?? '';
  el.source.dataset.origin = chosen?.kind === 'page' ? chosen.origin : '';
  el.source.textContent = chosen ? describeSource(chosen) : '';
  el.source.title = chosen?.kind === 'page' ? chosen.origin : (chosen?.extensionId ?? '');
  sourcePicker.replaceChildren(
    ...sources.map((source) => {
      const option = document.createElement('option');
      option.value = sourceKey(source);
      option.dataset.kind = source.kind;
      if (source.kind === 'page') option.dataset.origin = source.origin;
      option.textContent = describeSource(source);
      option.selected = option.value === chosenKey;
      return option;
    }),
  );
  sourcePicker.parentElement!.hidden = sources.length < 2;
}

/** The request form of a listed source: what the person was shown, and nothing more. */
function requestSource(source: SignInSourceView): SignInSource {
  return source.kind === 'extension'
    ? { kind: 'extension', extensionId: source.extensionId }
    : { kind: 'page', tabId: source.tabId, origin: source.origin };
}

/** Which token pair the popup shows: a new one means whatever failed before has been overtaken. */
function tokenIdentity(state: PopupState): string {
  return state.session ? `${state.session.address} ${state.tokenObtainedAt}` : '';
}

function render(state: PopupState): void {
  current = state;
  if (localError && tokenIdentity(state) !== localErrorSession) localError = null;
  el.session.dataset.state = state.state;
  // Written only when it changes: the line is a live region, and a rewrite is announced again.
  const sentence = stateSentence(state);
  if (el.stateLabel.textContent !== sentence) el.stateLabel.textContent = sentence;
  el.stateLabel.classList.toggle('retrying', state.state === 'signed-in' && Boolean(state.error));
  el.endpointLabel.textContent = endpointHost(state);
  el.endpointLabel.title = `${state.endpoint.baseUrl} (${state.endpoint.version})`;
  const session: SessionInfo | null = state.session;
  el.address.hidden = !session;
  el.times.hidden = !session;
  renderEnding(state);
  el.address.textContent = session?.address ?? '';
  el.address.dataset.address = session?.address ?? '';
  el.expires.dataset.expiresAt = session ? String(session.expiresAt) : '';
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

/**
 * A wallet in the picker, in the extension's own words: its reverse-DNS name (`io.metamask`), an
 * identifier the background checked, never the free-text name the page's wallet gave itself.
 * Wallets without one, or sharing one, are told apart by their place in the page's announcements.
 */
function walletLabel(wallet: WalletInfo, index: number, wallets: readonly WalletInfo[]): string {
  if (!wallet.rdns) return t('walletNumbered', index + 1);
  const shared = wallets.some((other) => other !== wallet && other.rdns === wallet.rdns);
  return shared ? t('walletRdnsNumbered', wallet.rdns, index + 1) : wallet.rdns;
}

function showPicker(source: SignInSource, wallets: WalletInfo[]): void {
  el.wallets.replaceChildren(
    ...wallets.map((wallet, index) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.dataset.testid = 'wallet-option';
      button.dataset.walletId = wallet.id;
      button.dataset.rdns = wallet.rdns;
      if (wallet.icon) {
        // An image, drawn by <img> at icon size (an SVG runs no script there), as EIP-6963 asks.
        const icon = document.createElement('img');
        icon.src = wallet.icon;
        icon.alt = '';
        button.append(icon);
      }
      button.append(walletLabel(wallet, index, wallets));
      button.addEventListener('click', () => void signIn(source, wallet.id));
      item.append(button);
      return item;
    }),
  );
  el.picker.hidden = false;
}

/**
 * The tab in front of this popup's window. Opened from the toolbar button over it, the popup holds
 * the browser's access to that tab for as long as it shows the same site (`activeTab`); reaching
 * any other page takes the site's host permission, which Chromium wants for injecting a script
 * even where the extension's declared content scripts run.
 */
let tabInFront: number | undefined;
void browser.tabs.query({ active: true, currentWindow: true }).then(([tab]) => {
  tabInFront = tab?.id;
});

/**
 * Sign-in with the named source. A page's wallet: one wallet there signs at once; several let the
 * person pick by name and icon.
 */
function startSignIn(): void {
  void run(async () => {
    const named = chosenSource();
    if (!named) throw new Error(t('noSignInSource'));
    const source = requestSource(named);
    if (source.kind === 'extension') {
      await askSignIn(source);
      return;
    }
    // Asked for in the click itself (the browser wants a person's gesture), before anything is
    // sent to the page; a site already allowed answers at once, without a question.
    if (named.kind === 'page' && named.tabId !== tabInFront) {
      const granted = await browser.permissions.request({ origins: [hostPermissionFor(named.origin)] });
      if (!granted) throw new Error(t('errorPageAccessRefused', named.origin));
    }
    const { origin, wallets } = await ask({ type: 'list-wallets', source });
    if (wallets.length === 0) throw new Error(t('errorNoWallet', origin));
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
buttons.clearActivity.addEventListener('click', () => void run(() => ask({ type: 'clear-activity' })));
buttons.signOut.addEventListener('click', () => void run(() => ask({ type: 'sign-out', scope: 'active' })));

onStateChanged(() => void reload().catch((error: unknown) => showError(describeError(error))));
setInterval(tick, 1000);
void reload(true).catch((error: unknown) => showError(describeError(error)));
