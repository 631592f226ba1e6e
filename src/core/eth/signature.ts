/*
 * @noble/secp256k1, not @noble/curves: the same author's audited single-curve library, a fifth of
 * the size in the worker's bundle. Recovery needs no hash of its own; signing (the dev wallet and
 * tests only, so the bundle leaves it out) gets HMAC-SHA256 from @noble/hashes when first used.
 */

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import * as secp256k1 from '@noble/secp256k1';
import { TakoError } from '../contract/errors.ts';
import { type Address, sameAddress, toChecksumAddress } from './address.ts';

const SIGNATURE_SHAPE = /^0x[0-9a-fA-F]{130}$/;

export function hasSignatureShape(value: unknown): value is `0x${string}` {
  return typeof value === 'string' && SIGNATURE_SHAPE.test(value);
}

/** EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" + byte length + message). */
export function hashPersonalMessage(message: string): Uint8Array {
  const body = utf8ToBytes(message);
  const prefix = utf8ToBytes(`\x19Ethereum Signed Message:\n${body.length}`);
  return keccak_256(concatBytes(prefix, body));
}

function addressOfPublicKey(uncompressed: Uint8Array): Address {
  // Drop the 0x04 prefix; the address is the last 20 bytes of keccak256(x || y).
  const hash = keccak_256(uncompressed.subarray(1));
  return toChecksumAddress(`0x${bytesToHex(hash.subarray(-20))}`);
}

/** The account that produced a `personal_sign` signature (65 bytes r || s || v, hex). */
export function recoverPersonalSigner(message: string, signature: string): Address {
  if (!hasSignatureShape(signature)) {
    throw new TakoError('invalid', 'A signature must be 65 bytes of hex with a 0x prefix');
  }
  const bytes = hexToBytes(signature.slice(2));
  const v = bytes[64]!;
  // Wallets send v as 27/28 (Ethereum convention) or 0/1.
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) {
    throw new TakoError('invalid', `The signature's recovery byte is invalid (v = ${v})`);
  }
  // noble's "recovered" layout puts the recovery byte first.
  const recovered = concatBytes(Uint8Array.of(recovery), bytes.subarray(0, 64));
  try {
    const publicKey = secp256k1.recoverPublicKey(recovered, hashPersonalMessage(message), { prehash: false });
    return addressOfPublicKey(secp256k1.Point.fromBytes(publicKey).toBytes(false));
  } catch (cause) {
    throw new TakoError('invalid', 'The signature is not a valid secp256k1 signature', { cause });
  }
}

/** Whether `signature` over `message` was made by `address`. Never throws. */
export function isSignedBy(message: string, signature: string, address: string): boolean {
  try {
    return sameAddress(recoverPersonalSigner(message, signature), address);
  } catch {
    return false;
  }
}

function privateKeyBytes(privateKey: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new TakoError('invalid', 'A private key must be 32 bytes of hex with a 0x prefix');
  }
  return hexToBytes(privateKey.slice(2));
}

export function addressOfPrivateKey(privateKey: string): Address {
  return addressOfPublicKey(secp256k1.getPublicKey(privateKeyBytes(privateKey), false));
}

/** `personal_sign` with a raw key: used by the local stack's dev wallet and by tests. */
export function signPersonalMessage(message: string, privateKey: string): `0x${string}` {
  secp256k1.hashes.sha256 ??= sha256;
  secp256k1.hashes.hmacSha256 ??= (key, data) => hmac(sha256, key, data);
  const sig = secp256k1.sign(hashPersonalMessage(message), privateKeyBytes(privateKey), {
    prehash: false,
    format: 'recovered',
  });
  // Back to Ethereum's layout: r || s || v with v = 27 + recovery.
  const ethereum = concatBytes(sig.subarray(1), Uint8Array.of(27 + sig[0]!));
  return `0x${bytesToHex(ethereum)}`;
}
