/**
 * The demo dapp's use of `window.takoSession`, written the way a dapp would: ask for access, show
 * the session, get a fresh token for each call, call an authenticated Tako endpoint with it, and
 * follow `sessionChanged`. Every outcome, errors included, is shown on the page.
 */
import {
  TakoSessionErrorCode,
  type TakoSession,
  type TakoSessionError,
  type TakoSessionInfo,
} from '../../core/tako-session-api.ts';
import { element } from './dom.ts';

/** The stack that serves this page answers the Tako API too; `connect-src 'self'` allows it. */
const IGNORE_BID_PATH = '/v2/farcaster/ignore_bid';
const MAX_EVENTS = 20;


/** What to do about each error code, in the words a person understands. */
const ADVICE: Record<number, string> = {
  [TakoSessionErrorCode.UserRejected]: 'You declined.',
  [TakoSessionErrorCode.Unauthorized]: 'This site is not connected: click "Request access".',
  [TakoSessionErrorCode.UnsupportedMethod]: 'The extension does not know this method.',
  [TakoSessionErrorCode.NoSession]: 'Nobody is signed in: sign in from the extension or with "Sign in".',
  [TakoSessionErrorCode.InvalidParams]: 'The request was malformed.',
  [TakoSessionErrorCode.Internal]: 'Something failed inside the extension.',
};

function isTakoSessionError(error: unknown): error is TakoSessionError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

/** Shortens a token for display: enough to tell two apart, not enough to reuse from a screenshot. */
function maskToken(token: string): string {
  return token.length <= 20 ? '…' : `${token.slice(0, 10)}…${token.slice(-6)}`;
}

function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

