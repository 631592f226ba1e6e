/**
 * EIP-191 signatures (core/eth/signature.ts): the hash, recovery against the documented seed
 * signature, malformed signatures refused, and signing with Hardhat's dev key #0.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { buildSignInMessage } from '../../src/core/eth/sign-in-message.ts';
import {
  addressOfPrivateKey,
  hashPersonalMessage,
  hasSignatureShape,
  isSignedBy,
  recoverPersonalSigner,
  signPersonalMessage,
} from '../../src/core/eth/signature.ts';
import { DEV_KEYS } from '../../tools/stack/demo/dev-keys.ts';
import { assertInvalid } from '../support/assert-tako-error.ts';
import { vectors } from '../support/vectors.ts';

const { address, issuedAt, message, signature } = vectors.signIn;

/** The seed message ends in exactly two newlines; these differ only in that count. */
const ONE_NEWLINE = message.replace(/\n\n$/, '\n');
const THREE_NEWLINES = `${message}\n`;

// Signers of the seed signature over the wrong variants, cross-checked with an independent
// secp256k1 / EIP-191 implementation.
const ONE_NEWLINE_SIGNER = '0x7f4FC4AFe3B141cbEc2bba571FFBC277849Fe677';
const THREE_NEWLINES_SIGNER = '0xFe1f37769c2f1285335Ad7a59b51A5d3b8432EA3';

/** Hardhat's published development account #0. */
const HARDHAT_KEY_0 = DEV_KEYS[0].privateKey;
const HARDHAT_ADDRESS_0 = DEV_KEYS[0].address;
/** RFC 6979 (deterministic) signature of the Hardhat #0 sign-in message, from the same independent implementation. */
const HARDHAT_SIGNATURE_OF_SIGN_IN =
  '0xedfcc6f4e1de0fc497a35130cb72857544b29026e381b09da9abb22ee5fd3e02624513293881ceddfa8d0f0b17892e20d1075c2c75038bc60839633eec4fdead1c';

/** The same signature with its last byte (v) replaced. */
function withV(sig: string, v: number): string {
  return sig.slice(0, -2) + v.toString(16).padStart(2, '0');
}

describe('hashPersonalMessage (EIP-191)', () => {
  test('hashes "\\x19Ethereum Signed Message:\\n" + byte length + message', () => {
    // Well-known value: keccak256("\x19Ethereum Signed Message:\n5hello").
    assert.equal(bytesToHex(hashPersonalMessage('hello')), '50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750');
  });

  test('counts bytes, not characters', () => {
    assert.notEqual(bytesToHex(hashPersonalMessage('é')), bytesToHex(hashPersonalMessage('e')));
    assert.equal(hashPersonalMessage('é').length, 32);
  });
});

describe('recoverPersonalSigner with the seed vector', () => {
  test('the seed signature recovers to the seed address over the seed message', () => {
    assert.equal(recoverPersonalSigner(message, signature), address);
  });

  test('the message rebuilt from address and issuedAt recovers to the same address', () => {
    assert.equal(recoverPersonalSigner(buildSignInMessage(address, issuedAt), signature), address);
  });

  test('with one trailing newline it recovers to another address', () => {
    assert.ok(ONE_NEWLINE.endsWith('.000Z\n') && !ONE_NEWLINE.endsWith('\n\n'));
    const signer = recoverPersonalSigner(ONE_NEWLINE, signature);
    assert.notEqual(signer, address);
    assert.equal(signer, ONE_NEWLINE_SIGNER);
  });

  test('with three trailing newlines it recovers to another address', () => {
    assert.ok(THREE_NEWLINES.endsWith('.000Z\n\n\n'));
    const signer = recoverPersonalSigner(THREE_NEWLINES, signature);
    assert.notEqual(signer, address);
    assert.equal(signer, THREE_NEWLINES_SIGNER);
  });

  test('v as 0/1 recovers like 27/28', () => {
    const v = parseInt(signature.slice(-2), 16);
    assert.equal(v, 27);
    assert.equal(recoverPersonalSigner(message, withV(signature, v - 27)), address);
    // The other parity is a different key, hence a different signer.
    assert.notEqual(recoverPersonalSigner(message, withV(signature, 28)), address);
    assert.equal(recoverPersonalSigner(message, withV(signature, 1)), recoverPersonalSigner(message, withV(signature, 28)));
  });

  test('uppercase hex is accepted', () => {
    assert.equal(recoverPersonalSigner(message, `0x${signature.slice(2).toUpperCase()}`), address);
  });
});

