import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeError, type ErrorKind, isTakoError, TakoError } from '../../src/core/contract/errors.ts';
import { TakoSessionErrorCode } from '../../src/core/contract/tako-session-api.ts';

describe('TakoSessionErrorCode', () => {
  test('are the EIP-1193 / JSON-RPC numbers the page API documents', () => {
    assert.deepEqual(
      { ...TakoSessionErrorCode },
      {
        UserRejected: 4001,
        Unauthorized: 4100,
        UnsupportedMethod: 4200,
        NoSession: 4900,
        InvalidParams: -32602,
        Internal: -32603,
      },
    );
  });
});

describe('TakoError code per kind', () => {
  const expected: Record<ErrorKind, number> = {
    rejected: 4001,
    'not-allowed': 4100,
    'unknown-method': 4200,
    'no-session': 4900,
    invalid: -32602,
    internal: -32603,
    network: -32603,
    timeout: -32603,
    http: -32603,
    api: -32603,
    malformed: -32603,
    wallet: -32603,
  };
  for (const [kind, code] of Object.entries(expected) as [ErrorKind, number][]) {
    test(`${kind} → ${code}`, () => {
      const error = new TakoError(kind, `a ${kind} error`);
      assert.equal(error.code, code);
      assert.equal(error.kind, kind);
      assert.equal(error.message, `a ${kind} error`);
    });
  }
});

describe('TakoError', () => {
  test('is a real Error named TakoError, permanent by default, without HTTP details', () => {
    const error = new TakoError('no-session', 'Nobody is signed in');
    assert.ok(error instanceof Error);
    assert.ok(error instanceof TakoError);
    assert.equal(error.name, 'TakoError');
    assert.equal(error.transient, false);
    assert.equal(error.httpStatus, undefined);
    assert.equal(error.serverMessage, undefined);
    assert.equal(error.retryAfterMs, undefined);
    assert.equal(error.cause, undefined);
    assert.match(String(error), /^TakoError: Nobody is signed in$/);
  });

  test('carries the options it was given', () => {
    const cause = new TypeError('fetch failed');
    const error = new TakoError('http', 'The Tako API answered 429: too many requests', {
      transient: true,
      httpStatus: 429,
      serverMessage: 'slow down',
      retryAfterMs: 7000,
      cause,
    });
    assert.equal(error.transient, true);
    assert.equal(error.httpStatus, 429);
    assert.equal(error.serverMessage, 'slow down');
    assert.equal(error.retryAfterMs, 7000);
    assert.equal(error.cause, cause);
    assert.equal(error.code, -32603);
  });

  test('an explicit code overrides the one for the kind', () => {
    const error = new TakoError('wallet', 'The wallet refused', { code: TakoSessionErrorCode.UserRejected });
    assert.equal(error.kind, 'wallet');
    assert.equal(error.code, 4001);
  });
});

describe('isTakoError', () => {
  test('only for TakoError instances', () => {
    assert.equal(isTakoError(new TakoError('internal', 'x')), true);
    assert.equal(isTakoError(new Error('x')), false);
    assert.equal(isTakoError({ kind: 'internal', code: -32603, message: 'x' }), false);
    assert.equal(isTakoError(null), false);
  });
});

describe('describeError', () => {
  test('uses the message of an Error, a string as is, and a fallback otherwise', () => {
    assert.equal(describeError(new TakoError('invalid', 'Address checksum is wrong')), 'Address checksum is wrong');
    assert.equal(describeError(new RangeError('out of range')), 'out of range');
    assert.equal(describeError('plain words'), 'plain words');
    assert.equal(describeError(42), 'Unexpected error');
    assert.equal(describeError(undefined), 'Unexpected error');
  });
});
