/**
 * The extension pages' requests as the background answers them (ui-api.ts), with the real page
 * wallets (page-wallet.ts) over fake tabs. The session service is a fake that asks the wallet it is
 * given for the accounts, the first step of a real sign-in. Each test names the guarantee it guards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createUiApi, type UiApiDeps } from '../../src/background/messaging/ui-api.ts';
import { createPolicy, withPolicySettings } from '../../src/background/policy/policy.ts';
import { createPageWallets, documentGoneMessage, pageSourceId } from '../../src/background/wallets/page-wallet.ts';
import type { TakoSessionInfo } from '../../src/core/contract/tako-session-api.ts';
import type { EndpointSetting, UiReply } from '../../src/core/contract/ui-protocol.ts';
import type { SessionLifetime } from '../../src/core/session/session-lifetime.ts';
import { rejectsTakoError } from '../support/assert-tako-error.ts';
import { FAKE_ACCOUNT, FAKE_WALLET, fakeTabs } from '../support/fake-tabs.ts';
import { memoryStore } from '../support/memory-store.ts';

const A = 'https://a.example';
const B = 'https://b.example';
const C = 'https://c.example';
const SESSION: TakoSessionInfo = {
  address: FAKE_ACCOUNT,
  state: 'signed-in',
  expiresAt: 2_000_000_000_000,
  endpoint: 'https://api.tako.so',
};

const unused = (name: string) => () => {
  throw new Error(`${name} is not used in these tests`);
};

function harness({ grantedHosts = [] as string[], managed = {} as unknown } = {}) {
  const browser = fakeTabs({ 1: `${A}/app`, 2: `${B}/app` });
  /** The wallet source of each sign-in the service was asked for. */
  const signIns: string[] = [];
  /** The organisation's policy, from what managed storage holds (`managed`; none by default). */
  const policy = createPolicy(async () => managed);
  const deps: UiApiDeps = {
    policy,
    service: {
      async signIn(wallet, walletId) {
        signIns.push(wallet.source);
        await wallet.requestAccounts(walletId);
        return SESSION;
      },
      snapshot: unused('snapshot'),
      cancelSignIn: unused('cancelSignIn'),
      refreshNow: unused('refreshNow'),
      onLifetimesChanged: async () => [],
      signOut: unused('signOut'),
      activate: unused('activate'),
    },
    store: withPolicySettings(memoryStore().store, policy),
    sites: {
      list: unused('sites.list'),
      revoke: unused('sites.revoke'),
      clearActivity: unused('sites.clearActivity'),
      moveTo: unused('sites.moveTo'),
    },
    approvals: {
      view: unused('view'),
      answer: unused('answer'),
      cooldowns: unused('cooldowns'),
      lift: unused('lift'),
      withdraw: unused('withdraw'),
    },
    metahuman: { view: unused('metahuman.view'), obtain: unused('metahuman.obtain'), saveSettings: unused('metahuman.saveSettings') },
    wallets: createPageWallets(browser.tabs),
    directWallets: { wallet: unused('directWallets.wallet') },
    walletExtension: async () => null,
    hasHostPermission: async (baseUrl) => grantedHosts.includes(new URL(baseUrl).origin),
    onChanged: () => undefined,
    onSiteRulesChanged: async () => undefined,
  };
  const ui = createUiApi(deps);
  return {
    ui,
    store: deps.store,
    browser,
    signIns,
    listWallets: (tabId: number, origin: string) => ui.handle({ type: 'list-wallets', source: { kind: 'page', tabId, origin } }),
    signIn: (tabId: number, origin: string) =>
      ui.handle({ type: 'sign-in', source: { kind: 'page', tabId, origin }, walletId: FAKE_WALLET.id }),
  };
}

describe('popup sign-in with a page wallet', () => {
  // Guards: the sign-in that follows the popup's list of a page's wallets goes to the document
  // that listed them, under the same pin: the person chose a wallet of that document.
  test('after listing a page’s wallets, the sign-in goes to that same document', async () => {
    const h = harness();
    assert.deepEqual(await h.listWallets(1, A), { origin: A, wallets: [FAKE_WALLET] });
    const listed = h.browser.document(1);
    assert.deepEqual(await h.signIn(1, A), SESSION);
    assert.deepEqual(
      h.browser.steps.map(({ tabId, documentId, pin, action }) => ({ tabId, documentId, pin, action })),
      [
        { tabId: 1, documentId: listed.documentId, pin: listed.pin, action: 'list-wallets' },
        { tabId: 1, documentId: listed.documentId, pin: listed.pin, action: 'request-accounts' },
      ],
    );
    assert.deepEqual(h.signIns, [pageSourceId(1, listed.pin!)]);
  });

  // Guards: a sign-in with another page than the one whose wallets were listed pins that page;
  // the document pinned for the list is for that page alone.
  test('a sign-in with another tab pins that tab’s document, not the one listed', async () => {
    const h = harness();
    await h.listWallets(1, A);
    const listed = { ...h.browser.document(1) };
    assert.deepEqual(await h.signIn(2, B), SESSION);
    const named = h.browser.document(2);
    assert.ok(named.pin && named.pin !== listed.pin, 'the named page got a pin of its own');
    assert.deepEqual(h.browser.steps.slice(1), [{ tabId: 2, documentId: named.documentId, pin: named.pin, action: 'request-accounts' }]);
    assert.deepEqual(h.signIns, [pageSourceId(2, named.pin)]);
  });

  // Guards: the same tab named with another origin (it went to another site, and the popup
  // names it as it is now) is pinned again: the listed document is not reused for another page.
  test('the tab listed, now on another origin, is pinned again for the sign-in', async () => {
    const h = harness();
    await h.listWallets(1, A);
    h.browser.navigate(1, `${C}/`);
    assert.deepEqual(await h.signIn(1, C), SESSION);
    const now = h.browser.document(1);
    assert.deepEqual(h.browser.steps.slice(1), [{ tabId: 1, documentId: now.documentId, pin: now.pin, action: 'request-accounts' }]);
  });

  // Guards: the listed document is the one that signs: a tab that loaded another document of the
  // same page since the list is asked nothing, and the sign-in says why.
  test('a tab that navigated within its origin since the list fails the sign-in; its new document is asked nothing', async () => {
    const h = harness();
    await h.listWallets(1, A);
    h.browser.navigate(1, `${A}/app`);
    const error = await rejectsTakoError(h.signIn(1, A));
    assert.equal(error.message, documentGoneMessage(A));
    assert.deepEqual(
      h.browser.steps.map((step) => step.action),
      ['list-wallets'],
    );
    assert.equal(h.browser.document(1).pin, undefined, 'the new document was not pinned');
  });
});

