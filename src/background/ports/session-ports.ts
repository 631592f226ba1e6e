/**
 * What the session lifecycle is given: the clock, the alarms, the wallet it signs with, and the
 * service's whole set of dependencies. They live here, with the other ports, so that the session's
 * parts (sign-in, accounts, refresh) and its callers share them without importing the facade.
 */
import type { Address } from '../../core/eth/address.ts';
import type { Session } from '../../core/session/session.ts';
import type { Store } from '../storage/store.ts';

export interface Clock {
  now(): number;
  random(): number;
}

export interface AlarmPort {
  schedule(name: string, whenMs: number): Promise<void>;
  clear(name: string): Promise<void>;
  /** Every alarm set, by name, with when it fires. */
  scheduled(): Promise<Map<string, number>>;
}

/** The page wallet the person signs in with, reached through a tab's bridge. */
export interface WalletPort {
  /** Which page the wallet lives in, to recognise its later events. */
  source: string;
  requestAccounts(walletId?: string): Promise<unknown>;
  sign(address: Address, message: string, walletId?: string): Promise<unknown>;
}

/** The computer's input state as the browser's `idle` API reports it. */
export type IdleState = 'active' | 'idle' | 'locked';

export interface IdlePort {
  /** The state now, for an idle time of `seconds`. */
  queryState(seconds: number): Promise<IdleState>;
  /** How long without input makes the browser report `idle` (its change events follow it). */
  setDetectionInterval(seconds: number): void;
}

/** What session lifetimes need of the browser besides the clock and alarms. */
export interface LifetimePorts {
  idle: IdlePort;
  browserRun: {
    /**
     * True the first time it is asked in a browser run (kept in memory-only storage, which the
     * browser clears when it closes and when the extension is reloaded), false after that.
     */
    startedNow(): Promise<boolean>;
  };
}

export interface SessionServiceDeps extends LifetimePorts {
  store: Store;
  clock: Clock;
  fetch: typeof fetch;
  alarms: AlarmPort;
  /** Called after anything a page or the popup shows has changed. */
  onChange: () => void;
  /** Called once when a session becomes expired. */
  onExpired: (session: Session) => void;
}
