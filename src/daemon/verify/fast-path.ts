/**
 * The fast path of `POST /v1/verify`, for the request services send on every call they get: a
 * token allowed to verify, a plain JSON body within the size limit that the route's schema
 * accepts. Such a request is answered here, ahead of the app's middleware chain and
 * zod-openapi's validators, which measured as about half of a verify's CPU time. Anything
 * else (another method or content type, a chunked, oversized, non-UTF-8 or invalid body, a
 * missing or weak token, a client-chosen `X-Request-Id`) goes on, untouched, to the full
 * route, so every refusal is the app's own. The body read here stays in hono's body cache for
 * the full route to read again.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { OperatorService } from '../auth/operators.js';
import { can } from '../auth/permissions.js';
import { bearerOperator } from '../http/auth.js';
import type { AppEnv } from '../http/env.js';
import { VerifyBody } from './routes.js';
import type { Verifier } from './verifier.js';

export type FastVerifyOptions = {
  operators: OperatorService;
  verifier: Verifier;
  maxBodyBytes: number;
};

/** Content types that every layer of the full route (JSON-only check, media-type gate, validator) reads as JSON. */
const PLAIN_JSON = /^application\/json(?:;\s*charset=utf-8)?$/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Middleware for `/v1/verify`, mounted before every other middleware of the app.
 *
 * @example app.use('/v1/verify', fastVerify({ operators, verifier, maxBodyBytes: 64 * 1024 }))
 */
export function fastVerify(options: FastVerifyOptions) {
  const { operators, verifier, maxBodyBytes } = options;

  function plainRequest(c: Context<AppEnv>): boolean {
    const length = Number(c.req.header('content-length'));
    if (c.req.method !== 'POST' || !(length > 0 && length <= maxBodyBytes) || c.req.header('transfer-encoding') !== undefined) return false;
    if (!PLAIN_JSON.test(c.req.header('content-type') ?? '') || c.req.header('x-request-id') !== undefined) return false;
    const operator = bearerOperator(operators, c.req.header('authorization'));
    return operator !== undefined && can(operator.role, 'keys:verify');
  }

  async function validBody(c: Context<AppEnv>) {
    let value: unknown;
    try {
      value = JSON.parse(strictUtf8.decode(await c.req.arrayBuffer()));
    } catch {
      return undefined;
    }
    const parsed = VerifyBody.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  }

  return createMiddleware<AppEnv>(async function fastVerify(c, next) {
    const startedAt = performance.now();
    const body = plainRequest(c) ? await validBody(c) : undefined;
    if (!body) {
      // The full route answers it; its latency counts from here too.
      c.set('startedAt', startedAt);
      return next();
    }
    const { caller, ...request } = body;
    return new Response(JSON.stringify(verifier.verify(request, caller, startedAt)), {
      status: 200,
      // Plain headers: hono's c.json turns two or more into web Headers, which cost more than the verify.
      headers: { 'content-type': 'application/json', 'x-request-id': randomUUID() },
    });
  });
}
