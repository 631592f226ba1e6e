/**
 * A copy, in `storage.session`, of the records every token request and every worker start reads:
 * the settings, the active pointers, the allowed sites, the opened sessions and the approvals
 * waiting. A worker woken by a page's request
 * answers from it without opening IndexedDB or unsealing anything, which is most of what a cold
 * start cost (docs/performance.md).
 *
 * IndexedDB stays the only truth; the copy is trusted only while it cannot be behind it. It is
 * removed before any of these records is written, and put back whole only after the write
 * committed and no other write is running: a worker stopped in between finds no copy and reads
 * IndexedDB. `storage.session` lives in memory, is never written to disk, is readable by the
 * extension's own pages and worker only (content scripts are not given it), and is emptied when
 * the browser closes and when the extension reloads or updates (docs/security.md).
 */
import type { AllowedOrigin, ConsentRecord, Settings } from '../../core/consent/records.ts';
import { describeError } from '../../core/contract/errors.ts';
import { keyOf, SESSION_RECORD_VERSION, type Session } from '../../core/session/session.ts';
import { isObject } from './session-records.ts';
import { readAllowedOrigins, type Store } from './store.ts';

/** Bumped when the copy's shape changes; a copy of another format is not read. */
export const MIRROR_FORMAT = 1;

export interface MirrorRecord {
  format: typeof MIRROR_FORMAT;
  settings: Settings;
  active: Record<string, string>;
  origins: AllowedOrigin[];
  sessions: Session[];
  consent: ConsentRecord;
}

/** Where the copy lives: one `storage.session` key in the extension; a variable in tests. */
export interface MirrorPort {
  get(): Promise<unknown>;
  set(record: MirrorRecord): Promise<void>;
  remove(): Promise<void>;
}

function isSession(value: unknown): value is Session {
  return (
    isObject(value) &&
    value.v === SESSION_RECORD_VERSION &&
    typeof value.address === 'string' &&
    typeof value.accessToken === 'string' &&
    typeof value.refreshToken === 'string' &&
    isObject(value.endpoint) &&
    isObject(value.clock)
  );
}

/** The copy as read back, or undefined when there is none or it is not one this build wrote. */
export function readMirrorRecord(value: unknown): MirrorRecord | undefined {
  if (!isObject(value) || value.format !== MIRROR_FORMAT) return undefined;
  const { settings, active, origins, sessions, consent } = value;
  if (!isObject(settings) || settings.v !== 1 || !isObject(settings.endpoint)) return undefined;
  if (!isObject(active) || !Object.values(active).every((key) => typeof key === 'string')) return undefined;
  if (!Array.isArray(origins) || !Array.isArray(sessions) || !sessions.every(isSession)) return undefined;
  if (!isObject(consent) || consent.v !== 1 || !Array.isArray(consent.pending) || !Array.isArray(consent.cooldowns)) return undefined;
  return {
    format: MIRROR_FORMAT,
    settings: settings as unknown as Settings,
    active: active as Record<string, string>,
    origins: readAllowedOrigins(origins),
    sessions,
    consent: consent as unknown as ConsentRecord,
  };
}

type Known = {
  settings?: Settings;
  active?: Record<string, string>;
  origins?: AllowedOrigin[];
  sessions?: Map<string, Session>;
  consent?: ConsentRecord;
};
type Part = keyof Known;

