/** The sign-in message: built byte for byte as the documented example, and parsed strictly. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSignInMessage, parseSignInMessage, SIGN_IN_STATEMENT } from '../../src/core/eth/sign-in-message.ts';
import { assertInvalid } from '../support/assert-tako-error.ts';
import { vectors } from '../support/vectors.ts';

const { address, issuedAt, message } = vectors.signIn;
const ISSUED_AT_MS = Date.UTC(2023, 7, 1, 10, 29, 31, 0); // 2023-08-01T10:29:31.000Z

describe('buildSignInMessage', () => {
  test('reproduces the seed message byte for byte from the seed address and issuedAt', () => {
    const built = buildSignInMessage(address, issuedAt);
    assert.equal(built, message);
    assert.deepEqual(Buffer.from(built, 'utf8'), Buffer.from(message, 'utf8'));
  });

  test('the seed message is the documented statement, the fields, and exactly two trailing newlines', () => {
    assert.equal(
      message,
      `${SIGN_IN_STATEMENT}ACCOUNT:\n0x4DD3DB5d0B9aAf0B0a2fBD37a489d2f0e3F234A9\n\nISSUED AT:\n2023-08-01T10:29:31.000Z\n\n`,
    );
    assert.ok(message.endsWith('.000Z\n\n') && !message.endsWith('\n\n\n'));
  });

  test('checksums a lowercase address', () => {
    assert.equal(buildSignInMessage(address.toLowerCase(), issuedAt), message);
  });

  test('takes the time as a Date or as epoch milliseconds', () => {
    assert.equal(ISSUED_AT_MS, Date.parse(issuedAt));
    assert.equal(buildSignInMessage(address, new Date(ISSUED_AT_MS)), message);
    assert.equal(buildSignInMessage(address, ISSUED_AT_MS), message);
  });

  test('writes the time in UTC with milliseconds whatever form it came in', () => {
    assert.equal(buildSignInMessage(address, '2023-08-01T12:29:31+02:00'), message);
    assert.match(buildSignInMessage(address, ISSUED_AT_MS + 7), /\nISSUED AT:\n2023-08-01T10:29:31\.007Z\n\n$/);
  });

  test('does not modify the Date it was given', () => {
    const date = new Date(ISSUED_AT_MS);
    buildSignInMessage(address, date);
    assert.equal(date.getTime(), ISSUED_AT_MS);
  });

  test('refuses a bad address or an invalid time', () => {
    assertInvalid(() => buildSignInMessage('0x1234', issuedAt), /Not an Ethereum address/);
    assertInvalid(() => buildSignInMessage(address, 'yesterday'), /Not a valid time for ISSUED AT: yesterday/);
    assertInvalid(() => buildSignInMessage(address, Number.NaN), /Not a valid time/);
  });
});

describe('parseSignInMessage', () => {
  test('reads address and time from the seed message', () => {
    assert.deepEqual(parseSignInMessage(message), {
      address,
      issuedAtMs: ISSUED_AT_MS,
      issuedAtText: issuedAt,
    });
  });

  test('reads the documented structure with no blank line between the fields', () => {
    const documented = `\nACCOUNT:\n${address}\nISSUED AT:\n${issuedAt}\n\n`;
    assert.deepEqual(parseSignInMessage(documented), { address, issuedAtMs: ISSUED_AT_MS, issuedAtText: issuedAt });
  });

  test('reads the structure with extra text before and after', () => {
    const wrapped = `Welcome to some dapp!\nPlease sign.\nACCOUNT:\n${address}\nISSUED AT:\n${issuedAt}\n\nNonce: 42\nThanks.`;
    assert.deepEqual(parseSignInMessage(wrapped), { address, issuedAtMs: ISSUED_AT_MS, issuedAtText: issuedAt });
    assert.deepEqual(parseSignInMessage(`${message}Extra line after.\n`).address, address);
  });

  test('returns the checksummed address for a lowercase one', () => {
    const parsed = parseSignInMessage(message.replace(address, address.toLowerCase()));
    assert.equal(parsed.address, address);
  });

  test('keeps a time with an offset as written and reads its instant', () => {
    const parsed = parseSignInMessage(message.replace(issuedAt, '2023-08-01T12:29:31+02:00'));
    assert.equal(parsed.issuedAtText, '2023-08-01T12:29:31+02:00');
    assert.equal(parsed.issuedAtMs, ISSUED_AT_MS);
  });

  test('rejects a missing address', () => {
    assertInvalid(() => parseSignInMessage(message.replace(address, '')), /no ACCOUNT address/);
    assertInvalid(() => parseSignInMessage(`\nACCOUNT:\n\nISSUED AT:\n${issuedAt}\n\n`), /no ACCOUNT address/);
  });

  test('rejects a malformed address', () => {
    assertInvalid(() => parseSignInMessage(message.replace(address, '0x4DD3DB5d0B9aAf0B0a2fBD37')), /Not an Ethereum address/);
    assertInvalid(() => parseSignInMessage(message.replace(address, address.slice(2))), /Not an Ethereum address/);
  });

  test('rejects an address with a bad EIP-55 checksum', () => {
    const typo = address.replace('0x4DD3', '0x4dD3');
    assert.notEqual(typo, address);
    assertInvalid(() => parseSignInMessage(message.replace(address, typo)), /checksum is wrong \(EIP-55\)/);
  });

  test('rejects a missing time', () => {
    assertInvalid(() => parseSignInMessage(message.replace(issuedAt, '')), /ISSUED AT is not an RFC 3339 time: ""/);
  });

  test('rejects a time that is not RFC 3339', () => {
    for (const bad of ['2023-08-01 10:29:31Z', '2023-08-01T10:29:31', '1690885771000', 'Tue, 01 Aug 2023 10:29:31 GMT']) {
      assertInvalid(() => parseSignInMessage(message.replace(issuedAt, bad)), /ISSUED AT is not an RFC 3339 time/);
    }
  });

  test('rejects a time shaped like RFC 3339 that is not a real date', () => {
    assertInvalid(() => parseSignInMessage(message.replace(issuedAt, '2023-13-45T99:99:99Z')), /ISSUED AT is not a real date/);
  });

  test('rejects a message without the structure', () => {
    assertInvalid(() => parseSignInMessage(SIGN_IN_STATEMENT), /ACCOUNT \/ ISSUED AT structure/);
    // The structure ends with two newlines after the time.
    assertInvalid(() => parseSignInMessage(message.slice(0, -1)), /ACCOUNT \/ ISSUED AT structure/);
  });

  test('rejects a non-string', () => {
    for (const value of [undefined, null, 42, { message }, Buffer.from(message)]) {
      assertInvalid(() => parseSignInMessage(value), /must be a string/);
    }
  });

  test('round trip: parse(build(address, t)) gives back the address and t', () => {
    const t = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    const lower = '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed';
    assert.deepEqual(parseSignInMessage(buildSignInMessage(lower, t)), {
      address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      issuedAtMs: t,
      issuedAtText: '2030-01-02T03:04:05.678Z',
    });
  });
});
