/**
 * `keyward/hono`: a Hono middleware that lets a request through only with a valid keyward API
 * key. It reads `Authorization: Bearer kw_…` and verifies it with the scopes the route needs
 * and the client's address, labelled with a caller so the admin sees who still uses which key
 * during a rotation. By default it verifies in-process from a replica of the daemon's index
 * (`keyward/verifier`, docs/replicas.md); `mode: 'remote'` asks the daemon per request.
 * Refusals get the HTTP answers of `./outcome.ts` (401, 403, 429 with the RateLimit fields).
 * It fails closed: if neither the replica nor the daemon can answer, the request gets 503.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { keyward, requireScope, type KeywardVariables } from 'keyward/hono';
 *
 * const auth = { url: 'http://127.0.0.1:7420', token: process.env.KEYWARD_SERVICE_TOKEN! };
 * const app = new Hono<{ Variables: KeywardVariables }>();
 * const verified = keyward(auth);
 * app.get('/orders/*', verified, (c) => c.json({ owner: c.get('apiKey').owner }));
 * // The scope is checked with the key (and a refusal counted in its usage):
 * app.post('/orders', keyward({ ...auth, scope: 'orders:write' }), (c) => c.text('created'));
 * // Or decide here, from the scopes the verify before it returned:
 * app.delete('/orders/:id', verified, requireScope('orders:delete'), (c) => c.text('deleted'));
 * ```
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Env, Handler, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { guard, missingScope, type ApiKey, type Checked, type GuardOptions } from './guard.js';
import type { HttpAnswer } from './outcome.js';
import { addressReader, type TrustedProxy } from './presented.js';
import { scopeList, type Verifier } from './verifier/request.js';

export type { ApiKey, TrustedProxy };

export type KeywardOptions = GuardOptions & {
  /**
   * Behind a reverse proxy you trust, read the client's address from its header instead of
   * the connection. Only for a proxy that overwrites or appends it: a client can send any header.
   */
  trustedProxy?: TrustedProxy;
  /** The label recorded with each verification; default: the client's address. */
  caller?: (c: Context) => string | undefined;
};

/** What the middleware puts on the context for the handlers after it. */
export type KeywardVariables = { apiKey: ApiKey };

/** The middleware, with the verifier it uses (close it on shutdown: it sends the usage it counted). */
export type KeywardMiddleware = MiddlewareHandler<{ Variables: KeywardVariables }> & { readonly verifier: Verifier };

/** The client's address when running on @hono/node-server; undefined elsewhere. */
function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

function send(c: Context, answer: HttpAnswer): Response {
  for (const [name, value] of Object.entries(answer.headers)) c.header(name, value);
  return c.json(answer.body, answer.status);
}

/** How a request's key is read and checked, for the middleware and for `protect`. */
function checker(options: KeywardOptions) {
  const check = guard(options);
  const addressOf = addressReader(options.trustedProxy, (c: Context, name) => c.req.header(name), socketAddress);
  const callerOf = options.caller;
  return {
    verifier: check.verifier,
    check(c: Context): Checked | Promise<Checked> {
      const ip = addressOf(c);
      return check.check({ authorization: c.req.header('authorization'), ip, caller: callerOf ? callerOf(c) : ip, verified: c.get('apiKey') as ApiKey | undefined });
    },
  };
}

/**
 * Middleware that verifies the request's API key, with the scopes `options.scope` names.
 * The key's id, name, owner, meta and scopes are on `c.get('apiKey')` for the handlers after it.
 */
export function keyward(options: KeywardOptions): KeywardMiddleware {
  const checks = checker(options);
  const middleware = createMiddleware<{ Variables: KeywardVariables }>(async function verifyApiKey(c, next) {
    const checked = checks.check(c);
    const outcome = checked instanceof Promise ? await checked : checked;
    if (!outcome.ok) return send(c, outcome.answer);
    c.set('apiKey', outcome.apiKey);
    await next();
    for (const [header, value] of Object.entries(outcome.headers)) c.header(header, value);
  });
  return Object.assign(middleware, { verifier: checks.verifier });
}

/** A route handler that `protect` lets run once the key is verified. */
export type ProtectedHandler<E extends Env, P extends string> = (c: Context<E & { Variables: KeywardVariables }, P>) => Response | Promise<Response>;

/**
 * The route handler `handler`, run only for a request with a valid key: the same checks,
 * options and answers as `keyward()`, as the route's one handler instead of a middleware.
 * Hono answers a route with one handler without its middleware chain, and a replica decides
 * from memory without waiting, so such a route stays as fast as an unprotected one
 * (docs/services.md has the numbers). The RateLimit fields are set on the context before the
 * handler runs: a handler that builds its own `Response` must copy them.
 *
 * @example app.get('/orders', protect(auth, (c) => c.json({ for: c.get('apiKey').name })))
 */
export function protect<E extends Env = Env, P extends string = string>(options: KeywardOptions, handler: ProtectedHandler<E, P>): Handler<E & { Variables: KeywardVariables }, P> & { readonly verifier: Verifier } {
  const checks = checker(options);
  const admit = (c: Context<E & { Variables: KeywardVariables }, P>, outcome: Checked) => {
    if (!outcome.ok) return send(c, outcome.answer);
    c.set('apiKey', outcome.apiKey);
    for (const [header, value] of Object.entries(outcome.headers)) c.header(header, value);
    return handler(c);
  };
  function protectedRoute(c: Context<E & { Variables: KeywardVariables }, P>) {
    const checked = checks.check(c);
    return checked instanceof Promise ? checked.then((outcome) => admit(c, outcome)) : admit(c, checked);
  }
  return Object.assign(protectedRoute, { verifier: checks.verifier });
}

/**
 * Middleware for a route behind `keyward()`: lets the request on only if the key it was
 * verified with holds every scope named, by the same matching the daemon uses (`orders:*`
 * grants `orders:write`; a key without scopes has no restriction). It decides locally, so a
 * refusal here is not counted as a rejected use; pass `scope` to `keyward()` when it should be.
 */
export function requireScope(...scope: string[]): MiddlewareHandler<{ Variables: KeywardVariables }> {
  const wanted = scopeList(scope, 'requireScope');
  if (wanted.length === 0) throw new TypeError('keyward: requireScope() needs at least one scope');
  return createMiddleware<{ Variables: KeywardVariables }>(async function checkScope(c, next) {
    const apiKey = c.get('apiKey') as ApiKey | undefined;
    if (!apiKey) throw new Error('keyward: requireScope() runs after keyward(), which verifies the key; mount keyward() on this route first');
    const refusal = missingScope(apiKey, wanted);
    if (refusal) return send(c, refusal);
    await next();
  });
}