export function withSessionMirror(inner: Store, port: MirrorPort): Store {
  /** The latest value of each record, as committed to IndexedDB (or read from the copy or from it). */
  const known: Known = {};
  /** Writes of mirrored records running: the copy is put back only when there are none. */
  let writing = 0;
  /** The copy may be in storage.session: unknown at start, so the first write removes it. */
  let mayBePresent = true;
  /** Every storage.session call, in order: a removal is never overtaken by an earlier put. */
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(step: () => Promise<T>): Promise<T> => {
    const done = queue.then(step);
    queue = done.catch(() => undefined);
    return done;
  };
  /** Per record, writes started: a read from IndexedDB that a write overtook is not kept. */
  const writesStarted: Record<Part, number> = { settings: 0, active: 0, origins: 0, sessions: 0, consent: 0 };

  let loaded: Promise<void> | undefined;
  /**
   * Reads the copy once per worker; the records it holds become known unless a write got there
   * first. With no copy, every mirrored record is read from IndexedDB now (most are read at start
   * anyway), so that the copy is made for the next worker even when this one never needs them all.
   */
  function load(): Promise<void> {
    loaded ??= enqueue(async () => {
      let copy: MirrorRecord | undefined;
      try {
        copy = readMirrorRecord(await port.get());
      } catch (error: unknown) {
        console.warn('Tako Session: the session copy could not be read:', describeError(error));
      }
      if (!copy) {
        mayBePresent = false;
        return false;
      }
      known.settings ??= copy.settings;
      known.active ??= copy.active;
      known.origins ??= copy.origins;
      known.sessions ??= new Map(copy.sessions.map((session) => [keyOf(session), session]));
      known.consent ??= copy.consent;
      return true;
    }).then((found) => {
      if (!found) void fill();
    });
    return loaded;
  }

  async function fill(): Promise<void> {
    try {
      await Promise.all([store.getSettings(), store.getActive(), store.getAllowedOrigins(), store.listSessions(), store.getConsent()]);
    } catch (error: unknown) {
      console.warn('Tako Session: the session copy could not be made:', describeError(error));
    }
  }

  /**
   * Puts the copy back when every mirrored record is known and no write is running, nor a refresh:
   * a session marked as refreshing (`refreshStartedAtMs`, stored before the request goes out) keeps
   * the copy away until the new pair is stored, so that write needs no removal first and the
   * moment between the API's answer and the stored pair is no longer than without a copy.
   */
  function restore(): void {
    const { settings, active, origins, sessions, consent } = known;
    if (writing > 0 || mayBePresent || !settings || !active || !origins || !sessions || !consent) return;
    for (const session of sessions.values()) if (session.refreshStartedAtMs !== undefined) return;
    mayBePresent = true;
    const record: MirrorRecord = { format: MIRROR_FORMAT, settings, active, origins, sessions: [...sessions.values()], consent };
    void enqueue(() => port.set(record)).catch((error: unknown) => {
      console.warn('Tako Session: the session copy could not be kept:', describeError(error));
    });
  }

  /** Reads from IndexedDB running, per record: the fill and a request asking at once read it once. */
  const reading: { [P in Part]?: { value: Promise<NonNullable<Known[P]>>; writes: number } } = {};

  async function read<P extends Part>(part: P, fromStore: () => Promise<NonNullable<Known[P]>>): Promise<NonNullable<Known[P]>> {
    await load();
    const copied = known[part];
    if (copied) return copied as NonNullable<Known[P]>;
    const running = reading[part];
    if (running && running.writes === writesStarted[part]) return running.value;
    const started = writesStarted[part];
    const value = fromStore();
    (reading as Record<P, { value: typeof value; writes: number }>)[part] = { value, writes: started };
    try {
      const read = await value;
      if (writesStarted[part] === started) {
        known[part] = read;
        restore();
      }
      return read;
    } finally {
      if (reading[part]?.value === value) delete reading[part];
    }
  }

  /**
   * Removes the copy (when it may be there), then commits to IndexedDB, then records the new
   * value; the copy comes back once no write is running. A failed write leaves the record unknown,
   * so no copy is made from a value IndexedDB may not hold.
   */
  async function write(part: Part, commit: () => Promise<void>, apply: () => void): Promise<void> {
    writing++;
    writesStarted[part]++;
    try {
      // Not there otherwise: restore() marks it present as it queues a put, so the removal queued
      // here goes after any put still waiting.
      if (mayBePresent) {
        mayBePresent = false;
        await enqueue(() => port.remove());
      }
      await commit();
      apply();
    } catch (error) {
      delete known[part];
      throw error;
    } finally {
      writing--;
    }
    restore();
  }

  /** A record written whole: read through the copy, written as above, the value kept as written. */
  function wholeRecord<P extends Exclude<Part, 'sessions'>>(
    part: P,
    load: () => Promise<NonNullable<Known[P]>>,
    save: (value: NonNullable<Known[P]>) => Promise<void>,
  ) {
    return {
      get: () => read(part, load),
      set: (value: NonNullable<Known[P]>) =>
        write(
          part,
          () => save(value),
          () => {
            known[part] = value;
          },
        ),
    };
  }
  const settings = wholeRecord('settings', inner.getSettings, inner.saveSettings);
  const active = wholeRecord('active', inner.getActive, inner.setActive);
  const origins = wholeRecord('origins', inner.getAllowedOrigins, inner.setAllowedOrigins);
  const consent = wholeRecord('consent', inner.getConsent, inner.setConsent);

  const store: Store = {
    ...inner,
    getSettings: settings.get,
    saveSettings: settings.set,
    getActive: active.get,
    setActive: active.set,
    getAllowedOrigins: origins.get,
    setAllowedOrigins: origins.set,
    getConsent: consent.get,
    setConsent: consent.set,
    async listSessions() {
      const sessions = await read('sessions', async () => new Map((await inner.listSessions()).map((s) => [keyOf(s), s])));
      return [...sessions.values()];
    },
    async getSession(key) {
      await load();
      return known.sessions ? known.sessions.get(key) : inner.getSession(key);
    },
    putSession: (session) =>
      write(
        'sessions',
        () => inner.putSession(session),
        () => known.sessions?.set(keyOf(session), session),
      ),
    deleteSessions: (keys) =>
      write(
        'sessions',
        () => inner.deleteSessions(keys),
        () => {
          for (const key of keys) known.sessions?.delete(key);
        },
      ),
  };
  return store;
}
