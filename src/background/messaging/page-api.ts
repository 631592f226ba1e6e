/**
 * The page API (`window.takoSession.request`) as the background answers it. The origin always
 * comes from the browser's sender information (callers.ts); only `tako_requestAccess` works for an
 * origin the person has not allowed, and a refusal gives nothing away.
 */

import * as v from 'valibot';
import type { ApprovalCaller, ConsentScope } from '../../core/consent/consent.ts';
import { DEFAULT_GRANT_CHOICE, type GrantChoice, grantTerms } from '../../core/consent/grants.ts';
import { TOKEN_ACCESS_MODES } from '../../core/consent/header-rules.ts';
import { TakoError } from '../../core/contract/errors.ts';
import { parseMessage } from '../../core/contract/protocol.ts';
import type {
  TakoNotAllowedReason,
  TakoSessionMethod,
  TakoSessionMethods,
  TakoSessionParams,
} from '../../core/contract/tako-session-api.ts';
import { policyForSite } from '../../core/policy/policy.ts';
import type { Approvals } from '../consent/approvals.ts';
import type { HeaderAccess } from '../consent/header-access.ts';
import type { Sites } from '../consent/sites.ts';
import { BLOCKED_BY_POLICY, METAHUMAN_OFF_BY_POLICY, type Policy } from '../policy/policy.ts';
import type { WalletPort } from '../ports/session-ports.ts';
import type { SessionService } from '../session/service.ts';
import { type PageWallets, pageSourceId } from '../wallets/page-wallet.ts';
import type { PageCaller } from './callers.ts';

export type { PageCaller };

const notAllowed = () => new TakoError('not-allowed', 'This site is not allowed: call tako_requestAccess first');

/** The reason a header-only site gets no token (`data.reason` of its 4100). */
export const HEADER_ONLY_REASON: TakoNotAllowedReason = 'header-only';
/** 4100 for a token asked by a site whose grant is header-only: the browser adds the token to its API requests instead. */
const headerOnly = () =>
  new TakoError(
    'not-allowed',
    'This site has header-only access: it never receives the token; the browser adds it to the site’s requests to the Tako API',
    { data: { reason: HEADER_ONLY_REASON } },
  );

/**
 * `tako_requestAccess`'s params: nothing, or `{ tokenAccess }`, `'header'` for header-only access
 * or `'token'`. Strict, so that a misspelt key or mode is an error that changes nothing rather
 * than a grant of the other kind.
 */
const RequestAccessParamsSchema = v.optional(
  v.strictObject({ tokenAccess: v.optional(v.picklist(TOKEN_ACCESS_MODES)) }),
) satisfies v.GenericSchema<unknown, TakoSessionParams['tako_requestAccess']>;

/**
 * `tako_reportRejected`'s params: nothing, or `{ sentAt }`, when the refused request was sent (ms
 * since the epoch, `Date.now()`). With it, a request sent before the browser added this tab's
 * header, or before the current token replaced the one it carried, forces no refresh: the retry
 * carries the current token. A site stating an earlier time gains nothing but that answer.
 */
const ReportRejectedParamsSchema = v.optional(
  v.strictObject({ sentAt: v.optional(v.pipe(v.number(), v.finite())) }),
) satisfies v.GenericSchema<unknown, TakoSessionParams['tako_reportRejected']>;

/** The asking document, as an approval keeps it. */
const callerOf = ({ tabId, documentId }: PageCaller): ApprovalCaller => (documentId ? { tabId, documentId } : { tabId });

/**
 * `tako_getToken`'s params: nothing, or `{ rejectedToken }` (the token an API refused). Strict, so
 * a misspelt key is an error rather than a silent plain `getToken`.
 */
const GetTokenParamsSchema = v.optional(
  v.strictObject({ rejectedToken: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(8192))) }),
) satisfies v.GenericSchema<unknown, TakoSessionParams['tako_getToken']>;

export interface PageApiDeps {
  service: Pick<
    SessionService,
    'getToken' | 'reportRejected' | 'sessionInfo' | 'signIn' | 'signOut' | 'isSignInSource' | 'onWalletAccountsChanged'
  >;
  sites: Pick<Sites, 'isAllowed' | 'allow' | 'revoke' | 'hasMetahuman' | 'recordToken' | 'accountOf' | 'tokenAccessOf'>;
  approvals: Pick<Approvals, 'decisionFor' | 'withdraw'>;
  wallets: Pick<PageWallets, 'pin' | 'pageWallet'>;
  /**
   * The wallet extension to sign in with directly (the one set in the options, else MetaMask),
   * when one is installed and answers: with it, no page sees the sign-in message or the signature.
   */
  extensionWallet: () => Promise<WalletPort | undefined>;
  metahumanToken: () => Promise<string | undefined>;
  /** The organisation's policy: blocked sites are refused without a window; the MetaHuman token may be off. */
  policy: Pick<Policy, 'policy'>;
  onSitesChanged: () => void;
  /** The header rules of header-only access: `sync` resolves once the browser's follow every change made so far. */
  headerRules: Pick<HeaderAccess, 'sync' | 'carriedCurrent'>;
}

