/**
 * EIP-6963 announcements as the wallet bridge (and the demo dapp) read them (src/core/eth/eip6963.ts):
 * every announcement the EIP allows is taken, an invalid `rdns` only costs the wallet its name (the
 * EIP asks dapps to tolerate one), and anything that is not a wallet is ignored without a throw.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isReverseDns, readAnnouncement } from '../../src/core/eth/eip6963.ts';

const UUID = '350670db-19fa-4704-a166-e52e178b59d2';
const ICON = 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg"/>';
const provider = { request: async () => null };
/** A frozen detail, as the EIP has wallets announce it; `withProvider` replaces the provider, `undefined` too. */
const announcement = (info: Record<string, unknown>, ...withProvider: [] | [unknown]) =>
  Object.freeze({
    info: { uuid: UUID, name: 'Example Wallet', icon: ICON, rdns: 'com.example.wallet', ...info },
    provider: withProvider.length ? withProvider[0] : provider,
  });

/** Reverse-DNS names real wallets announce, and names the EIP's wording allows. */
const VALID_RDNS = [
  'com.example.mock-wallet', // a hyphen in the last label
  'io.metamask',
  'io.metamask.flask',
  'io.rabby',
  'com.coinbase.wallet',
  'io.1inch.wallet', // a label that starts with a digit
  'com.trustwallet.app',
  'app.phantom',
  'so.tako.devwallet',
  'xn--p1ai.example.wallet', // an internationalised TLD, in punycode (hyphens)
  'museum.example',
  'photography.studio-42.wallet',
  'uk.co.example.wallet',
  'a.b.c.d.e.f.g.h.i.j', // many labels
  'Com.Example.Wallet', // DNS is case-insensitive
  `com.${'a'.repeat(63)}`, // a label of 63, the most DNS allows
];

const INVALID_RDNS = [
  '',
  'metamask', // one label: not a domain in reverse
  '-bad.example',
  'bad-.example',
  'a..b',
  '.com.example',
  'com.example.',
  'com.exa mple',
  'com.example/wallet',
  'io.métamask', // not ASCII (punycode would be)
  'com.under_score',
  `com.${'a'.repeat(64)}`,
  `${'abc.'.repeat(63)}com`, // 255 characters
  'Your session expired: visit evil.example',
  42,
  null,
];

test('reverse-DNS names: hyphens, digits, many labels and unusual TLDs are valid', () => {
  for (const rdns of VALID_RDNS) assert.equal(isReverseDns(rdns), true, rdns);
});

test('reverse-DNS names: anything that is not two or more DNS labels is not one', () => {
  for (const rdns of INVALID_RDNS) assert.equal(isReverseDns(rdns), false, String(rdns));
});

// Guards: every wallet the EIP allows is found. A wallet announcing `com.example.mock-wallet` (the
// npm mock wallet's rdns) was dropped by a check that read `rdns` as a forward domain.
test('every announcement the EIP allows is taken, with its uuid, rdns, icon and provider', () => {
  for (const rdns of VALID_RDNS) {
    const wallet = readAnnouncement(announcement({ rdns }));
    assert.deepEqual(wallet, { uuid: UUID, rdns, icon: ICON, name: 'Example Wallet', provider }, rdns);
  }
  // The uuid in either case; a detail the wallet forgot to freeze; a provider that is a function.
  assert.equal(readAnnouncement(announcement({ uuid: UUID.toUpperCase() }))?.uuid, UUID.toUpperCase());
  assert.ok(readAnnouncement({ info: { uuid: UUID, name: 'n', icon: ICON, rdns: 'io.metamask' }, provider }));
  assert.ok(
    readAnnouncement(
      announcement(
        {},
        Object.assign(() => undefined, { request: async () => null }),
      ),
    ),
  );
});

// Guards: the EIP asks dapps to handle an unknown, invalid or imitated rdns "with minimal
// degradation": such a wallet is still found, only without a name to show.
test('a wallet with an invalid rdns, icon or name is still taken, without them', () => {
  for (const rdns of INVALID_RDNS) {
    const wallet = readAnnouncement(announcement({ rdns }));
    assert.equal(wallet?.uuid, UUID, String(rdns));
    assert.equal(wallet?.rdns, '', String(rdns));
  }
  const odd = readAnnouncement(announcement({ icon: 'https://wallet.example/icon.png', name: { text: 'not a string' } }));
  assert.deepEqual(odd && { icon: odd.icon, name: odd.name }, { icon: '', name: '' });
  const bare = readAnnouncement(Object.freeze({ info: { uuid: UUID }, provider }));
  assert.deepEqual(bare, { uuid: UUID, rdns: '', icon: '', name: '', provider });
});

// Guards: a malformed announcement is not a wallet, and reading it never throws (the check runs
// inside the page's own event dispatch).
test('malformed announcements are ignored without a throw', () => {
  const throwing = Object.defineProperty({}, 'info', {
    get() {
      throw new Error('a getter that throws');
    },
  });
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('a proxy that throws');
      },
    },
  );
  const malformed: Array<[string, unknown]> = [
    ['no detail', undefined],
    ['null', null],
    ['a string', 'io.metamask'],
    ['no info', { provider }],
    ['info not an object', { info: 'io.metamask', provider }],
    ['no uuid', announcement({ uuid: undefined })],
    ['an empty uuid', announcement({ uuid: '' })],
    ['a uuid that is not one', announcement({ uuid: 'metamask' })],
    ['a uuid that is a number', announcement({ uuid: 42 })],
    ['a uuid with more around it', announcement({ uuid: `${UUID}-x` })],
    ['no provider', announcement({}, undefined)],
    ['a null provider', announcement({}, null)],
    ['no request', announcement({}, {})],
    ['request not a function', announcement({}, { request: 'eth_requestAccounts' })],
    ['a getter that throws', throwing],
    ['a proxy that throws', hostile],
    ['a provider proxy that throws', announcement({}, hostile)],
    ['info a proxy that throws', { info: hostile, provider }],
  ];
  for (const [what, detail] of malformed) {
    assert.doesNotThrow(() => readAnnouncement(detail), what);
    assert.equal(readAnnouncement(detail), undefined, what);
  }
});
