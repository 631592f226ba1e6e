/**
 * The consent window: names the requesting origin (as the browser reported it) and exactly what
 * it would get, and asks. *Allow* is enabled only once the window has been visible and focused for
 * ALLOW_DELAY_MS without a break, and is disabled again whenever it loses focus or is hidden: a
 * click aimed at the page the window appeared over cannot land on it.
 */
import browser from 'webextension-polyfill';
import { ALLOW_DELAY_MS, allowReadyAt, type ConsentScope } from '../../core/consent/consent.ts';
import { DEFAULT_GRANT_DURATION, GRANT_DURATIONS } from '../../core/consent/grants.ts';
import { describeError } from '../../core/contract/errors.ts';
import { hostPermissionFor } from '../../core/session/endpoints.ts';
import { ask } from '../shared/background.ts';
import { byTestId, showMessage } from '../shared/dom.ts';
import { localizePage, t, uiLanguage } from '../shared/i18n.ts';

localizePage();

const requestId = new URLSearchParams(location.search).get('request') ?? '';
const originLabel = byTestId('request-origin');
const title = byTestId('approval-title');
const scopeBox = byTestId('request-scope');
const insecureWarning = byTestId('insecure-warning');
const approve = byTestId<HTMLButtonElement>('approve');
const deny = byTestId<HTMLButtonElement>('deny');
const errorBox = byTestId('approval-error');
const status = byTestId('approve-status');
const duration = byTestId<HTMLSelectElement>('grant-duration');
const account = byTestId<HTMLSelectElement>('grant-account');

/**
 * The account the site will be bound to: the active one, named in full; a choice when several are
 * signed in (a single one shows as the only option, disabled).
 */
function showAccounts(accounts: ReadonlyArray<{ address: string; active: boolean }>): void {
  byTestId('grant-account-row').hidden = accounts.length === 0;
  account.replaceChildren(
    ...accounts.map(({ address, active }) => {
      const option = document.createElement('option');
      option.value = address;
      option.textContent = address;
      option.selected = active;
      return option;
    }),
  );
  account.disabled = accounts.length < 2;
  account.dataset.address = account.value;
}
account.addEventListener('change', () => {
  account.dataset.address = account.value;
});

let loaded = false;
/** Whether the extension already holds the site's host (asked on load: the click then asks nothing). */
let siteHostHeld = false;
/** Header-only access, and a signature from the page's own wallet, act on the site: they need its host. */
const needsSiteHost = () => scopeBox.dataset.tokenAccess === 'header' || scopeBox.dataset.scope === 'page-signature';
let answered = false;
let failed = false;
/** Since when the window has been visible and focused, without a break; null while it is not. */
let since: number | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

function fail(error: unknown): void {
  showMessage(errorBox, describeError(error));
  failed = true;
  answered = false;
  update();
}

function isReady(): boolean {
  const readyAt = allowReadyAt(since);
  return loaded && !answered && !failed && readyAt !== null && performance.now() >= readyAt;
}

/** Enables Allow when the window has been in front long enough, and says why it is not. */
function update(): void {
  clearTimeout(timer);
  const ready = isReady();
  approve.disabled = !ready;
  deny.disabled = answered;
  if (!loaded || answered) {
    status.textContent = '';
  } else if (since === null) {
    status.textContent = t('allowPaused');
  } else if (!ready) {
    const seconds = new Intl.NumberFormat(uiLanguage(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
      ALLOW_DELAY_MS / 1000,
    );
    status.textContent = t('allowSoon', seconds);
    timer = setTimeout(update, Math.max(0, (allowReadyAt(since) ?? 0) - performance.now()));
  } else {
    status.textContent = t('allowAvailable');
  }
}

/** A blur (or the page being hidden) pauses Allow at once; it starts counting again when back in front. */
function watchFocus(event?: Event): void {
  const leaving = event?.type === 'blur' || event?.type === 'pagehide';
  const inFront = !leaving && document.visibilityState === 'visible' && (event?.type === 'focus' || document.hasFocus());
  if (!inFront) since = null;
  else since ??= performance.now();
  update();
}

async function answer(approved: boolean): Promise<void> {
  // A click that reaches a button not yet enabled (or one enabled a moment ago in another state)
  // is no answer.
  if (approved && !isReady()) return;
  answered = true;
  update();
  // Header-only access acts on the site's requests, and signing with the page's own wallet injects
  // the wallet bridge into it: the browser allows either only for a site the extension holds a
  // host permission for, asked for now, in the click (the development build holds this computer's
  // hosts already). Refused, nothing is allowed.
  if (approved && needsSiteHost() && !siteHostHeld) {
    const granted = await browser.permissions.request({ origins: [hostPermissionFor(originLabel.textContent ?? '')] });
    if (!granted)
      throw new Error(t(scopeBox.dataset.scope === 'page-signature' ? 'pageSignaturePermissionRefused' : 'headerOnlyPermissionRefused'));
  }
  // The duration is the person's choice for a site's access; the other scopes have none.
  const chosen = GRANT_DURATIONS.find((value) => value === duration.value) ?? DEFAULT_GRANT_DURATION;
  const session = scopeBox.dataset.scope === 'session';
  await ask({
    type: 'answer-approval',
    requestId,
    approved,
    ...(session ? { duration: chosen } : {}),
    ...(session && account.value ? { account: account.value } : {}),
  });
  window.close();
}

/** Per scope: the window's title (naming the site) and its heading. */
const SCOPE_TEXTS: Record<ConsentScope, { title: (origin: string) => string; heading: () => string }> = {
  session: { title: (origin) => t('approvalWindowTitleSession', origin), heading: () => t('approvalTitle') },
  metahuman: { title: (origin) => t('approvalWindowTitleMetahuman', origin), heading: () => t('approvalTitleMetahuman') },
  'sign-out': { title: (origin) => t('approvalWindowTitleSignOut', origin), heading: () => t('approvalTitleSignOut') },
  'page-signature': { title: (origin) => t('approvalWindowTitlePageSignature', origin), heading: () => t('approvalTitlePageSignature') },
};

ask({ type: 'get-approval', requestId }).then(({ origin, scope, insecure, tokenAccess, accounts }) => {
  showAccounts(accounts);
  originLabel.textContent = origin;
  title.textContent = SCOPE_TEXTS[scope].heading();
  document.title = SCOPE_TEXTS[scope].title(origin);
  scopeBox.dataset.scope = scope;
  for (const text of scopeBox.querySelectorAll<HTMLElement>('[data-scope-text]')) text.hidden = text.dataset.scopeText !== scope;
  // Header-only access says so in words: the site calls the API as the person, never sees the token.
  scopeBox.dataset.tokenAccess = tokenAccess;
  if (needsSiteHost()) {
    void browser.permissions.contains({ origins: [hostPermissionFor(origin)] }).then((held) => {
      siteHostHeld = held;
    });
  }
  for (const text of scopeBox.querySelectorAll<HTMLElement>('[data-token-access-text]')) {
    text.hidden = text.dataset.tokenAccessText !== tokenAccess;
  }
  insecureWarning.hidden = !insecure;
  loaded = true;
  watchFocus();
}, fail);

for (const event of ['focus', 'blur', 'visibilitychange', 'pageshow', 'pagehide']) {
  (event === 'visibilitychange' ? document : window).addEventListener(event, watchFocus);
}
approve.addEventListener('click', () => void answer(true).catch(fail));
deny.addEventListener('click', () => void answer(false).catch(fail));
