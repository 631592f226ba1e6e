/** Ethereum addresses (core/eth/address.ts): EIP-55 checksums, parsing in any case, comparing two. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasAddressShape, isValidChecksumAddress, parseAddress, sameAddress, toChecksumAddress } from '../../src/core/eth/address.ts';
import { assertInvalid } from '../support/assert-tako-error.ts';
import { vectors } from '../support/vectors.ts';

const SEED = vectors.signIn.address; // 0x4DD3DB5d0B9aAf0B0a2fBD37a489d2f0e3F234A9

/** The examples printed in EIP-55 itself. */
const EIP55_EXAMPLES = [
  '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
  '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
  '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
] as const;

function upperBody(address: string): string {
  return `0x${address.slice(2).toUpperCase()}`;
}

/** Flips the case of the first letter in the address body: a one-character checksum typo. */
function flipFirstLetterCase(address: string): string {
  const i = address.slice(2).search(/[a-fA-F]/) + 2;
  const ch = address[i]!;
  const flipped = ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
  return address.slice(0, i) + flipped + address.slice(i + 1);
}

describe('toChecksumAddress (EIP-55)', () => {
  test('the seed address from its lowercase form', () => {
    assert.equal(toChecksumAddress(SEED.toLowerCase()), '0x4DD3DB5d0B9aAf0B0a2fBD37a489d2f0e3F234A9');
    assert.equal(toChecksumAddress(SEED.toLowerCase()), SEED);
  });

  for (const example of EIP55_EXAMPLES) {
    test(`EIP-55 example ${example} from lowercase and from uppercase`, () => {
      assert.equal(toChecksumAddress(example.toLowerCase()), example);
      assert.equal(toChecksumAddress(upperBody(example)), example);
    });
  }

  test('refuses what is not 20 bytes of hex with 0x', () => {
    assertInvalid(() => toChecksumAddress('0x1234'), /Not an Ethereum address/);
    assertInvalid(() => toChecksumAddress(SEED.slice(2)), /Not an Ethereum address/);
    assertInvalid(() => toChecksumAddress(`${SEED.slice(0, 41)}g`), /Not an Ethereum address/);
  });
});

describe('parseAddress', () => {
  test('accepts all-lowercase and all-uppercase and returns the checksummed form', () => {
    assert.equal(parseAddress(SEED.toLowerCase()), SEED);
    assert.equal(parseAddress(upperBody(SEED)), SEED);
    for (const example of EIP55_EXAMPLES) {
      assert.equal(parseAddress(example.toLowerCase()), example);
      assert.equal(parseAddress(upperBody(example)), example);
    }
  });

  test('accepts a correctly checksummed mixed-case address as is', () => {
    assert.equal(parseAddress(SEED), SEED);
    for (const example of EIP55_EXAMPLES) assert.equal(parseAddress(example), example);
  });

  test('rejects a mixed-case address with a wrong checksum', () => {
    const typo = flipFirstLetterCase(SEED);
    assert.notEqual(typo, SEED);
    assert.equal(typo.toLowerCase(), SEED.toLowerCase());
    assertInvalid(() => parseAddress(typo), /checksum is wrong \(EIP-55\)/);
    for (const example of EIP55_EXAMPLES) {
      assertInvalid(() => parseAddress(flipFirstLetterCase(example)), /checksum/);
    }
  });

  test('rejects wrong shapes and non-strings', () => {
    assertInvalid(() => parseAddress(`${SEED}00`), /Not an Ethereum address/);
    assertInvalid(() => parseAddress(SEED.slice(0, 40)), /Not an Ethereum address/);
    assertInvalid(() => parseAddress(`0X${SEED.slice(2)}`), /Not an Ethereum address/);
    assertInvalid(() => parseAddress(` ${SEED}`), /Not an Ethereum address/);
    assertInvalid(() => parseAddress(''), /Not an Ethereum address/);
    assertInvalid(() => parseAddress(42), /Not an Ethereum address: 42/);
    assertInvalid(() => parseAddress(undefined), /Not an Ethereum address/);
    assertInvalid(() => parseAddress(null), /Not an Ethereum address/);
  });
});

describe('isValidChecksumAddress / hasAddressShape', () => {
  test('checksum validity only for the exact EIP-55 form', () => {
    assert.equal(isValidChecksumAddress(SEED), true);
    for (const example of EIP55_EXAMPLES) assert.equal(isValidChecksumAddress(example), true);
    assert.equal(isValidChecksumAddress(SEED.toLowerCase()), false);
    assert.equal(isValidChecksumAddress(flipFirstLetterCase(SEED)), false);
    assert.equal(isValidChecksumAddress(42), false);
  });

  test('shape is 0x and 40 hex digits, any case', () => {
    assert.equal(hasAddressShape(SEED), true);
    assert.equal(hasAddressShape(SEED.toLowerCase()), true);
    assert.equal(hasAddressShape(flipFirstLetterCase(SEED)), true);
    assert.equal(hasAddressShape(SEED.slice(0, 41)), false);
    assert.equal(hasAddressShape({}), false);
  });
});

describe('sameAddress', () => {
  test('ignores case', () => {
    assert.equal(sameAddress(SEED, SEED.toLowerCase()), true);
    assert.equal(sameAddress(upperBody(SEED), SEED), true);
    assert.equal(sameAddress(flipFirstLetterCase(SEED), SEED), true);
  });

  test('different accounts differ', () => {
    assert.equal(sameAddress(SEED, EIP55_EXAMPLES[0]), false);
    assert.equal(sameAddress(EIP55_EXAMPLES[1], EIP55_EXAMPLES[2]), false);
  });

  test('anything that is not an address is never the same, not even as itself', () => {
    assert.equal(sameAddress('', ''), false);
    assert.equal(sameAddress('0x1234', '0x1234'), false);
    assert.equal(sameAddress(SEED.slice(2), SEED.slice(2)), false);
  });
});
