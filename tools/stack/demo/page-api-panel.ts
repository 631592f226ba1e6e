/**
 * The demo dapp's use of Tako Session, written the way a dapp would, through the client module
 * (src/client/): wait for the extension, ask for access, show the session, call an authenticated
 * Tako endpoint with the client's fetch (a fresh token each call, one retry after a 401), follow
 * `sessionChanged` and `accessChanged`, and give up access. Every outcome, errors included, is
 * shown on the page.
 */
import {
  connectTakoSession,
  isTakoSessionError,
  noSessionReason,
  type TakoSessionClient,
} from '../../../src/client/tako-session-client.ts';
import { type TakoAccess, TakoSessionErrorCode, type TakoSessionInfo } from '../../../src/core/contract/tako-session-api.ts';
import { element } from './dom.ts';

/** The stack that serves this page answers the Tako API too; `connect-src 'self'` allows it. */
const IGNORE_BID_PATH = '/v2/farcaster/ignore_bid';
const MAX_EVENTS = 20;

/** What to do about each error code, in the words a person understands. */
const ADVICE: Record<number, string> = {
  [TakoSessionErrorCode.UserRejected]: 'You declined.',
  [TakoSessionErrorCode.Unauthorized]: 'This site is not connected: click "Request access".',
  [TakoSessionErrorCode.UnsupportedMethod]: 'The extension does not know this method.',
  [TakoSessionErrorCode.NoSession]: 'No session: sign in from the extension or with "Sign in".',
  [TakoSessionErrorCode.InvalidParams]: 'The request was malformed.',
  [TakoSessionErrorCode.Internal]: 'Something failed inside the extension.',
};

/** Shortens a token for display: enough to tell two apart, not enough to reuse from a screenshot. */
function maskToken(token: string): string {
  return token.length <= 20 ? '…' : `${token.slice(0, 10)}…${token.slice(-6)}`;
}

function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

/** What a 4900's reason means for the person. */
const NO_SESSION_ADVICE: Record<string, string> = {
  'signed-out': 'Nobody is signed in: sign in from the extension or with "Sign in".',
  expired: 'The session expired: sign in again.',
  'refresh-failing': 'The Tako API is not answering; the extension keeps trying.',
  'timed-out': 'The session lifetime chosen in the extension settings ended the session: sign in again.',
};

