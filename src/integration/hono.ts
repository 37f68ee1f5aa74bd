/**
 * `keyward/hono`: a Hono middleware that lets a request through only with a valid keyward API
 * key. It reads `Authorization: Bearer kw_…`, asks the daemon (`POST /v1/verify`, with a
 * `service` operator token), and labels the verification with a caller so the admin sees who
 * still uses which key during a rotation. It fails closed: if the daemon cannot answer, the
 * request gets 503, never a pass.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { keyward, type KeywardVariables } from 'keyward/hono';
 *
 * const app = new Hono<{ Variables: KeywardVariables }>();
 * app.use('/orders/*', keyward({ url: 'http://127.0.0.1:7420', token: process.env.KEYWARD_SERVICE_TOKEN! }));
 * app.get('/orders', (c) => c.json({ client: c.get('apiKey').name }));
 * ```
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { KeywardClient, type VerifyResult } from '../client/client.js';

export type KeywardOptions = {
  /** The daemon's URL, e.g. `http://127.0.0.1:7420`. */
  url: string;
  /** An operator token (`kwo_…`) with the `service` role: it may verify keys and nothing else. */
  token: string;
  /** The label recorded with each verification; default: the client's network address. */
  caller?: (c: Context) => string | undefined;
  /** Told when the daemon cannot be asked (the request then gets 503); default: one line on stderr. */
  onUnavailable?: (error: Error) => void;
  /** How long to wait for the daemon; default 2000 ms. */
  timeoutMs?: number;
};

/** What the middleware puts on the context for the handlers after it. */
export type KeywardVariables = { apiKey: { id: string; name: string } };

/** The longest key and caller label the daemon accepts (UTF-16 units, as it counts them). */
const MAX_KEY_LENGTH = 512;
const MAX_CALLER_LENGTH = 128;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

type Rejection = { valid: false; code: 'missing' | Extract<VerifyResult, { valid: false }>['code'] };

const MESSAGES: Record<Rejection['code'], string> = {
  missing: 'An API key is required: Authorization: Bearer kw_…',
  malformed: 'The API key is malformed',
  not_found: 'The API key is not valid',
  inactive: 'The API key has been deactivated',
  expired: 'The API key has expired',
};

/** The client's address when running on @hono/node-server; undefined elsewhere. */
function remoteAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
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

function unauthorized(c: Context, rejection: Rejection): Response {
  c.header('WWW-Authenticate', `Bearer error="invalid_token"`);
  return c.json({ error: { code: 'unauthorized', reason: rejection.code, message: MESSAGES[rejection.code] } }, 401);
}

export function keyward(options: KeywardOptions): MiddlewareHandler<{ Variables: KeywardVariables }> {
  if (!/^https?:\/\//.test(options.url)) throw new TypeError(`keyward: url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
  if (!options.token?.startsWith('kwo_')) throw new TypeError('keyward: token must be an operator token (kwo_…), ideally of role service');
  const client = new KeywardClient({ url: options.url, token: options.token, timeoutMs: options.timeoutMs ?? 2000 });
  const callerOf = options.caller ?? remoteAddress;
  const onUnavailable = options.onUnavailable ?? ((err: Error) => process.stderr.write(`keyward: cannot verify API keys: ${err.message}\n`));

  return createMiddleware<{ Variables: KeywardVariables }>(async function verifyApiKey(c, next) {
    const key = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    if (!key) return unauthorized(c, { valid: false, code: 'missing' });
    if (key.length > MAX_KEY_LENGTH) return unauthorized(c, { valid: false, code: 'malformed' });
    let result: VerifyResult;
    try {
      result = await client.verify(key, label(callerOf(c)));
    } catch (err) {
      onUnavailable(err instanceof Error ? err : new Error(String(err)));
      c.header('Retry-After', '1');
      return c.json({ error: { code: 'unavailable', message: 'API keys cannot be checked right now; try again shortly' } }, 503);
    }
    if (!result.valid) return unauthorized(c, result);
    c.set('apiKey', { id: result.keyId, name: result.name });
    await next();
  });
}
