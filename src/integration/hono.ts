/**
 * `keyward/hono`: a Hono middleware that lets a request through only with a valid keyward API
 * key. It reads `Authorization: Bearer kw_…`, asks the daemon (`POST /v1/verify`, with a
 * `service` operator token) with the scopes the route needs and the client's address, and
 * labels the verification with a caller so the admin sees who still uses which key during a
 * rotation. Refusals get the HTTP answers of `./outcome.ts` (401, 403, 429 with the RateLimit
 * fields). It fails closed: if the daemon cannot answer, the request gets 503, never a pass.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { keyward, requireScope, type KeywardVariables } from 'keyward/hono';
 *
 * const auth = { url: 'http://127.0.0.1:7420', token: process.env.KEYWARD_SERVICE_TOKEN! };
 * const app = new Hono<{ Variables: KeywardVariables }>();
 * app.use('/orders/*', keyward(auth));
 * app.get('/orders', (c) => c.json({ owner: c.get('apiKey').owner }));
 * // The daemon decides (and counts a refusal) when the route passes its scope:
 * app.post('/orders', keyward({ ...auth, scope: 'orders:write' }), (c) => c.text('created'));
 * // Or decide here, from the scopes the verify above returned:
 * app.delete('/orders/:id', requireScope('orders:delete'), (c) => c.text('deleted'));
 * ```
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { parseAddress } from '../decide/ip.js';
import { scopeProblem, scopesGranted } from '../decide/scopes.js';
import { KeywardClient, type VerifyResult } from '../client/client.js';
import { rateLimitHeaders, rejectionAnswer, unavailableAnswer, type HttpAnswer } from './outcome.js';

export type TrustedProxy = {
  /** The header your proxy sets, e.g. `X-Forwarded-For` or `X-Real-IP`. */
  header: string;
  /** In a comma-separated list, the entry this many from the right: 1 (default) is the one your proxy appended. */
  hops?: number;
};

export type KeywardOptions = {
  /** The daemon's URL, e.g. `http://127.0.0.1:7420`. */
  url: string;
  /** An operator token (`kwo_…`) with the `service` role: it may verify keys and nothing else. */
  token: string;
  /** Scopes every request through this middleware needs, all of them (e.g. `orders:write`). */
  scope?: string | readonly string[];
  /**
   * Behind a reverse proxy you trust, read the client's address from its header instead of
   * the connection. Only for a proxy that overwrites or appends it: a client can send any header.
   */
  trustedProxy?: TrustedProxy;
  /** The label recorded with each verification; default: the client's address. */
  caller?: (c: Context) => string | undefined;
  /** Told when the daemon cannot be asked (the request then gets 503); default: one line on stderr. */
  onUnavailable?: (error: Error) => void;
  /** How long to wait for the daemon; default 2000 ms. */
  timeoutMs?: number;
};

/** The key a request was let through with. */
export type ApiKey = Pick<Extract<VerifyResult, { valid: true }>, 'owner' | 'meta' | 'scopes' | 'rateLimit' | 'quota'> & { id: string; name: string };

/** What the middleware puts on the context for the handlers after it. */
export type KeywardVariables = { apiKey: ApiKey };

/** The longest key and caller label the daemon accepts (UTF-16 units, as it counts them). */
const MAX_KEY_LENGTH = 512;
const MAX_CALLER_LENGTH = 128;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The client's address when running on @hono/node-server; undefined elsewhere. */
function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/**
 * An address as a header may carry it (`[2001:db8::1]:443`, `192.0.2.1:8080`) reduced to the
 * address; undefined when it is none.
 */