export function mountPageApiPanel(section: HTMLElement): void {
  const connection = element('p', { 'data-testid': 'demo-connection' }, 'Checking…');

  const address = element('code', { 'data-testid': 'demo-address', 'data-address': '' }, '—');
  const state = element('span', { 'data-testid': 'demo-state', 'data-state': 'unknown' }, '—');
  const expires = element('span', { 'data-testid': 'demo-expires', 'data-expires-at': '' }, '—');
  const facts = element('dl', { class: 'facts' });
  for (const [label, value] of [
    ['Address', address],
    ['State', state],
    ['Token expires', expires],
  ] as const) {
    const cell = element('dd');
    cell.append(value);
    facts.append(element('dt', {}, label), cell);
  }

  const buttons = element('div', { class: 'buttons' });
  const button = (testid: string, label: string) => {
    const node = element('button', { type: 'button', 'data-testid': testid }, label);
    buttons.append(node);
    return node;
  };
  const requestAccess = button('demo-request-access', 'Request access');
  const requestHeaderAccess = button('demo-request-header-access', 'Request header-only access');
  const getSession = button('demo-get-session', 'Get session');
  const getToken = button('demo-get-token', 'Get token');
  const callApi = button('demo-call-api', `Call ${IGNORE_BID_PATH}`);
  const signIn = button('demo-sign-in', 'Sign in with this page’s wallet');
  const signOut = button('demo-sign-out', 'Sign out');
  const revokeAccess = button('demo-revoke-access', 'Give up access');

  const token = element('p', { 'data-testid': 'demo-token', class: 'mono' }, 'No token fetched yet.');
  const result = element('pre', { 'data-testid': 'demo-result', 'data-status': '' });
  result.hidden = true;
  const errorBox = element('p', { 'data-testid': 'demo-error', class: 'error', role: 'alert', 'data-code': '' });
  errorBox.hidden = true;
  const events = element('ol', { 'data-testid': 'demo-events', 'data-count': '0', class: 'events' });
  const eventsHeading = element('h3', {}, 'sessionChanged and accessChanged events');

  section.append(connection, facts, buttons, token, result, errorBox, eventsHeading, events);

  function showSession(session: TakoSessionInfo | null): void {
    state.dataset.state = session?.state ?? 'signed-out';
    state.textContent = session?.state ?? 'signed out';
    address.dataset.address = session?.address ?? '';
    address.textContent = session?.address ?? '—';
    expires.dataset.expiresAt = session ? String(session.expiresAt) : '';
    expires.textContent = session ? clockTime(session.expiresAt) : '—';
  }

  function showConnected(connected: boolean): void {
    connection.dataset.connected = String(connected);
    connection.textContent = connected
      ? 'Connected: this site may use your Tako session.'
      : 'Not connected: click "Request access" to let this site use your Tako session.';
    if (!connected) {
      showSession(null);
      state.dataset.state = 'not-connected';
      state.textContent = 'not connected';
    }
  }

  function showError(error: unknown): void {
    if (isTakoSessionError(error)) {
      const reason = noSessionReason(error);
      errorBox.dataset.code = String(error.code);
      errorBox.dataset.reason = reason ?? '';
      const advice = reason ? NO_SESSION_ADVICE[reason] : ADVICE[error.code];
      errorBox.textContent = `Error ${error.code}: ${error.message}. ${advice ?? ''}`.trim();
      if (error.code === TakoSessionErrorCode.Unauthorized) showConnected(false);
    } else {
      errorBox.dataset.code = '';
      errorBox.dataset.reason = '';
      errorBox.textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
    }
    errorBox.hidden = false;
  }

  /** Once the extension is here: the client every action goes through. */
  let client: TakoSessionClient | undefined;

  /** Runs one action; its error, if any, replaces the last one on screen. */
  async function run(action: (tako: TakoSessionClient) => Promise<void>): Promise<void> {
    errorBox.hidden = true;
    if (!client) {
      showError(new Error('window.takoSession is not here: is the Tako Session extension installed and enabled?'));
      return;
    }
    section.dataset.busy = 'true';
    try {
      await action(client);
    } catch (error) {
      showError(error);
    } finally {
      section.dataset.busy = 'false';
    }
  }

  requestAccess.addEventListener(
    'click',
    () =>
      void run(async (tako) => {
        const session = await tako.requestAccess();
        showConnected(true);
        showSession(session);
      }),
  );
  // Header-only access: the browser adds the token to this page's calls to the API; the page never sees it.
  requestHeaderAccess.addEventListener(
    'click',
    () =>
      void run(async (tako) => {
        const session = await tako.requestAccess({ tokenAccess: 'header' });
        showConnected(true);
        showSession(session);
      }),
  );
  getSession.addEventListener(
    'click',
    () =>
      void run(async (tako) => {
        showSession(await tako.getSession());
        showConnected(true);
      }),
  );
  getToken.addEventListener(
    'click',
    () =>
      void run(async (tako) => {
        const granted = await tako.getToken();
        token.textContent = `${granted.tokenType} ${maskToken(granted.token)} for ${granted.address}, valid until ${clockTime(granted.expiresAt)}`;
        token.dataset.expiresAt = String(granted.expiresAt);
      }),
  );
  callApi.addEventListener(
    'click',
    () =>
      void run(async (tako) => {
        // The client adds a fresh token to every call, and asks for a new one once if the API says 401
        // (with header-only access the browser adds it, and the client reports a 401 without it).
        const response = await tako.fetch(IGNORE_BID_PATH, { method: 'POST' });
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: shown as it came.
        }
        result.dataset.status = String(response.status);
        result.textContent = `POST ${IGNORE_BID_PATH} → ${response.status} ${response.statusText}\n${JSON.stringify(body, null, 2)}`;
        result.hidden = false;
      }),
  );
  signIn.addEventListener(
    'click',
    () =>
      void run(async (tako) => {
        showSession(await tako.signIn());
      }),
  );
  signOut.addEventListener(
    'click',
    () =>
      void run(async (tako) => {
        await tako.signOut();
        showSession(null);
      }),
  );
  revokeAccess.addEventListener(
    'click',
    () =>
      void run(async (tako) => {
        await tako.revokeAccess();
        showConnected(false);
      }),
  );

  function logEvent(text: string): void {
    events.prepend(element('li', {}, `${clockTime(Date.now())}: ${text}`));
    while (events.children.length > MAX_EVENTS) events.lastElementChild!.remove();
    events.dataset.count = String(Number(events.dataset.count) + 1);
  }

  function onSessionChanged(session: TakoSessionInfo | null): void {
    showConnected(true);
    showSession(session);
    logEvent(
      `sessionChanged: ${session ? `${session.state} ${session.address}, token until ${clockTime(session.expiresAt)}` : 'signed out'}`,
    );
  }

  function onAccessChanged(access: TakoAccess): void {
    showConnected(access.allowed);
    logEvent(`accessChanged: ${access.allowed ? 'allowed' : 'access revoked'}`);
  }

  // The extension defines window.takoSession at document_start, or later when it is injected into
  // a tab that was open before it was installed: wait for it, then follow its events.
  connection.textContent = 'Waiting for the Tako Session extension…';
  // `?waitMs=` shortens the wait, to see the page without the extension sooner.
  const waitMs = Number(new URLSearchParams(window.location.search).get('waitMs')) || 10_000;
  connectTakoSession({ timeoutMs: waitMs }).then(
    (connected) => {
      client = connected;
      connected.onSessionChanged(onSessionChanged);
      connected.onAccessChanged(onAccessChanged);
      connected.getSession().then(
        (session) => {
          showConnected(true);
          showSession(session);
        },
        (error: unknown) => {
          if (isTakoSessionError(error) && error.code === TakoSessionErrorCode.Unauthorized) showConnected(false);
          else showError(error);
        },
      );
    },
    (error: unknown) => {
      connection.dataset.connected = 'false';
      connection.textContent = error instanceof Error ? error.message : String(error);
    },
  );
}
