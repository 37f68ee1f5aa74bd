/**
 * The JSON error envelope, `{"error":{code,message,requestId,issues?}}`: the handler here turns
 * a `KeywardError`, a store failure, Hono's own HTTPException, or anything unexpected into it.
 * Unexpected errors are logged in full and the client only sees a generic message.
 */
import { randomUUID } from 'node:crypto';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { safeText } from '../../sanitize.js';
import { failureText, storageError } from '../db/storage-errors.js';
import { KeywardError, type ErrorBody, type ErrorCode, type ErrorIssue } from '../errors.js';
import { redactSecrets } from '../../secret-text.js';

/**
 * The error envelope. Messages may quote what a client sent, so they are made terminal-safe,
 * and a secret pasted where an id or name goes is not echoed back.
 */
export function errorBody(c: Context, code: ErrorCode, message: string, issues?: ErrorIssue[]): ErrorBody {
  const requestId = (c.get('requestId') as string | undefined) ?? '';
  const safeIssues = issues?.map((i) => ({ path: safeText(i.path), message: safeText(i.message) }));
  return { error: { code, message: safeText(message), requestId, ...(safeIssues ? { issues: safeIssues } : {}) } };
}

/**
 * The request's id, which its answer carries. Refusals ahead of the request-id middleware (the
 * Host check) get one here, so they too have an id to quote.
 */
function requestIdOf(c: Context): string {
  if (c.get('requestId') === undefined) {
    c.set('requestId', randomUUID());
    c.header('X-Request-Id', c.get('requestId') as string);
  }
  return c.get('requestId') as string;
}

export function sendError(c: Context, err: KeywardError): Response {
  requestIdOf(c);
  // RFC 6750: a 401 names the scheme the client should use.
  if (err.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer');
  return c.json(errorBody(c, err.code, err.message, err.issues), err.status);
}

export type Logger = (line: string) => void;

/** How often one reason of store failure is logged while it lasts. */
const STORE_ERROR_EVERY_MS = 10_000;

/**
 * A store that is down fails every request: thousands of lines a second from one client in a
 * loop. Each reason is logged at once, then at most every `STORE_ERROR_EVERY_MS`, the line
 * saying how many failures like it went unlogged meanwhile.
 */
function storeErrorLog(log: Logger): (reason: string, request: string) => void {
  const reasons = new Map<string, { at: number; unlogged: number }>();
  return (reason, request) => {
    const now = Date.now();
    const last = reasons.get(reason);
    if (last && now - last.at < STORE_ERROR_EVERY_MS) {
      last.unlogged++;
      return;
    }
    // Reasons are few (the store's own words); a flood of distinct ones starts the count over.
    if (reasons.size >= 100) reasons.clear();
    const more = last?.unlogged ? ` (and ${last.unlogged} more like it since the last line)` : '';
    reasons.set(reason, { at: now, unlogged: 0 });
    log(`store error on ${request}: ${reason}${more}`);
  };
}

export function createErrorHandler(log: Logger): ErrorHandler {
  const logStoreError = storeErrorLog(log);
  return function onError(err, c) {
    if (err instanceof KeywardError) return sendError(c, err);
    // The id the client was answered with (its own X-Request-Id, if well-formed: word characters, - and =).
    const request = () => `${c.req.method} ${redactSecrets(c.req.path)} (request ${requestIdOf(c)})`;
    const stored = storageError(err);
    if (stored) {
      logStoreError(failureText(err), request());
      return sendError(c, stored);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code: ErrorCode =
        status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : status === 415 ? 'unsupported_media_type' : status === 404 ? 'not_found' : 'invalid_request';
      return sendError(c, new KeywardError(code, err.message || 'Invalid request'));
    }
    log(`internal error on ${request()}: ${err.stack ?? String(err)}`);
    return sendError(c, new KeywardError('internal', 'Internal error; the daemon log has the details'));
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  sendError(c, new KeywardError('not_found', `No route for ${c.req.method} ${c.req.path}`));
