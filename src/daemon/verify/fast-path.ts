/**
 * The fast path of `POST /v1/verify`, below the framework: the request services send on every
 * call they get (a token allowed to verify, a plain JSON body within the size limit that the
 * route's schema accepts) is answered at the `node:http` layer, before @hono/node-server
 * builds a web Request and before the app's middleware chain and zod-openapi's validators run.
 * Measured, that took a verify from 27-31 µs of CPU to 20-24 µs (docs/performance.md).
 *
 * Anything else goes on, untouched, to the full route, so every refusal is the app's own:
 * another path, method or content type, a chunked or oversized body, a header sent twice, a
 * `Host` the daemon does not serve, a missing or weak token, a client-chosen `X-Request-Id`. A
 * body this path has read and does not accept (not UTF-8, not JSON, not the schema) is handed
 * on as `rawBody`, which the adapter reads instead of the (spent) stream. The checks here are
 * the full route's, in its order: the Host, the token before the body is read, then size and
 * media type, strict UTF-8, the body schema (read by fast-body.ts, which declines what it does
 * not accept to the full route's own schema).
 * `test/daemon/verify-fast-path.test.ts` holds both paths to the same answers.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { OperatorService } from '../auth/operators.js';
import { can } from '../auth/permissions.js';
import { bearerOperator } from '../http/auth.js';
import { checkHost, type HostPolicy } from '../http/host.js';
import { fastVerifyBody } from './fast-body.js';
import type { Verifier } from './verifier.js';

export type FastVerifyOptions = {
  operators: OperatorService;
  verifier: Verifier;
  maxBodyBytes: number;
  /** The names the app's Host check serves. */
  hosts: HostPolicy;
};

export type FastVerify = {
  /** A listener answering plain verify requests itself and passing every other request to `next`. */
  listener(next: RequestListener): RequestListener;
  /** Requests this path answered: lets a test tell which path answered, without telling a client. */
  readonly answered: number;
};

/** Content types that every layer of the full route (JSON-only check, media-type gate, validator) reads as JSON. */
const PLAIN_JSON = /^application\/json(?:;\s*charset=utf-8)?$/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** @hono/node-server reads a request's body from `rawBody` when it is there (as on Cloud Functions). */
type HandedOn = IncomingMessage & { rawBody?: Buffer };

/** What this path decides on, from a plain request's headers. */
type PlainHeaders = { host: string | undefined; authorization: string };

/** Headers this path reads; each may appear once. */
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
  // `on`, not `once`: each `once` wraps its listener in one more object, on every verify.
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
  req.on('error', () => done(undefined));
}

function validBody(body: Buffer) {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(body));
  } catch {
    return undefined;
  }
  return fastVerifyBody(value);
}

/**
 * @example
 * const fast = fastVerify({ operators, verifier, maxBodyBytes: 64 * 1024, hosts: hostPolicy() });
 * createHttpServer(app.fetch, { hostname, front: fast.listener });
 */
export function fastVerify(options: FastVerifyOptions): FastVerify {
  const { operators, verifier, maxBodyBytes, hosts } = options;
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
      return function verifyFastPath(req: HandedOn, res) {
        if (req.url !== '/v1/verify' || req.method !== 'POST') return next(req, res);
        // The latency metric counts from the request's arrival, the body's reading included.
        const startedAt = performance.now();
        const headers = plainHeaders(req, maxBodyBytes);
        if (!headers || !hostAllowed(headers.host)) return next(req, res);
        const operator = bearerOperator(operators, headers.authorization);
        if (!operator || !can(operator.role, 'keys:verify')) return next(req, res);
        readBody(req, (body) => {
          if (!body) return; // the client is gone: nobody to answer
          const valid = validBody(body);
          try {
            if (valid) {
              const { caller, ...request } = valid;
              return answer(res, verifier.verifyJson(request, caller, startedAt));
            }
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
