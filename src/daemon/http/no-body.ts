/**
 * Bodies on operations that take none. Such a route never reads its body, so without this a
 * malformed body, or fields a client expected to count (`{"force":true}` on a delete,
 * `{"dryRun":true}` on a disable), were ignored and the route acted anyway. `routeGroup` puts
 * `refuseBody` on every route whose document declares no body; a `GET`'s body is never read.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { KeywardError } from '../errors.js';
import type { AppEnv } from './env.js';

/** Whether the request has a body: HTTP/1.1 frames one by `Content-Length` or `Transfer-Encoding`. */
export function announcesBody(c: Context): boolean {
  const length = c.req.header('content-length');
  return (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
}

/** A body that asks for nothing: JSON whitespace, perhaps around `{}` (what some clients send on every POST). */
const ASKS_NOTHING = /^[ \t\n\r]*(?:\{[ \t\n\r]*\}[ \t\n\r]*)?$/;

/** Refuses any other body with 400, before the route changes anything. */
export const refuseBody = createMiddleware<AppEnv>(async function refuseBody(c, next) {
  // The JSON-only middleware has read and kept the text by now (and refused what is not JSON).
  if (announcesBody(c) && !ASKS_NOTHING.test(await c.req.text())) {
    throw new KeywardError('invalid_request', 'This operation takes no body; send none, or {}', [{ path: 'body', message: 'must be empty or {}: this operation takes no fields' }]);
  }
  await next();
});
