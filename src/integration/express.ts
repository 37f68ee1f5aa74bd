/**
 * `keyward/express`: the keyward middleware for Express and Connect, on the same verifier and
 * with the same HTTP answers as `keyward/hono` (./guard.ts, ./outcome.ts). It needs nothing
 * of Express at run time: it takes node's request and response, so Connect, Express 4 and 5
 * all fit. The verified key is on `req.apiKey` (or `apiKeyOf(req)`).
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { keyward, requireScope, apiKeyOf } from 'keyward/express';
 *
 * const app = express();
 * const auth = keyward({ url: 'http://127.0.0.1:7420', token: process.env.KEYWARD_SERVICE_TOKEN! });
 * app.use('/orders', auth);
 * app.get('/orders', (req, res) => res.json({ owner: apiKeyOf(req)?.owner }));
 * app.delete('/orders/:id', requireScope('orders:delete'), (req, res) => res.sendStatus(204));
 * process.once('SIGTERM', () => void auth.verifier.close()); // sends the usage it counted
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { guard, missingScope, type ApiKey, type Checked, type GuardOptions } from './guard.js';
import type { HttpAnswer } from './outcome.js';
import { addressReader, type TrustedProxy } from './presented.js';
import { scopeList, type Verifier } from './verifier/request.js';

export type { ApiKey, TrustedProxy };

/** A request once the middleware let it through. */
export type KeywardRequest = IncomingMessage & { apiKey?: ApiKey };

export type Next = (err?: unknown) => void;

export type KeywardExpressOptions = GuardOptions & {
  /** Behind a reverse proxy you trust, read the client's address from its header (see keyward/hono). */
  trustedProxy?: TrustedProxy;
  /** The label recorded with each verification; default: the client's address. */
  caller?: (req: IncomingMessage) => string | undefined;
};

export type KeywardHandler = ((req: KeywardRequest, res: ServerResponse, next: Next) => void) & { readonly verifier: Verifier };

/**
 * A header's value, every line of it joined by ", " as the web's Headers (and so keyward/hono)
 * read it. Not `req.headers`: node keeps only the first `Authorization`, so a request sending
 * two was let through on the first here and refused by keyward/hono.
 */
function header(req: IncomingMessage, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const raw = req.rawHeaders;
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === wanted.length && raw[i]!.toLowerCase() === wanted) value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
  }
  return value;
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  const body = JSON.stringify(answer.body);
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** The key `keyward()` let this request through with. */
export function apiKeyOf(req: IncomingMessage): ApiKey | undefined {
  return (req as KeywardRequest).apiKey;
}

/** Middleware that verifies the request's API key, with the scopes `options.scope` names. */
export function keyward(options: KeywardExpressOptions): KeywardHandler {
  const check = guard(options);
  const addressOf = addressReader(options.trustedProxy, header, (req: IncomingMessage) => req.socket?.remoteAddress);
  const callerOf = options.caller;

  function verifyApiKey(req: KeywardRequest, res: ServerResponse, next: Next): void {
    const ip = addressOf(req);
    const checked = check.check({ authorization: header(req, 'authorization'), ip, caller: callerOf ? callerOf(req) : ip, verified: req.apiKey });
    const proceed = (outcome: Checked): void => {
      if (!outcome.ok) return send(res, outcome.answer);
      req.apiKey = outcome.apiKey;
      // Set before the handler runs: Express sends headers with the first write.
      for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
      next();
    };
    if (checked instanceof Promise) checked.then(proceed, next);
    else proceed(checked);
  }
  return Object.assign(verifyApiKey, { verifier: check.verifier });
}

/** For a route behind `keyward()`: lets the request on only if its key holds every scope named. */
export function requireScope(...scope: string[]): (req: KeywardRequest, res: ServerResponse, next: Next) => void {
  const wanted = scopeList(scope, 'requireScope');
  if (wanted.length === 0) throw new TypeError('keyward: requireScope() needs at least one scope');
  return function checkScope(req, res, next) {
    if (!req.apiKey) return next(new Error('keyward: requireScope() runs after keyward(), which verifies the key; mount keyward() on this route first'));
    const refusal = missingScope(req.apiKey, wanted);
    if (refusal) return send(res, refusal);
    next();
  };
}