function cleanAddress(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim().replace(/^"|"$/g, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  const candidate = bracketed ? bracketed[1]! : /^[\d.]+:\d+$/.test(text) ? text.slice(0, text.lastIndexOf(':')) : text;
  return parseAddress(candidate) ? candidate : undefined;
}

function addressReader(proxy: TrustedProxy | undefined): (c: Context) => string | undefined {
  if (!proxy) return (c) => cleanAddress(socketAddress(c));
  const hops = proxy.hops ?? 1;
  if (!Number.isInteger(hops) || hops < 1) throw new TypeError(`keyward: trustedProxy.hops must be a whole number ≥ 1, got ${String(proxy.hops)}`);
  return (c) => {
    const entries = (c.req.header(proxy.header) ?? '').split(',');
    return entries.length >= hops ? cleanAddress(entries[entries.length - hops]) : undefined;
  };
}

/** A caller label cut to what the daemon accepts, never through the middle of a character. */
function label(caller: string | undefined): string | undefined {
  if (caller === undefined) return undefined;
  let out = '';
  for (const ch of caller) {
    if (out.length + ch.length > MAX_CALLER_LENGTH) break;
    out += ch;
  }
  return out;
}

function scopeList(scope: string | readonly string[] | undefined, where: string): string[] {
  const list = scope === undefined ? [] : typeof scope === 'string' ? [scope] : [...scope];
  for (const s of list) {
    const problem = scopeProblem(s);
    if (problem) throw new TypeError(`keyward: ${where} ${JSON.stringify(s)} ${problem}`);
  }
  return list;
}

function send(c: Context, answer: HttpAnswer): Response {
  for (const [name, value] of Object.entries(answer.headers)) c.header(name, value);
  return c.json(answer.body, answer.status);
}

/**
 * Middleware that verifies the request's API key, with the scopes `options.scope` names.
 * The key's id, name, owner, meta and scopes are on `c.get('apiKey')` for the handlers after it.
 */
export function keyward(options: KeywardOptions): MiddlewareHandler<{ Variables: KeywardVariables }> {
  if (!/^https?:\/\//.test(options.url)) throw new TypeError(`keyward: url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
  if (!options.token?.startsWith('kwo_')) throw new TypeError('keyward: token must be an operator token (kwo_…), ideally of role service');
  const scopes = scopeList(options.scope, 'scope');
  const client = new KeywardClient({ url: options.url, token: options.token, timeoutMs: options.timeoutMs ?? 2000 });
  const addressOf = addressReader(options.trustedProxy);
  const callerOf = options.caller ?? addressOf;
  const onUnavailable = options.onUnavailable ?? ((err: Error) => process.stderr.write(`keyward: cannot verify API keys: ${err.message}\n`));

  return createMiddleware<{ Variables: KeywardVariables }>(async function verifyApiKey(c, next) {
    const key = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    if (!key) return send(c, rejectionAnswer({ valid: false, code: 'missing' }));
    if (key.length > MAX_KEY_LENGTH) return send(c, rejectionAnswer({ valid: false, code: 'malformed' }));
    let result: VerifyResult;
    try {
      result = await client.verify(key, label(callerOf(c)), { ip: addressOf(c), ...(scopes.length > 0 && { scope: scopes }) });
    } catch (err) {
      onUnavailable(err instanceof Error ? err : new Error(String(err)));
      return send(c, unavailableAnswer());
    }
    if (!result.valid) return send(c, rejectionAnswer(result, scopes));
    const { keyId: id, name, owner, meta, scopes: granted, rateLimit, quota } = result;
    c.set('apiKey', { id, name, owner, meta, scopes: granted, ...(rateLimit && { rateLimit }), ...(quota && { quota }) });
    await next();
    for (const [header, value] of Object.entries(rateLimitHeaders(rateLimit))) c.header(header, value);
  });
}

/**
 * Middleware for a route behind `keyward()`: lets the request on only if the key it was
 * verified with holds every scope named, by the same matching the daemon uses (`orders:*`
 * grants `orders:write`; a key without scopes has no restriction). It decides locally, so a
 * refusal here is not counted as a rejected use at the daemon; pass `scope` to `keyward()`
 * when it should be.
 */
export function requireScope(...scope: string[]): MiddlewareHandler<{ Variables: KeywardVariables }> {
  const wanted = scopeList(scope, 'requireScope');
  if (wanted.length === 0) throw new TypeError('keyward: requireScope() needs at least one scope');
  return createMiddleware<{ Variables: KeywardVariables }>(async function checkScope(c, next) {
    const apiKey = c.get('apiKey') as ApiKey | undefined;
    if (!apiKey) throw new Error('keyward: requireScope() runs after keyward(), which verifies the key; mount keyward() on this route first');
    if (apiKey.scopes !== null && !scopesGranted(apiKey.scopes, wanted)) return send(c, rejectionAnswer({ valid: false, code: 'insufficient_scope' }, wanted));
    await next();
  });
}
