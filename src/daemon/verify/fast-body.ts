/**
 * The verify body as the fast path reads it: each field checked as `VerifyBody` (routes.ts)
 * checks it, in plain code, and `undefined` for anything it does not accept — which the full
 * route then parses with `VerifyBody` itself and answers. So `VerifyBody` stays the one
 * definition of what verify accepts: this is a shortcut that may decline, never one that
 * accepts more. Measured in process: zod took 0.6–0.7 µs for a plain body and 1.5 µs for one
 * with a scope and an address, this 0.1 and 0.3 µs (docs/performance.md).
 * `test/unit/fast-body.test.ts` holds it to `VerifyBody` on random bodies.
 */
import type { z } from '@hono/zod-openapi';
import { IP_MAX, parseAddress } from '../../decide/ip.js';
import { SCOPES_MAX, scopeProblem } from '../../decide/scopes.js';
import { KEY_MAX } from '../../decide/verify.js';
import { CALLER_MAX, cleanCallerLabel } from '../../caller-label.js';
import type { VerifyBody } from './routes.js';

type Body = z.output<typeof VerifyBody>;

const isScope = (value: unknown): value is string => typeof value === 'string' && scopeProblem(value) === undefined;

function scopeOf(value: unknown): Body['scope'] | null {
  if (isScope(value)) return value;
  if (!Array.isArray(value) || value.length > SCOPES_MAX) return null;
  for (const scope of value) if (!isScope(scope)) return null;
  return [...(value as string[])];
}

/** `value` (parsed JSON) as `VerifyBody` reads it, or undefined when the full route should read it. */
export function fastVerifyBody(value: unknown): Body | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // Any other field is refused by the route (a misspelt `scopes` must not skip the scope check).
  for (const name in value) if (name !== 'key' && name !== 'caller' && name !== 'scope' && name !== 'ip') return undefined;
  const { key, caller, scope, ip } = value as Record<string, unknown>;
  if (typeof key !== 'string' || key.length > KEY_MAX) return undefined;
  const body: Body = { key };
  if (caller !== undefined) {
    if (typeof caller !== 'string' || caller.length > CALLER_MAX) return undefined;
    body.caller = cleanCallerLabel(caller);
  }
  if (scope !== undefined) {
    const scopes = scopeOf(scope);
    if (scopes === null) return undefined;
    body.scope = scopes;
  }
  if (ip !== undefined) {
    if (typeof ip !== 'string' || ip.length > IP_MAX || parseAddress(ip) === undefined) return undefined;
    body.ip = ip;
  }
  return body;
}
