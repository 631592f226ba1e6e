/** Assertions on TakoError shared by the client tests. */
import assert from 'node:assert/strict';
import { type ErrorKind, TakoError } from '../../src/core/contract/errors.ts';

export function catchTakoError(fn: () => unknown): TakoError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TakoError, `expected a TakoError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a throw');
}

export async function rejectsTakoError(promise: Promise<unknown>): Promise<TakoError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TakoError, `expected a TakoError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

export function assertError(
  error: TakoError,
  expected: { kind: ErrorKind; transient: boolean; httpStatus?: number; serverMessage?: string; retryAfterMs?: number },
): void {
  assert.equal(error.kind, expected.kind);
  assert.equal(error.transient, expected.transient);
  assert.equal(error.httpStatus, expected.httpStatus);
  assert.equal(error.serverMessage, expected.serverMessage);
  assert.equal(error.retryAfterMs, expected.retryAfterMs);
}

/** Throws a TakoError of kind 'invalid' whose message matches `pattern`. */
export function assertInvalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TakoError, 'expected a TakoError');
    assert.equal(error.kind, 'invalid');
    assert.match(error.message, pattern);
    return true;
  });
}