/** Every method of the page contract but `tako_requestAccess`, which is answered before the gate. */
type GatedMethod = Exclude<TakoSessionMethod, 'tako_requestAccess'>;

/**
 * One handler per method of the contract, answering what the contract says it resolves: a method
 * added to the contract without a handler here, or the other way round, does not compile.
 */
type GatedHandlers = { [M in GatedMethod]: (caller: PageCaller, params: unknown) => Promise<TakoSessionMethods[M]> };

/**
 * What the person's Allow does, per scope, when they give it (approvals call it before anyone
 * waiting hears the answer, so it holds even when the worker that asked was stopped): a session
 * grant, the MetaHuman grant (only for a site still allowed), or the sign-out a site asked for. A
 * page's own sign-in with its wallet grants nothing: the sign-in that asked goes on.
 */
export function createGrants(deps: { sites: Pick<Sites, 'allow' | 'grantMetahuman'>; signOut: () => Promise<void>; now: () => number }) {
  return async function grant(origin: string, scope: ConsentScope, choice: GrantChoice = DEFAULT_GRANT_CHOICE): Promise<void> {
    if (scope === 'session') {
      await deps.sites.allow(origin, {
        ...grantTerms(choice.duration, deps.now(), choice.tabIds),
        ...(choice.account ? { account: choice.account } : {}),
        ...(choice.tokenAccess === 'header' ? { tokenAccess: 'header' } : {}),
      });
    } else if (scope === 'metahuman') await deps.sites.grantMetahuman(origin);
    else if (scope === 'sign-out') await deps.signOut();
  };
}

