/**
 * The local stack: a Tako-compatible API, a MetaHuman-compatible token endpoint and the demo dapp
 * page, on 127.0.0.1 only. Tests and developers steer it (clock, token lifetimes, injected faults)
 * through the returned object or over HTTP under /__stack/.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../../src/core/contract/errors.ts';
import { answerControl, CONTROL_PREFIX, type ControlTarget } from './control-api.ts';
import { bundleDemoScript } from './demo/bundle.ts';
import { DEMO_PAGE_CSP, DEMO_PAGE_HTML } from './demo/page-html.ts';
import { FaultPlan, type FaultSpec, type PendingFault } from './faults.ts';
import { bodyForLog, type HttpReply, MAX_BODY_BYTES, type RequestBody, readBody, textReply } from './http-io.ts';
import { issueMetahumanToken, metahumanError } from './metahuman-api.ts';
import { type LoggedRequest, RequestLog } from './request-log.ts';
import { DEFAULT_CONFIG, parseConfigChanges, type StackConfig } from './stack-config.ts';
import { ignoreBid, refresh, signIn, type TakoApiContext, takoError } from './tako-api.ts';
import { TokenIssuer } from './tokens.ts';

export type { FaultSpec, PendingFault } from './faults.ts';
export type { LoggedRequest } from './request-log.ts';
export type { StackConfig } from './stack-config.ts';

export interface StackOptions extends Partial<StackConfig> {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** HS256 key for the tokens; random per start unless given. */
  secret?: string;
}

export interface Stack {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** The request log, oldest first; a string filter matches the path exactly. */
  requests(pathFilter?: string | RegExp): LoggedRequest[];
  clearRequests(): void;
  /** Changes settings live and returns the whole configuration. */
  configure(changes: Partial<StackConfig>): StackConfig;
  /** The server clock: Date.now() + clockOffsetMs. */
  now(): number;
  /**
   * Revokes every access token issued so far (a server restart, an operator ending sessions):
   * authenticated routes answer 401 to them before their `exp`; refresh tokens still work.
   */
  revokeAccessTokens(): number;
  readonly faults: {
    /** The next `count` requests to `path` fail as described. */
    inject(path: string, fault: FaultSpec): void;
    pending(): PendingFault[];
    clear(): void;
  };
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  // Date is not a CORS-safelisted header; clients read it to measure clock skew.
  'Access-Control-Expose-Headers': 'Date, Retry-After',
  'Access-Control-Max-Age': '600',
};

// A `malformed` fault's body: JSON cut off mid-way, as when a proxy loses the upstream.
const MALFORMED_BODY = '{"status":"success","data":{"token_type":"Bearer","tok';

interface RouteRequest {
  body: RequestBody;
  authorization: string | undefined;
}

interface Route {
  method: 'GET' | 'POST';
  handle(request: RouteRequest): HttpReply | Promise<HttpReply>;
}