export function mountPageApiPanel(section: HTMLElement, getTakoSession: () => TakoSession | undefined): void {
  const connection = element('p', { 'data-testid': 'demo-connection' }, 'Checking…');

  const address = element('code', { 'data-testid': 'demo-address', 'data-address': '' }, '—');
  const state = element('span', { 'data-testid': 'demo-state', 'data-state': 'unknown' }, '—');
  const expires = element('span', { 'data-testid': 'demo-expires', 'data-expires-at': '' }, '—');
  const facts = element('dl', { class: 'facts' });
  for (const [label, value] of [['Address', address], ['State', state], ['Token expires', expires]] as const) {
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
  const getSession = button('demo-get-session', 'Get session');
  const getToken = button('demo-get-token', 'Get token');
  const callApi = button('demo-call-api', `Call ${IGNORE_BID_PATH}`);
  const signIn = button('demo-sign-in', 'Sign in with this page’s wallet');
  const signOut = button('demo-sign-out', 'Sign out');

  const token = element('p', { 'data-testid': 'demo-token', class: 'mono' }, 'No token fetched yet.');
  const result = element('pre', { 'data-testid': 'demo-result', 'data-status': '' });
  result.hidden = true;
  const errorBox = element('p', { 'data-testid': 'demo-error', class: 'error', role: 'alert', 'data-code': '' });
  errorBox.hidden = true;
  const events = element('ol', { 'data-testid': 'demo-events', 'data-count': '0', class: 'events' });
  const eventsHeading = element('h3', {}, 'sessionChanged events');

  section.append(connection, facts, buttons, token, result, errorBox, eventsHeading, events);

  function showSession(session: TakoSessionInfo | null): void {
    state.dataset['state'] = session?.state ?? 'signed-out';
    state.textContent = session?.state ?? 'signed out';
    address.dataset['address'] = session?.address ?? '';
    address.textContent = session?.address ?? '—';
    expires.dataset['expiresAt'] = session ? String(session.expiresAt) : '';
    expires.textContent = session ? clockTime(session.expiresAt) : '—';
  }

  function showConnected(connected: boolean): void {
    connection.dataset['connected'] = String(connected);
    connection.textContent = connected
      ? 'Connected: this site may use your Tako session.'
      : 'Not connected: click "Request access" to let this site use your Tako session.';
    if (!connected) {
      showSession(null);
      state.dataset['state'] = 'not-connected';
      state.textContent = 'not connected';
    }
  }

  function showError(error: unknown): void {
    if (isTakoSessionError(error)) {
      errorBox.dataset['code'] = String(error.code);
      errorBox.textContent = `Error ${error.code}: ${error.message}. ${ADVICE[error.code] ?? ''}`.trim();
      if (error.code === TakoSessionErrorCode.Unauthorized) showConnected(false);
    } else {
      errorBox.dataset['code'] = '';
      errorBox.textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
    }
    errorBox.hidden = false;
  }

  /** Runs one action; its error, if any, replaces the last one on screen. */
  async function run(action: (takoSession: TakoSession) => Promise<void>): Promise<void> {
    errorBox.hidden = true;
    const takoSession = getTakoSession();
    if (!takoSession) {
      showError(new Error('window.takoSession is not here: is the Tako Session extension installed and enabled?'));
      return;
    }
    section.dataset['busy'] = 'true';
    try {
      await action(takoSession);
    } catch (error) {
      showError(error);
    } finally {
      section.dataset['busy'] = 'false';
    }
  }

  requestAccess.addEventListener('click', () =>
    void run(async (takoSession) => {
      const session = await takoSession.request({ method: 'tako_requestAccess' });
      showConnected(true);
      showSession(session);
    }),
  );
  getSession.addEventListener('click', () =>
    void run(async (takoSession) => {
      showSession(await takoSession.request({ method: 'tako_getSession' }));
      showConnected(true);
    }),
  );
  getToken.addEventListener('click', () =>
    void run(async (takoSession) => {
      const granted = await takoSession.request({ method: 'tako_getToken' });
      token.textContent = `${granted.tokenType} ${maskToken(granted.token)} for ${granted.address}, valid until ${clockTime(granted.expiresAt)}`;
      token.dataset['expiresAt'] = String(granted.expiresAt);
    }),
  );
  callApi.addEventListener('click', () =>
    void run(async (takoSession) => {
      // A fresh token for every call: the extension refreshes it ahead of expiry, the page never does.
      const granted = await takoSession.request({ method: 'tako_getToken' });
      const response = await fetch(IGNORE_BID_PATH, {
        method: 'POST',
        headers: { Authorization: `Bearer ${granted.token}` },
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: shown as it came.
      }
      result.dataset['status'] = String(response.status);
      result.textContent = `POST ${IGNORE_BID_PATH} → ${response.status} ${response.statusText}\n${JSON.stringify(body, null, 2)}`;
      result.hidden = false;
    }),
  );
  signIn.addEventListener('click', () =>
    void run(async (takoSession) => {
      showSession(await takoSession.request({ method: 'tako_signIn' }));
    }),
  );
  signOut.addEventListener('click', () =>
    void run(async (takoSession) => {
      await takoSession.request({ method: 'tako_signOut' });
      showSession(null);
    }),
  );

  function onSessionChanged(session: TakoSessionInfo | null): void {
    showConnected(true);
    showSession(session);
    const item = element(
      'li',
      {},
      `${clockTime(Date.now())}: ${session ? `${session.state} ${session.address}, token until ${clockTime(session.expiresAt)}` : 'signed out'}`,
    );
    events.prepend(item);
    while (events.children.length > MAX_EVENTS) events.lastElementChild!.remove();
    events.dataset['count'] = String(Number(events.dataset['count']) + 1);
  }

  let listening = false;
  /** Once takoSession is here: follow its events and show where we stand, without an error if not connected. */
  function attach(): void {
    const takoSession = getTakoSession();
    if (!takoSession || listening) return;
    listening = true;
    takoSession.on('sessionChanged', onSessionChanged);
    takoSession.request({ method: 'tako_getSession' }).then(
      (session) => {
        showConnected(true);
        showSession(session);
      },
      (error: unknown) => {
        if (isTakoSessionError(error) && error.code === TakoSessionErrorCode.Unauthorized) showConnected(false);
        else showError(error);
      },
    );
  }

  attach();
  if (!listening) {
    connection.textContent = 'Waiting for the Tako Session extension…';
    window.addEventListener('takoSession#initialized', attach);
  }
}