describe('isSignedBy', () => {
  test('true only for the exact seed message and its signer', () => {
    assert.equal(isSignedBy(message, signature, address), true);
    assert.equal(isSignedBy(message, signature, address.toLowerCase()), true);
    assert.equal(isSignedBy(ONE_NEWLINE, signature, address), false);
    assert.equal(isSignedBy(THREE_NEWLINES, signature, address), false);
    assert.equal(isSignedBy(message, signature, HARDHAT_ADDRESS_0), false);
  });

  test('false, not a throw, for a malformed signature or address', () => {
    assert.equal(isSignedBy(message, signature.slice(0, -2), address), false);
    assert.equal(isSignedBy(message, withV(signature, 5), address), false);
    assert.equal(isSignedBy(message, signature, 'not an address'), false);
  });
});

describe('malformed signatures throw TakoError invalid', () => {
  test('wrong length', () => {
    assertInvalid(() => recoverPersonalSigner(message, signature.slice(0, -2)), /65 bytes of hex with a 0x prefix/);
    assertInvalid(() => recoverPersonalSigner(message, `${signature}00`), /65 bytes/);
    assertInvalid(() => recoverPersonalSigner(message, '0x'), /65 bytes/);
  });

  test('no 0x prefix', () => {
    assertInvalid(() => recoverPersonalSigner(message, signature.slice(2)), /0x prefix/);
  });

  test('non-hex digits', () => {
    assertInvalid(() => recoverPersonalSigner(message, `0x${'zz'}${signature.slice(4)}`), /65 bytes of hex/);
  });

  test('v = 5 (and 29) is not a recovery byte', () => {
    assertInvalid(() => recoverPersonalSigner(message, withV(signature, 5)), /recovery byte is invalid \(v = 5\)/);
    assertInvalid(() => recoverPersonalSigner(message, withV(signature, 29)), /v = 29/);
  });

  test('r = 0 is not a secp256k1 signature', () => {
    const zeroR = `0x${'00'.repeat(32)}${signature.slice(66)}`;
    assert.equal(hasSignatureShape(zeroR), true);
    assertInvalid(() => recoverPersonalSigner(message, zeroR), /not a valid secp256k1 signature/);
  });

  test('hasSignatureShape', () => {
    assert.equal(hasSignatureShape(signature), true);
    assert.equal(hasSignatureShape(signature.slice(2)), false);
    assert.equal(hasSignatureShape(123), false);
  });
});

describe('signPersonalMessage / addressOfPrivateKey with Hardhat dev key #0', () => {
  test('the key belongs to the published address', () => {
    assert.equal(addressOfPrivateKey(HARDHAT_KEY_0), HARDHAT_ADDRESS_0);
  });

  test('sign then recover round trip on a sign-in message', () => {
    const signIn = buildSignInMessage(HARDHAT_ADDRESS_0, issuedAt);
    const sig = signPersonalMessage(signIn, HARDHAT_KEY_0);
    assert.equal(hasSignatureShape(sig), true);
    assert.ok(['1b', '1c'].includes(sig.slice(-2)), 'v is 27 or 28');
    assert.equal(recoverPersonalSigner(signIn, sig), HARDHAT_ADDRESS_0);
    assert.equal(isSignedBy(signIn, sig, HARDHAT_ADDRESS_0), true);
    assert.equal(isSignedBy(`${signIn}\n`, sig, HARDHAT_ADDRESS_0), false);
  });

  test('the signature is deterministic and matches an independent implementation', () => {
    const signIn = buildSignInMessage(HARDHAT_ADDRESS_0, issuedAt);
    assert.equal(signPersonalMessage(signIn, HARDHAT_KEY_0), HARDHAT_SIGNATURE_OF_SIGN_IN);
  });

  test('refuses a malformed private key', () => {
    assertInvalid(() => signPersonalMessage(message, HARDHAT_KEY_0.slice(2)), /32 bytes of hex with a 0x prefix/);
    assertInvalid(() => addressOfPrivateKey(`${HARDHAT_KEY_0}00`), /32 bytes/);
  });
});
