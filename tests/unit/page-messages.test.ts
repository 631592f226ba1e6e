/**
 * The page world's hand-written message checks accept exactly what the protocol's schemas accept,
 * and give the same output. Both run on valid messages and on every mutation of them this file can
 * think of: each key removed, each value replaced by values of the wrong type, length or range, keys
 * added, and whole messages that are not objects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTENT_CHANNEL } from '../../src/core/contract/channels.ts';
import { parseContentToBridge, parseContentToPage } from '../../src/core/contract/page-messages.ts';
import { ContentToBridgeSchema, ContentToPageSchema, parseMessage } from '../../src/core/contract/protocol.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';

type Data = Record<string, unknown>;

const session = { address: DEV_ADDRESS, state: 'signed-in', expiresAt: 1_900_000_000_000, endpoint: 'https://api.tako.so' };

const PAGE_MESSAGES: unknown[] = [
  { channel: CONTENT_CHANNEL, kind: 'reply', id: 'a1', reply: { ok: true, result: { token: 't', tokenType: 'Bearer' } } },
  { channel: CONTENT_CHANNEL, kind: 'reply', id: 'a1', reply: { ok: true, result: null } },
  { channel: CONTENT_CHANNEL, kind: 'reply', id: 'a1', reply: { ok: true, result: undefined } },
  { channel: CONTENT_CHANNEL, kind: 'reply', id: 'x'.repeat(64), reply: { ok: false, error: { code: 4100, message: 'not allowed' } } },
  {
    channel: CONTENT_CHANNEL,
    kind: 'reply',
    id: 'a1',
    reply: { ok: false, error: { code: 4900, message: 'no session', data: { reason: 'expired' } } },
  },
  { channel: CONTENT_CHANNEL, kind: 'reply', id: 'a1', reply: { ok: false, error: { code: -32603, message: '', data: undefined } } },
  { channel: CONTENT_CHANNEL, kind: 'event', event: 'sessionChanged', data: session },
  { channel: CONTENT_CHANNEL, kind: 'event', event: 'sessionChanged', data: { ...session, state: 'refreshing' } },
  { channel: CONTENT_CHANNEL, kind: 'event', event: 'sessionChanged', data: { ...session, state: 'expired', address: '0x' } },
  { channel: CONTENT_CHANNEL, kind: 'event', event: 'sessionChanged', data: null },
  { channel: CONTENT_CHANNEL, kind: 'event', event: 'accessChanged', data: { allowed: true } },
  { channel: CONTENT_CHANNEL, kind: 'event', event: 'accessChanged', data: { allowed: false } },
];

const BRIDGE_MESSAGES: unknown[] = [
  { channel: CONTENT_CHANNEL, kind: 'wallet-request', id: 'w1', request: { action: 'list-wallets' } },
  { channel: CONTENT_CHANNEL, kind: 'wallet-request', id: 'w1', request: { action: 'request-accounts' } },
  { channel: CONTENT_CHANNEL, kind: 'wallet-request', id: 'w1', request: { action: 'request-accounts', walletId: 'uuid-1' } },
  { channel: CONTENT_CHANNEL, kind: 'wallet-request', id: 'w1', request: { action: 'request-accounts', walletId: undefined } },
  {
    channel: CONTENT_CHANNEL,
    kind: 'wallet-request',
    id: 'w1',
    request: { action: 'sign', address: session.address, message: 'Tako wants you to sign in' },
  },
  {
    channel: CONTENT_CHANNEL,
    kind: 'wallet-request',
    id: 'w1',
    request: { action: 'sign', walletId: 'injected', address: '', message: '' },
  },
];

/** Values of every type and of the lengths and ranges at the schemas' limits. */
const ODD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  4100,
  1.5,
  Number.NaN,
  Infinity,
  '',
  'x',
  '0x',
  '0x1',
  'x'.repeat(64),
  'x'.repeat(65),
  `0x${'a'.repeat(40)}`,
  `0x${'a'.repeat(41)}`,
  'y'.repeat(2048),
  'y'.repeat(2049),
  true,
  false,
  [],
  [1],
  {},
  { ok: true },
  CONTENT_CHANNEL,
  'tako-session:page',
  'reply',
  'event',
  'sessionChanged',
  'accessChanged',
  'signed-in',
  'refreshing',
  'expired',
  'signed-out',
  'wallet-request',
  'list-wallets',
  'request-accounts',
  'sign',
  'injected',
];

/** Paths of every key at every depth of a plain object. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (!value || typeof value !== 'object') return [];
  return Object.keys(value).flatMap((key) => [[...prefix, key], ...paths((value as Data)[key], [...prefix, key])]);
}

function edit(base: unknown, path: string[], change: (parent: Data, key: string) => void): unknown {
  const copy = structuredClone(base) as Data;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Data;
  change(parent, path.at(-1)!);
  return copy;
}

/** Each valid message, and every single-step mutation of it. */
function samples(valid: unknown[]): unknown[] {
  const out: unknown[] = [...valid, ...ODD_VALUES, [valid[0]], Object.assign([], valid[0])];
  for (const base of valid) {
    for (const path of paths(base)) {
      out.push(edit(base, path, (parent, key) => delete parent[key]));
      for (const odd of ODD_VALUES) out.push(edit(base, path, (parent, key) => (parent[key] = odd)));
    }
    for (const path of [[], ...paths(base)]) {
      out.push(
        edit(base, [...path, 'extra'], (parent, key) => {
          if (typeof parent === 'object' && parent) parent[key] = 'unexpected';
        }),
      );
    }
  }
  return out;
}

function agree(name: string, valid: unknown[], byHand: (value: unknown) => unknown, bySchema: (value: unknown) => unknown) {
  const all = samples(valid);
  let accepted = 0;
  for (const sample of all) {
    const expected = bySchema(sample);
    assert.deepEqual(
      byHand(sample),
      expected,
      `${name} disagrees with its schema on ${JSON.stringify(sample, (_, v: unknown) => (v === undefined ? '<undefined>' : v))}`,
    );
    if (expected !== undefined) accepted++;
  }
  // The samples exercise both answers, many times each.
  assert.ok(accepted >= valid.length && all.length - accepted > 100, `${accepted} of ${all.length} accepted`);
}

test('the page world reads a content-script message as ContentToPageSchema does', () => {
  agree('parseContentToPage', PAGE_MESSAGES, parseContentToPage, (value) => parseMessage(ContentToPageSchema, value));
});

test('the wallet bridge reads a wallet request as ContentToBridgeSchema does', () => {
  agree('parseContentToBridge', BRIDGE_MESSAGES, parseContentToBridge, (value) => parseMessage(ContentToBridgeSchema, value));
});
