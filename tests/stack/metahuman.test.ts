/**
 * The local stack's MetaHuman endpoint (POST /auth/token, a form), and the extension's MetaHuman
 * client against it over HTTP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestMetahumanToken } from '../../src/core/api/metahuman.ts';
import { assertError, rejectsTakoError } from '../support/assert-tako-error.ts';
import { useStack } from '../support/local-stack.ts';

const ADA = { name: 'Ada Lovelace', mail: 'ada@example.com', comment: 'demo' };

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The fields of a MetaHuman reply the tests read: the stack sends `result` on success and `error`
 * on a refusal; both are typed as present so that a test reads the one it expects.
 */
interface MetahumanReply {
  result: { token: string };
  error: { code: number; message: string };
}

describe('MetaHuman token (POST /auth/token)', () => {
  const stack = useStack();

  const requestToken = async (fields: Record<string, string>) => {
    const response = await fetch(`${stack().url}/auth/token`, {
      method: 'POST',
      headers: { Accept: 'application/json' },
      body: new URLSearchParams(fields),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as MetahumanReply };
  };

  it('answers a valid form with a new v4 UUID token each time', async () => {
    const first = await requestToken({ name: 'Ada Lovelace', mail: 'ada@example.com', comment: 'demo' });
    assert.equal(first.status, 200);
    assert.deepEqual(Object.keys(first.json), ['result']);
    assert.deepEqual(Object.keys(first.json.result), ['token']);
    assert.match(first.json.result.token, UUID_V4);
    assert.equal(first.headers.get('access-control-allow-origin'), '*');

    const second = await requestToken({ name: 'Ada Lovelace', mail: 'ada@example.com' });
    assert.equal(second.status, 200);
    assert.notEqual(second.json.result.token, first.json.result.token);
  });

  const invalid: Array<[string, Record<string, string>, number, RegExp]> = [
    ['a missing name', { mail: 'ada@example.com' }, 1001, /"name" is required/],
    ['a blank name', { name: '   ', mail: 'ada@example.com' }, 1001, /"name" is required/],
    ['a name over 200 characters', { name: 'n'.repeat(201), mail: 'ada@example.com' }, 1003, /at most 200/],
    ['a missing mail', { name: 'Ada' }, 1002, /"mail" is required/],
    ['a mail that is not an address', { name: 'Ada', mail: 'ada-at-example' }, 1002, /not an e-mail address: ada-at-example/],
    ['a comment over 1000 characters', { name: 'Ada', mail: 'ada@example.com', comment: 'c'.repeat(1001) }, 1004, /at most 1000/],
  ];
  for (const [what, fields, code, message] of invalid) {
    it(`refuses ${what} with code ${code}`, async () => {
      const reply = await requestToken(fields);
      assert.equal(reply.status, 400);
      assert.deepEqual(Object.keys(reply.json), ['error']);
      assert.equal(reply.json.error.code, code);
      assert.match(reply.json.error.message, message);
    });
  }

  it('accepts the longest allowed name and comment', async () => {
    const reply = await requestToken({ name: 'n'.repeat(200), mail: 'ada@example.com', comment: 'c'.repeat(1000) });
    assert.equal(reply.status, 200);
  });

  it('refuses a JSON body: the API takes a form', async () => {
    const response = await fetch(`${stack().url}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Ada', mail: 'ada@example.com' }),
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: { code: 1000, message: 'Content-Type must be application/x-www-form-urlencoded (got application/json)' },
    });
  });
});

describe('requestMetahumanToken against the stack', () => {
  const stack = useStack();

  it('gets a UUID token; the stack saw one form with the three fields', async () => {
    const { token } = await requestMetahumanToken({ fetch, now: Date.now }, stack().url, ADA);
    assert.match(token, UUID_V4);
    const posts = stack().requests('/auth/token');
    assert.equal(posts.length, 1);
    assert.deepEqual(posts[0]!.body, ADA);
    assert.equal(posts[0]!.status, 200);
  });

  it("the stack's error envelope comes through with its code and message", async () => {
    stack().faults.inject('/auth/token', { count: 1, kind: 'status', status: 400 });
    const error = await rejectsTakoError(requestMetahumanToken({ fetch, now: Date.now }, stack().url, ADA));
    assertError(error, {
      kind: 'http',
      transient: false,
      httpStatus: 400,
      serverMessage: 'Bad Request (fault injected by the local stack)',
    });
    assert.equal(error.message, 'The MetaHuman SDK API answered 400: Bad Request (fault injected by the local stack) (error 400)');
  });
});
