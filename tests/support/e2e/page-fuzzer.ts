/**
 * A seeded fuzzer that runs inside a page (passed to `page.evaluate`, so it uses nothing from
 * outside itself): it posts random and malformed messages on every channel, floods of valid
 * requests and odd calls of `window.takoSession.request`, and reports whether each request that
 * should be answered was answered once, how, and which tokens came back.
 */

export interface FuzzOptions {
  seed: number;
  count: number;
  methods: string[];
  PAGE_CHANNEL: string;
  CONTENT_CHANNEL: string;
  /** Gives up waiting for replies after this long; whatever is missing is reported. */
  deadlineMs: number;
}

export interface FuzzReport {
  posted: number;
  apiCalls: number;
  expectedReplies: number;
  missingReplies: string[];
  duplicateReplies: string[];
  /** Reply outcomes by code ('ok' for results). */
  outcomes: Record<string, number>;
  /** API calls that did not settle, or rejected with something other than an Error with a numeric code. */
  badApiCalls: string[];
  tokens: string[];
}

/** Runs in the page: posts `count` random and malformed messages and calls, and checks each answer. */
export async function fuzzInPage(options: FuzzOptions): Promise<FuzzReport> {
  const { PAGE_CHANNEL, CONTENT_CHANNEL } = options;
  let state = options.seed >>> 0;
  // mulberry32: a seeded generator, so a failure can be replayed.
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => random() < p;

  const hostileKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'then', 'hasOwnProperty', 'ok', 'result', 'origin'];
  const text = (): string => {
    if (chance(0.004)) return 'x'.repeat(65_536 + int(1_000_000)); // huge
    return pick([
      '',
      ' ',
      'tako',
      '\u0000',
      '\ud800',
      '😀'.repeat(int(50)),
      '<img src=x onerror=alert(1)>',
      '../../etc/passwd',
      'a'.repeat(int(300)),
      ...hostileKeys,
      ...options.methods,
      String(random()),
    ]);
  };
  const value = (depth: number): unknown => {
    const kind = int(depth > 3 ? 9 : 14);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return undefined;
      case 2:
        return pick([true, false]);
      case 3:
        return pick([0, -0, 1, -1, 1e308, -1e308, NaN, Infinity, -Infinity, 2 ** 53 + 1, random()]);
      case 4:
      case 5:
        return text();
      case 6:
        return new Date(pick([0, Date.now(), 8.64e15]));
      case 7:
        return pick([/x/g, new Uint8Array(int(64)), new ArrayBuffer(int(64))]);
      case 8:
        return pick([10n, -1n]); // structured clone takes BigInt, extension messaging does not
      case 9:
      case 10:
        return Array.from({ length: int(6) }, () => value(depth + 1));
      case 11: {
        // "__proto__" and friends as own data keys, as JSON.parse makes them.
        const object: Record<string, unknown> = {};
        for (let i = int(5); i >= 0; i--) {
          Object.defineProperty(object, pick(hostileKeys), {
            value: value(depth + 1),
            enumerable: true,
            configurable: true,
            writable: true,
          });
        }
        return object;
      }
      case 12:
        return new Map([[text(), value(depth + 1)]]);
      default: {
        let nested: unknown = text();
        for (let i = 0; i < 200; i++) nested = [nested];
        return nested;
      }
    }
  };
  const badId = (): unknown => pick(['', 'x'.repeat(65), 'y'.repeat(5000), 42, null, undefined, {}, [], true]);

  const expected = new Set<string>();
  const replies = new Map<string, number>();
  const outcomes: Record<string, number> = {};
  const tokens = new Set<string>();
  window.addEventListener('message', (event) => {
    const data = event.data as {
      channel?: unknown;
      kind?: unknown;
      id?: unknown;
      reply?: { ok?: unknown; result?: unknown; error?: { code?: unknown } };
    } | null;
    if (event.source !== window || data?.channel !== CONTENT_CHANNEL || data.kind !== 'reply' || typeof data.id !== 'string') return;
    if (!expected.has(data.id)) return;
    replies.set(data.id, (replies.get(data.id) ?? 0) + 1);
    const key = data.reply?.ok === true ? 'ok' : String(data.reply?.error?.code);
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    const token = (data.reply?.result as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string') tokens.add(token);
  });

  const post = (message: unknown): boolean => {
    try {
      window.postMessage(message, '*');
      return true;
    } catch {
      // Not cloneable: nothing was sent.
      return false;
    }
  };
  let nextId = 0;
  const request = (method: unknown, params: unknown) => {
    const id = `fz-${nextId++}`;
    const message = chance(0.5)
      ? { channel: PAGE_CHANNEL, kind: 'request', id, method, params }
      : { channel: PAGE_CHANNEL, kind: 'request', id, method };
    if (post(message)) expected.add(id);
  };
  const api = window.takoSession!.request as (args: unknown) => Promise<unknown>;
  const apiCalls: Array<Promise<string | null>> = [];
  const callApi = (args: unknown) => {
    const settled = new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(`never settled: ${String(JSON.stringify(args)).slice(0, 80)}`), options.deadlineMs);
      let call: Promise<unknown>;
      try {
        call = api(args);
      } catch (error) {
        call = Promise.reject(error);
      }
      call.then(
        () => {
          clearTimeout(timer);
          resolve(null);
        },
        (error: unknown) => {
          clearTimeout(timer);
          const ok = error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
          resolve(ok ? null : `bad rejection: ${String(error)}`);
        },
      );
    });
    apiCalls.push(settled);
  };

  let posted = 0;
  while (posted < options.count) {
    // Every thousand messages, a flood: a burst of valid requests in one task.
    if (posted % 1000 === 500) {
      for (let i = 0; i < 300; i++, posted++) request(pick(options.methods), undefined);
      continue;
    }
    const shape = int(11);
    posted += 1;
    switch (shape) {
      case 0:
      case 1:
      case 2:
        // A well-formed request, for a real, unknown or hostile method name, with any params.
        request(chance(0.6) ? pick(options.methods) : text(), chance(0.5) ? value(0) : undefined);
        break;
      case 3:
        // The right channel and kind, the wrong types.
        request(pick([42, null, {}, [], true, 'm'.repeat(129 + int(100_000))]), value(0));
        break;
      case 4:
        post({ channel: PAGE_CHANNEL, kind: 'request', id: badId(), method: pick(options.methods) });
        break;
      case 5:
        post({
          channel: PAGE_CHANNEL,
          kind: pick(['wallet-reply', 'wallet-accounts', 'reply', 'event', text()]),
          id: value(1),
          reply: value(1),
          accounts: value(1),
        });
        break;
      case 6:
        post({
          channel: CONTENT_CHANNEL,
          kind: pick(['reply', 'event', 'wallet-request']),
          id: value(1),
          reply: value(1),
          data: value(1),
          request: value(1),
        });
        break;
      case 7:
        post(value(0));
        break;
      case 8: {
        // A valid request carrying "__proto__" and "constructor" as own keys.
        const message = JSON.parse(
          `{"channel":"${PAGE_CHANNEL}","kind":"request","id":"fz-${nextId}","method":"tako_getToken",` +
            '"__proto__":{"kind":"wallet-reply"},"constructor":{"prototype":{"polluted":true}}}',
        ) as unknown;
        if (post(message)) expected.add(`fz-${nextId}`);
        nextId += 1;
        break;
      }
      case 9:
        callApi(
          pick([
            undefined,
            null,
            42,
            'tako_getToken',
            [],
            {},
            { method: 42 },
            { method: 'x'.repeat(1000) },
            { method: pick(options.methods), params: value(0) },
            { method: text() },
          ]),
        );
        break;
      default:
        // A hostile key first, then anything on any channel.
        post({
          [pick(hostileKeys)]: value(1),
          channel: pick([PAGE_CHANNEL, CONTENT_CHANNEL, text()]),
          kind: text(),
          id: `fz-x`,
          method: value(1),
        });
    }
    // Let the page breathe now and then, as a real page would between bursts.
    if (posted % 250 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }

  const deadline = Date.now() + options.deadlineMs;
  while (Date.now() < deadline && [...expected].some((id) => !replies.has(id))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const badApiCalls = (await Promise.all(apiCalls)).filter((problem): problem is string => problem !== null);
  return {
    posted,
    apiCalls: apiCalls.length,
    expectedReplies: expected.size,
    missingReplies: [...expected].filter((id) => !replies.has(id)).slice(0, 20),
    duplicateReplies: [...replies]
      .filter(([, n]) => n > 1)
      .map(([id]) => id)
      .slice(0, 20),
    outcomes,
    badApiCalls: badApiCalls.slice(0, 20),
    tokens: [...tokens],
  };
}
