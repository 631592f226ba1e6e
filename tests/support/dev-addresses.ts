/**
 * The addresses of the local stack's dev accounts, Hardhat's published keys #0 and #1
 * (tools/stack/demo/dev-keys.ts), for tests that name an account: read from the keys rather than
 * spelled again, so that every test means the same account as the demo wallet that signs for it.
 */
import { DEV_KEYS } from '../../tools/stack/demo/dev-keys.ts';

/** Dev key #0: the demo wallet's default account. */
export const DEV_ADDRESS = DEV_KEYS[0].address;

/** Dev key #1: the demo wallet's second account, and Dev Wallet B's. */
export const SECOND_DEV_ADDRESS = DEV_KEYS[1].address;
