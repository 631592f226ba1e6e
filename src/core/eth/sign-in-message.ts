import { TakoError } from '../contract/errors.ts';
import { type Address, parseAddress } from './address.ts';

/** The words the wallet shows above the structured part. */
export const SIGN_IN_STATEMENT =
  'Tako wants you to sign in with your Ethereum account.\n\nThis request will not trigger a blockchain transaction or cost any gas fees.\n\n';

// RFC 3339 date-time (what the API documents for ISSUED AT).
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * The documented structure is `\nACCOUNT:\n{address}\nISSUED AT:\n{time}\n\n` with any text
 * before and after; the canonical message puts a blank line between the two fields, so both
 * spellings are accepted. Fields are captured loosely here and validated below, so that a bad
 * address or time gets its own clear error instead of "structure not found".
 */
const STRUCTURE = /\nACCOUNT:\n([^\n]*)\n\n?ISSUED AT:\n([^\n]*)\n\n/;

export interface SignInMessageFields {
  address: Address;
  /** ISSUED AT as milliseconds since the epoch. */
  issuedAtMs: number;
  /** ISSUED AT exactly as written in the message. */
  issuedAtText: string;
}

function toDate(issuedAt: Date | number | string): Date {
  const date = issuedAt instanceof Date ? new Date(issuedAt.getTime()) : new Date(issuedAt);
  if (Number.isNaN(date.getTime())) {
    throw new TakoError('invalid', `Not a valid time for ISSUED AT: ${String(issuedAt)}`);
  }
  return date;
}

/**
 * The canonical sign-in message (SPEC): checksummed address, UTC time with milliseconds. Its
 * bytes matter: a signature over it recovers to the address only for this exact form.
 */
export function buildSignInMessage(address: string, issuedAt: Date | number | string): string {
  const account = parseAddress(address);
  const time = toDate(issuedAt).toISOString();
  return `${SIGN_IN_STATEMENT}ACCOUNT:\n${account}\n\nISSUED AT:\n${time}\n\n`;
}

export function parseSignInMessage(message: unknown): SignInMessageFields {
  if (typeof message !== 'string') {
    throw new TakoError('invalid', 'The sign-in message must be a string');
  }
  const match = STRUCTURE.exec(message);
  if (!match) {
    throw new TakoError('invalid', 'The sign-in message does not contain the ACCOUNT / ISSUED AT structure the API requires');
  }
  const [, addressText = '', issuedAtText = ''] = match;
  if (addressText.trim() === '') throw new TakoError('invalid', 'The sign-in message has no ACCOUNT address');
  const address = parseAddress(addressText);
  if (!RFC3339.test(issuedAtText)) {
    throw new TakoError('invalid', `ISSUED AT is not an RFC 3339 time: ${JSON.stringify(issuedAtText).slice(0, 60)}`);
  }
  const issuedAtMs = Date.parse(issuedAtText);
  if (Number.isNaN(issuedAtMs)) {
    throw new TakoError('invalid', `ISSUED AT is not a real date: ${issuedAtText}`);
  }
  return { address, issuedAtMs, issuedAtText };
}