export function createPageApi(deps: PageApiDeps) {
  const { service, sites, approvals, wallets } = deps;

  const allowedOnly: GatedHandlers = {
    tako_getToken: async (caller, params) => {
      // Checked before anything runs: bad params never force a refresh.
      const parsed = parseMessage(GetTokenParamsSchema, params);
      if (parsed === undefined && params !== undefined) {
        throw new TakoError('invalid', 'tako_getToken takes no params or { rejectedToken: string }');
      }
      // Header-only access: no token ever reaches the site, nor does its ask refresh anything.
      if ((await sites.tokenAccessOf(caller.origin)) === 'header') throw headerOnly();
      // The token of the account the site is bound to: switching the active account changes nothing here.
      return service.getToken({ ...parsed, account: await sites.accountOf(caller.origin) });
    },
    // A 401 for the token the browser added (header-only access) or handed out: the same rate rules
    // as `rejectedToken`, for the token current now. Resolved once the browser adds the new one.
    tako_reportRejected: async (caller, params) => {
      const parsed = parseMessage(ReportRejectedParamsSchema, params);
      if (parsed === undefined && params !== undefined) {
        throw new TakoError('invalid', 'tako_reportRejected takes no params or { sentAt: number }');
      }
      if (parsed?.sentAt !== undefined && (await sites.tokenAccessOf(caller.origin)) === 'header') {
        await deps.headerRules.sync();
        // Sent before this tab's requests carried the current token (a tab just opened, a refresh
        // just applied): the retry carries it, nothing to refresh.
        if (!(await deps.headerRules.carriedCurrent(caller.tabId, parsed.sentAt))) return null;
      }
      await service.reportRejected(await sites.accountOf(caller.origin));
      await deps.headerRules.sync();
      return null;
    },
    tako_getSession: async (caller) => service.sessionInfo(await sites.accountOf(caller.origin)),
    // Through the wallet extension when there is one: no page sees the signature. Otherwise with
    // the wallet of the calling document itself, and no other, once the person has confirmed that
    // this page will see the message and the signature (which let it open a session of its own).
    tako_signIn: async (caller) => {
      const extension = await deps.extensionWallet();
      if (extension) return service.signIn(extension);
      if (!(await approvals.decisionFor(caller.origin, 'page-signature', callerOf(caller)))) {
        throw new TakoError('rejected', 'The person declined signing in with this page’s wallet');
      }
      return service.signIn(wallets.pageWallet(await wallets.pin(caller.tabId, caller.origin, caller.documentId)));
    },
    // A request the person confirms: the sign-out itself is done by the approvals when they allow
    // it (so it holds even when this worker was stopped in between).
    tako_signOut: async (caller) => {
      if (!(await approvals.decisionFor(caller.origin, 'sign-out', callerOf(caller)))) {
        throw new TakoError('rejected', 'The person declined signing out');
      }
      return null;
    },
    tako_revokeAccess: async (caller) => {
      await sites.revoke(caller.origin);
      await approvals.withdraw(caller.origin);
      // The publisher tells the origin's tabs (accessChanged); from the next call on, 4100.
      deps.onSitesChanged();
      return null;
    },
    metahuman_getToken: async (caller) => {
      if (!(await deps.policy.policy()).metahumanToken) throw new TakoError('not-allowed', METAHUMAN_OFF_BY_POLICY);
      // A separate grant: the token never expires, so the person allows it on its own (approvals
      // write the grant when the person answers). Asked before the token is looked up, so that a
      // site without the grant learns nothing of whether one is stored.
      if (!(await sites.hasMetahuman(caller.origin)) && !(await approvals.decisionFor(caller.origin, 'metahuman', callerOf(caller)))) {
        throw new TakoError('rejected', 'The person declined the MetaHuman SDK token for this site');
      }
      const token = await deps.metahumanToken();
      if (!token) throw new TakoError('no-session', 'No MetaHuman SDK token is stored yet: get one in the Tako Session options');
      return { token };
    },
  };

  async function requestAccess(caller: PageCaller, params: unknown): Promise<TakoSessionMethods['tako_requestAccess']> {
    // Checked before anything: bad params open no window and change nothing.
    const parsed = parseMessage(RequestAccessParamsSchema, params);
    if (parsed === undefined && params !== undefined) {
      throw new TakoError('invalid', "tako_requestAccess takes no params or { tokenAccess: 'header' | 'token' }");
    }
    const wanted = parsed?.tokenAccess;
    // A blocked site is refused before any window: the person is not asked what policy decided.
    if (policyForSite(await deps.policy.policy(), caller.origin) === 'blocked') throw new TakoError('not-allowed', BLOCKED_BY_POLICY);
    // Already allowed, the way asked for (or no way named): no window. Allowed the other way: the
    // person is asked again, in a window that says which way, and Allow replaces the grant.
    const allowed = await sites.isAllowed(caller.origin, caller.tabId);
    const sameWay = allowed && (wanted === undefined || (await sites.tokenAccessOf(caller.origin)) === wanted);
    // The grant is written by approvals when the person answers, so that it holds even when this
    // worker was stopped in between and the page asked again.
    if (!sameWay && !(await approvals.decisionFor(caller.origin, 'session', callerOf(caller), wanted ?? 'token'))) {
      throw new TakoError('rejected', 'The person declined access for this site');
    }
    // Header-only access works from the answer on: the browser adds the header to this tab's requests.
    if (!sameWay) await deps.headerRules.sync();
    return service.sessionInfo(await sites.accountOf(caller.origin));
  }

  async function handle(caller: PageCaller, method: string, params: unknown): Promise<unknown> {
    if (method === 'tako_requestAccess') return requestAccess(caller, params);
    const handler = Object.hasOwn(allowedOnly, method) ? allowedOnly[method as GatedMethod] : undefined;
    // Checked before the method name, so a stranger cannot even learn which methods exist.
    if (!(await sites.isAllowed(caller.origin, caller.tabId))) throw notAllowed();
    if (!handler) throw new TakoError('unknown-method', `Unknown method: ${method.slice(0, 64)}`);
    const result = await handler(caller, params);
    // Checked again when the answer is ready (a token may have waited on a refresh): a site
    // revoked meanwhile is answered as any site that is not allowed. Its own revoke is the answer.
    if (method !== 'tako_revokeAccess' && !(await sites.isAllowed(caller.origin, caller.tabId))) throw notAllowed();
    // A site that became header-only while its token waited (on a refresh) does not receive it.
    if (method === 'tako_getToken' && (await sites.tokenAccessOf(caller.origin)) === 'header') throw headerOnly();
    // What the popup shows of the site: when it last received a token, and how many.
    if (method === 'tako_getToken' || method === 'metahuman_getToken') sites.recordToken(caller.origin);
    return result;
  }

  /**
   * `accountsChanged` from a page's wallet. Followed only from the document that signed in, while
   * it is still that document (it holds the sign-in's pin, which no page can read): other pages,
   * allowed ones too, cannot steer the active account.
   */
  async function onWalletAccounts(caller: PageCaller, accounts: readonly string[], pin: string | undefined): Promise<null> {
    if (pin !== undefined && service.isSignInSource(pageSourceId(caller.tabId, pin))) await service.onWalletAccountsChanged(accounts);
    return null;
  }

  return { handle, onWalletAccounts };
}

export type PageApi = ReturnType<typeof createPageApi>;
