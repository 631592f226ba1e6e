/**
 * What a leak looks like in text a page, a log or a message could hold: the signed-in account's
 * address in any spelling, and a JWT of any kind. Searched for wherever the session must not reach.
 */
import { DEV_ADDRESS } from '../dev-addresses.ts';

/** The address as a page could spell it: any case, with or without 0x. */
export const ADDRESS_HEX = DEV_ADDRESS.slice(2).toLowerCase();
/** A JWT of any kind, wherever it appears in a text. */
export const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g;
