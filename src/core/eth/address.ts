import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { TakoError } from '../contract/errors.ts';

/** An EIP-55 checksummed Ethereum address. */
export type Address = `0x${string}`;

const ADDRESS_SHAPE = /^0x[0-9a-fA-F]{40}$/;

export function hasAddressShape(value: unknown): value is string {
  return typeof value === 'string' && ADDRESS_SHAPE.test(value);
}

/** EIP-55: uppercase each hex letter whose nibble in keccak256(lowercase hex) is 8 or more. */
export function toChecksumAddress(value: string): Address {
  if (!hasAddressShape(value)) {
    throw new TakoError('invalid', `Not an Ethereum address: ${JSON.stringify(value).slice(0, 60)}`);
  }
  const lower = value.slice(2).toLowerCase();
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i]!;
    out += parseInt(hash[i]!, 16) >= 8 ? ch.toUpperCase() : ch;
  }
  return out as Address;
}

/**
 * Accepts an address in any valid form: all lowercase, all uppercase, or mixed case that is a
 * correct EIP-55 checksum. A mixed-case address with a wrong checksum is a typo, so it is refused.
 */
export function parseAddress(value: unknown): Address {
  if (!hasAddressShape(value)) {
    throw new TakoError('invalid', `Not an Ethereum address: ${JSON.stringify(value)?.slice(0, 60)}`);
  }
  const checksummed = toChecksumAddress(value);
  const body = value.slice(2);
  const singleCase = body === body.toLowerCase() || body === body.toUpperCase();
  if (!singleCase && value !== checksummed) {
    throw new TakoError('invalid', `Address checksum is wrong (EIP-55): ${value}`);
  }
  return checksummed;
}

export function isValidChecksumAddress(value: unknown): value is Address {
  return hasAddressShape(value) && toChecksumAddress(value) === value;
}

export function sameAddress(a: string, b: string): boolean {
  return hasAddressShape(a) && hasAddressShape(b) && a.toLowerCase() === b.toLowerCase();
}

/** An address as people read it at a glance: "0xf39F…2266" (the full one stays in a tooltip or attribute). */
export function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}