describe('the endpoint setting', () => {
  const LOCAL = 'http://127.0.0.1:8787';
  const save = (h: ReturnType<typeof harness>, baseUrl: string) =>
    h.ui.handle({ type: 'save-settings', endpoint: { preset: 'custom', baseUrl, version: 'v2' } });

  // Guards the store build, which has no permission for this computer: an API on it is used only
  // once its host was granted (the options page asks when saving), like any custom API; the
  // development build has it from its manifest.
  test('an API on this computer is refused without its host permission and changes nothing', async () => {
    const h = harness();
    const before = await h.store.getSettings();
    assert.equal((await rejectsTakoError(save(h, LOCAL))).kind, 'rejected');
    assert.deepEqual(await h.store.getSettings(), before);
  });

  test('an API on this computer is saved once its host is granted', async () => {
    const h = harness({ grantedHosts: [LOCAL] });
    await save(h, LOCAL);
    assert.equal((await h.store.getSettings()).endpoint.baseUrl, LOCAL);
  });
});

describe('settings under an organisation’s policy', () => {
  const LOCKED = 'https://tako.corp.example';
  const managed = { endpoint: LOCKED, sessionLifetime: 'max-age', maxAgeDays: 7, metahumanToken: false, colour: 'blue' };

  test('get-settings shows the locked endpoint and lifetime, what is locked, and the keys it could not read', async () => {
    const h = harness({ managed });
    const settings = (await h.ui.handle({ type: 'get-settings' })) as UiReply<'get-settings'>;
    assert.deepEqual(settings.endpoint, { preset: 'custom', baseUrl: LOCKED, version: 'v2' });
    assert.deepEqual(settings.lockedLifetime, { kind: 'max-age', maxAgeSeconds: 7 * 86_400 });
    assert.deepEqual(settings.locks, {
      endpoint: true,
      sessionLifetime: true,
      metahumanToken: true,
      problems: ['colour: not a Tako Session policy'],
    });
  });

  // Guards: a setting the policy locks is not changed by a save, and the save changes nothing else.
  test('a save naming another endpoint or lifetime is refused and stores nothing; the locked ones save', async () => {
    const h = harness({ managed, grantedHosts: [LOCKED] });
    const save = (endpoint: EndpointSetting, sessionLifetime?: SessionLifetime) =>
      h.ui.handle({
        type: 'save-settings',
        endpoint,
        walletExtensionId: 'abcdefghijklmnopabcdefghijklmnop',
        ...(sessionLifetime ? { sessionLifetime } : {}),
      });
    assert.match((await rejectsTakoError(save({ preset: 'tako-v2' }))).message, /organisation/);
    assert.match(
      (await rejectsTakoError(save({ preset: 'custom', baseUrl: LOCKED, version: 'v2' }, { kind: 'stay' }))).message,
      /organisation/,
    );
    assert.equal((await h.store.getSettings()).walletExtensionId, undefined, 'nothing of a refused save is stored');

    const saved = (await save(
      { preset: 'custom', baseUrl: `${LOCKED}/`, version: 'v2' },
      { kind: 'max-age', maxAgeSeconds: 7 * 86_400 },
    )) as UiReply<'save-settings'>;
    assert.equal(saved.walletExtensionId, 'abcdefghijklmnopabcdefghijklmnop');
    assert.deepEqual(saved.lockedLifetime, { kind: 'max-age', maxAgeSeconds: 7 * 86_400 });
  });

  test('the MetaHuman form is refused when the policy turns the token off', async () => {
    const h = harness({ managed });
    const error = await rejectsTakoError(
      h.ui.handle({ type: 'obtain-metahuman', name: 'Ada', mail: 'ada@example.com', comment: '', replaceExisting: false }),
    );
    assert.match(error.message, /organisation/);
  });
});
