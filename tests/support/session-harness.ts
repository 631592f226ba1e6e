/**
 * The background's session service in Node on a test clock, over a map-backed store whose calls
 * can be held (held-store.ts), recorded alarms, and a Tako API that answers every refresh with a
 * new pair minted by the local stack's issuer, in process. One signed-in session is seeded.
 */
import { refreshAlarmName } from '../../src/background/session/keys.ts';
import { createSessionService } from '../../src/background/session/service.ts';
import { parseTokenReply } from '../../src/core/api/tako-client.ts';
import { customEndpoint, endpointKey } from '../../src/core/session/endpoints.ts';
import { keyOf, type Session, sessionFromGrant } from '../../src/core/session/session.ts';
import { DEV_KEYS } from '../../tools/stack/demo/dev-keys.ts';
import { TokenIssuer } from '../../tools/stack/tokens.ts';
import { withHeldCalls } from './held-store.ts';
import { lifetimePorts } from './lifetime-ports.ts';
import { memoryStore } from './memory-store.ts';

export const ADDRESS = DEV_KEYS[0].address;
export const ENDPOINT = customEndpoint('https://api.example', 'v2');
const LIFETIMES = { accessTtlSec: 3600, refreshTtlSec: 86_400 };

export function sessionHarness() {
  const memory = memoryStore();
  const held = withHeldCalls(memory.store);
  let time = Date.UTC(2026, 11, 2, 12);
  const issuer = new TokenIssuer('a key for unit tests only');
  const alarms = new Map<string, number>();
  /** Every alarm the service set or cleared, in order. */
  const alarmCalls: string[] = [];
  /** Every request the API received, with the test clock's time. */
  const requests: Array<{ path: string; at: number }> = [];
  /** While set, replies wait for it (the request has reached the API). */
  let replies: Promise<void> | undefined;
  const lifetime = lifetimePorts(() => time);

  async function reply(): Promise<Response> {
    const pair = await issuer.issuePair(ADDRESS, time, LIFETIMES);
    return new Response(JSON.stringify({ status: 'success', data: pair }), {
      status: 200,
      headers: { 'content-type': 'application/json', date: new Date(time).toUTCString() },
    });
  }

  const newWorker = () =>
    createSessionService({
      store: held.store,
      clock: { now: () => time, random: () => 0.5 },
      fetch: async (input) => {
        requests.push({ path: new URL(String(input)).pathname, at: time });
        if (replies) await replies;
        return reply();
      },
      alarms: {
        schedule: async (name, when) => {
          alarmCalls.push(`set ${name}`);
          alarms.set(name, when);
        },
        clear: async (name) => {
          alarmCalls.push(`clear ${name}`);
          alarms.delete(name);
        },
        scheduled: async () => new Map(alarms),
      },
      onChange: () => undefined,
      onExpired: () => undefined,
      ...lifetime.ports,
    });
  let service = newWorker();

  /** Signs the dev account in, as a finished sign-in leaves it: stored, active, its alarm set. */
  async function seed(): Promise<Session> {
    const response = await reply();
    const grant = parseTokenReply(200, await response.text(), { date: response.headers.get('date') }, time);
    const session = sessionFromGrant(grant, ENDPOINT, ADDRESS, time);
    await memory.store.saveSettings({ v: 1, endpoint: ENDPOINT });
    await memory.store.putSession(session);
    await memory.store.setActive({ [endpointKey(ENDPOINT)]: keyOf(session) });
    alarms.set(refreshAlarmName(keyOf(session)), session.accessExpMs);
    return session;
  }

  return {
    /** The service of the running worker. */
    get service() {
      return service;
    },
    /** A new worker over the same storage, alarms and API: what a stopped worker comes back as. */
    restartWorker() {
      service = newWorker();
    },
    seed,
    /** The store as the service sees it, with `hold`. */
    held,
    stored: () => memory.store.listSessions(),
    alarms,
    alarmCalls,
    /** The computer's input, its lock and browser runs, as lifetimes see them. */
    lifetime,
    requests,
    advance: (ms: number) => {
      time += ms;
    },
    now: () => time,
    /** Holds every reply until the returned function is called. */
    holdReplies(): () => void {
      let release!: () => void;
      replies = new Promise<void>((resolve) => (release = resolve));
      return () => {
        replies = undefined;
        release();
      };
    },
  };
}
