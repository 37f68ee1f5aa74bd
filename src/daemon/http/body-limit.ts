/**
 * The request body limit, decided from `Content-Length` alone whenever the request has one.
 * Hono's `bodyLimit` first reads `c.req.raw.body`, which makes @hono/node-server turn its
 * lightweight request into a full web `Request` (a ReadableStream, an AbortController) on
 * every request with a body: measured, that was most of the CPU time of a verify. A chunked
 * body (`Transfer-Encoding`, no length up front) still goes through hono's `bodyLimit`, which
 * counts the bytes as they arrive.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './env.js';

export type BodyLimitOptions = {
  maxSize: number;
  /** Larger limits for a few paths (the import route); every other path has `maxSize`. */
  larger?: Readonly<Record<string, number>>;
  onError: (c: Context<AppEnv>, maxSize: number) => Response;
};

export function limitBody(options: BodyLimitOptions): MiddlewareHandler<AppEnv> {
  // A refused body is never read to its end (a chunked one is cut off mid-stream), so the
  // connection cannot carry another request: say so, or a keep-alive client reuses a dead socket.
  const refuse = (c: Context<AppEnv>, maxSize: number) => {
    c.header('Connection', 'close');
    return options.onError(c, maxSize);
  };
  const counters = new Map<number, MiddlewareHandler<AppEnv>>();
  const counted = (maxSize: number) => {
    let counter = counters.get(maxSize);
    if (!counter) counters.set(maxSize, (counter = bodyLimit({ maxSize, onError: (c) => refuse(c, maxSize) })));
    return counter;
  };
  return async function limitBody(c, next) {
    const maxSize = options.larger?.[c.req.path] ?? options.maxSize;
    if (c.req.header('transfer-encoding') !== undefined) return counted(maxSize)(c, next);
    // Without Transfer-Encoding, HTTP/1.1 frames the body by Content-Length (none: no body).
    if (Number.parseInt(c.req.header('content-length') ?? '0', 10) > maxSize) return refuse(c, maxSize);
    await next();
  };
}
