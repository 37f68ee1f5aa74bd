/**
 * Routes answered below the framework: the requests a service sends all the time — a verify on
 * every call it gets, a replica's ack four times a second and at once after each narrowing
 * change a write waits for — are answered at the `node:http` layer, before @hono/node-server
 * builds a web Request and before the app's middleware chain and zod-openapi's validators run.
 * Measured, that took a verify from 27-31 µs of CPU to 20-24 µs, and a deactivation with ten
 * replicas connected from p50 16–17 ms to 13–14 ms (docs/performance.md).
 *
 * Only a plain request is answered here: `POST` to the route's exact path, a token whose role
 * has the route's permission, a JSON body within the size limit that the route's own reading
 * accepts. Anything else goes on, untouched, to the full route, so every refusal is the app's
 * own: another path, method or content type, a chunked or oversized body, a header sent twice,
 * a `Host` the daemon does not serve, a missing or weak token, a client-chosen `X-Request-Id`.
 * A body this layer has read and does not accept (not UTF-8, not JSON, not the schema) is
 * handed on as `rawBody`, which the adapter reads instead of the (spent) stream. The checks
 * here are the full route's, in its order: the Host, the token before the body is read, then
 * size and media type, strict UTF-8, the body.
 * `test/daemon/fast-routes.test.ts` holds both paths to the same answers.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { OperatorService } from '../auth/operators.js';
import { can, type Permission } from '../auth/permissions.js';
import type { IndexedOperator } from '../store.js';
import { bearerOperator } from './auth.js';
import { checkHost, type HostPolicy } from './host.js';

/** A route this layer answers when the request is plain. */
export type FastRoute = {
  /** The full route's path, exactly: a query string or another path goes to the full route. */
  path: string;
  permission: Permission;
  /**
   * The answer's JSON (status 200) to `body`, the request's parsed JSON, or undefined when the
   * route's schema would not accept it (the full route then reads and refuses it). It may
   * decline only before it has changed anything. `startedAt` is the `performance.now()` of
   * the request's arrival, for latency metrics.
   */
  answer(body: unknown, operator: IndexedOperator, startedAt: number): string | undefined;
};

export type FastRoutesOptions = {
  operators: OperatorService;
  routes: readonly FastRoute[];
  maxBodyBytes: number;
  /** The names the app's Host check serves. */
  hosts: HostPolicy;
};

export type FastRoutes = {
  /** A listener answering plain requests to the routes itself and passing every other request to `next`. */
  listener(next: RequestListener): RequestListener;
  /** Requests this layer answered: lets a test tell which path answered, without telling a client. */
  readonly answered: number;
};

/** Content types that every layer of the full route (JSON-only check, media-type gate, validator) reads as JSON. */
const PLAIN_JSON = /^application\/json(?:;\s*charset=utf-8)?$/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** @hono/node-server reads a request's body from `rawBody` when it is there (as on Cloud Functions). */
type HandedOn = IncomingMessage & { rawBody?: Buffer };

/** What this layer decides on, from a plain request's headers. */
type PlainHeaders = { host: string | undefined; authorization: string };

/** Headers this layer reads; each may appear once. */
type Deciding = 'host' | 'content-length' | 'content-type' | 'authorization';
const DECIDING = new Set<string>(['host', 'content-length', 'content-type', 'authorization'] satisfies Deciding[]);
/** Headers that always send a request to the full route. */
const UNUSUAL = new Set(['transfer-encoding', 'x-request-id']);

/**
 * The headers of a plain request, or undefined when the request is not plain. One pass over
 * the raw headers. A header sent twice goes to the full route: node keeps the first
 * `Authorization` or `Host` while the adapter joins both, so the two paths would read it
 * differently.
 */
function plainHeaders(req: IncomingMessage, maxBodyBytes: number): PlainHeaders | undefined {
  const raw = req.rawHeaders;
  const seen: Partial<Record<Deciding, string>> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (UNUSUAL.has(name)) return undefined;
    if (!DECIDING.has(name)) continue;
    if (seen[name as Deciding] !== undefined) return undefined;
    seen[name as Deciding] = raw[i + 1];
  }
  const bytes = Number(seen['content-length']);
  if (!(bytes > 0 && bytes <= maxBodyBytes) || !PLAIN_JSON.test(seen['content-type'] ?? '')) return undefined;
  return { host: seen.host, authorization: seen.authorization ?? '' };
}

/** Collects the body (node frames it by Content-Length); `done(undefined)` when the client went away first. */
function readBody(req: IncomingMessage, done: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  // `on`, not `once`: each `once` wraps its listener in one more object, on every request.
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
  req.on('error', () => done(undefined));
}

/** The body as JSON, or undefined when it is not strict UTF-8 or not JSON. */
function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(strictUtf8.decode(body));
  } catch {
    return undefined;
  }
}

/**
 * @example
 * const fast = fastRoutes({ operators, routes: [fastVerifyRoute(verifier)], maxBodyBytes: 64 * 1024, hosts: hostPolicy() });
 * createHttpServer(app.fetch, { hostname, front: fast.listener });
 */
export function fastRoutes(options: FastRoutesOptions): FastRoutes {
  const { operators, maxBodyBytes, hosts } = options;
  const routes = new Map(options.routes.map((route) => [route.path, route]));
  let answered = 0;
  // As the app's Host check does: a client sends the same Host every time, so the last one
  // allowed skips the parse. Refused values are never remembered.
  let lastAllowedHost: string | undefined;
  const hostAllowed = (host: string | undefined) => {
    if (host !== undefined && host === lastAllowedHost) return true;
    if (checkHost(host, hosts)) return false;
    lastAllowedHost = host;
    return true;
  };

  function answer(res: ServerResponse, payload: string): void {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      'x-request-id': randomUUID(),
    });
    res.end(payload);
    answered++;
  }

  return {
    get answered() {
      return answered;
    },
    listener(next) {
      return function fastRoute(req: HandedOn, res) {
        const route = req.method === 'POST' ? routes.get(req.url ?? '') : undefined;
        if (!route) return next(req, res);
        // Latency counts from the request's arrival, the body's reading included.
        const startedAt = performance.now();
        const headers = plainHeaders(req, maxBodyBytes);
        if (!headers || !hostAllowed(headers.host)) return next(req, res);
        const operator = bearerOperator(operators, headers.authorization);
        if (!operator || !can(operator.role, route.permission)) return next(req, res);
        readBody(req, (body) => {
          if (!body) return; // the client is gone: nobody to answer
          const value = parseBody(body);
          try {
            const payload = value === undefined ? undefined : route.answer(value, operator, startedAt);
            if (payload !== undefined) return answer(res, payload);
          } catch {
            // The full route meets the same failure and answers it as every route does (a logged 500).
          }
          req.rawBody = body;
          return next(req, res);
        });
      };
    },
  };
}