export const PROBE_PAGE_PATH = '/probe';
const PROBE_SCRIPT_PATH = '/probe.js';
const PROBE_PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>probe</title><script src="${PROBE_SCRIPT_PATH}"></script><p>Probe page.</p>`;
/** Sets `window.probe.atFirstScript`: what the page's first script found as `window.takoSession`. */
const PROBE_SCRIPT = 'window.probe = { atFirstScript: typeof window.takoSession };';

/** The error envelope of whichever API the path belongs to. */
function errorReply(path: string, status: number, message: string, headers: Record<string, string> = {}): HttpReply {
  return path.startsWith('/auth/') ? metahumanError(status, status, message, headers) : takoError(status, message, headers);
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const { port: requestedPort = 0, secret = randomBytes(32).toString('base64url'), ...initial } = options;
  const config: StackConfig = { ...DEFAULT_CONFIG, ...parseConfigChanges(initial) };
  const now = () => Date.now() + config.clockOffsetMs;
  const log = new RequestLog();
  const faults = new FaultPlan();
  // Aborted by close(), so that delayed replies do not keep the process alive.
  const closing = new AbortController();
  const demoScript = await bundleDemoScript();

  const tako: TakoApiContext = {
    tokens: new TokenIssuer(secret),
    now,
    lifetimes: () => ({ accessTtlSec: config.accessTtlSec, refreshTtlSec: config.refreshTtlSec }),
  };
  const post = (handle: Route['handle']): Route => ({ method: 'POST', handle });
  const routes = new Map<string, Route>();
  for (const version of ['v1', 'v2']) {
    routes.set(
      `/${version}/token`,
      post(({ body }) => signIn(tako, body)),
    );
    routes.set(
      `/${version}/refresh_token`,
      post(({ body }) => refresh(tako, body)),
    );
    routes.set(
      `/${version}/farcaster/ignore_bid`,
      post(({ authorization }) => ignoreBid(tako, authorization)),
    );
  }
  routes.set(
    '/auth/token',
    post(({ body }) => issueMetahumanToken(body)),
  );
  routes.set('/', {
    method: 'GET',
    handle: () => textReply(200, 'text/html; charset=utf-8', DEMO_PAGE_HTML, { 'Content-Security-Policy': DEMO_PAGE_CSP }),
  });
  routes.set('/demo.js', { method: 'GET', handle: () => textReply(200, 'text/javascript; charset=utf-8', demoScript) });
  // A page whose first script records what it found, to prove the page API is there before any
  // of a page's own scripts run (document_start), in whichever browser.
  routes.set(PROBE_PAGE_PATH, { method: 'GET', handle: () => textReply(200, 'text/html; charset=utf-8', PROBE_PAGE_HTML) });
  routes.set(PROBE_SCRIPT_PATH, { method: 'GET', handle: () => textReply(200, 'text/javascript; charset=utf-8', PROBE_SCRIPT) });

  function configure(changes: unknown): StackConfig {
    Object.assign(config, parseConfigChanges(changes));
    return { ...config };
  }
  const revokeAccessTokens = () => tako.tokens.revokeAccessTokens();
  const controlTarget: ControlTarget = { log, faults, configure, now, revokeAccessTokens };

  /**
   * `arrivedAt`: the server clock when the request arrived. Date is stamped then, as a busy backend
   * or a cache in front of it does: a reply held by a `delay` fault carries a Date from before the
   * hold, which is what a client must cope with.
   */
  function send(res: ServerResponse, reply: HttpReply, arrivedAt: number): void {
    res.writeHead(reply.status, {
      ...CORS_HEADERS,
      // Node would stamp the real time; the server clock is the one clients must see.
      Date: new Date(arrivedAt).toUTCString(),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...reply.headers,
      'Content-Length': String(Buffer.byteLength(reply.body)),
    });
    res.end(reply.body);
  }

  /**
   * The reply to an API or page request, or 'drop' to hang up without one. `answered` is told the
   * status as soon as the server has acted on the request, before a `delay-reply` holds it.
   */
  async function answer(
    method: string,
    path: string,
    request: RouteRequest,
    answered: (status: number) => void,
  ): Promise<HttpReply | 'drop'> {
    if (request.body.tooLarge) return errorReply(path, 413, `The request body is over ${MAX_BODY_BYTES} bytes`);
    const fault = faults.take(path);
    if (fault?.kind === 'drop') return 'drop';
    if (fault?.kind === 'malformed') return textReply(200, 'application/json; charset=utf-8', MALFORMED_BODY);
    if (fault?.kind === 'status') {
      const status = fault.status ?? 500;
      const retryAfter: Record<string, string> = fault.retryAfterSec === undefined ? {} : { 'Retry-After': String(fault.retryAfterSec) };
      return errorReply(path, status, `${STATUS_CODES[status] ?? 'Error'} (fault injected by the local stack)`, retryAfter);
    }
    // 307 keeps the method and body: a client that followed it would send them on.
    if (fault?.kind === 'redirect') return textReply(307, 'text/plain; charset=utf-8', '', { Location: fault.location ?? `${path}/moved` });
    if (fault?.kind === 'delay') await sleep(fault.delayMs ?? 1000, undefined, { signal: closing.signal });
    if (fault?.kind === 'delay-reply') {
      const reply = await answerRoute(method, path, request);
      answered(reply.status);
      await sleep(fault.delayMs ?? 1000, undefined, { signal: closing.signal });
      return reply;
    }
    return answerRoute(method, path, request);
  }

  async function answerRoute(method: string, path: string, request: RouteRequest): Promise<HttpReply> {
    const route = routes.get(path);
    if (!route) return errorReply(path, 404, `Not found: ${method} ${path}`);
    // HEAD is GET without the body (node leaves the body out by itself).
    if (route.method !== (method === 'HEAD' ? 'GET' : method)) {
      return errorReply(path, 405, `${path} only answers ${route.method}`, { Allow: `${route.method}, OPTIONS` });
    }
    return route.handle(request);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    // Preflights are browser plumbing, not API calls: answered at once, not logged, never faulted.
    if (method === 'OPTIONS') return send(res, { status: 204, headers: {}, body: '' }, arrivedAt);
    // Control calls are not logged either, so tests see only what the client under test sent.
    if (path.startsWith(CONTROL_PREFIX)) {
      const { text } = await readBody(req);
      return send(res, answerControl(controlTarget, method, url, text), arrivedAt);
    }

    const body = await readBody(req);
    const entry = log.add({
      at: arrivedAt,
      method,
      path,
      body: bodyForLog(body),
      status: null,
      authorization: req.headers.authorization !== undefined,
    });
    let reply: HttpReply | 'drop';
    try {
      reply = await answer(method, path, { body, authorization: req.headers.authorization }, (status) => (entry.status = status));
    } catch (error) {
      reply = closing.signal.aborted ? 'drop' : errorReply(path, 500, `Internal error: ${describeError(error)}`);
    }
    if (reply === 'drop') {
      req.socket.destroy();
      return;
    }
    entry.status = reply.status;
    send(res, reply, arrivedAt);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Only reached when the reply itself failed (e.g. the client went away); nothing to answer.
      if (!closing.signal.aborted) console.error('tako stack:', describeError(error));
      req.socket.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: requestedPort, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    requests: (pathFilter) => log.list(pathFilter),
    clearRequests: () => log.clear(),
    configure,
    now,
    revokeAccessTokens,
    faults: {
      inject: (path, fault) => faults.inject(path, fault),
      pending: () => faults.pending(),
      clear: () => faults.clear(),
    },
  };
}
