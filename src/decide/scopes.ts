/**
 * Scopes: what a key may do, as `resource:action` strings. A key's scope `orders:*` (a
 * trailing `*` segment) grants every scope under `orders:` — `orders:read`,
 * `orders:refunds:write` — but not `orders` itself; a lone `*` grants every scope. A verify
 * that names several scopes needs all of them.
 */

/** The longest scope, and the most a key may hold or a verify may ask for. */
export const SCOPE_MAX_LENGTH = 128;
export const SCOPES_MAX = 64;

/** Segments of letters, digits and `_ . - /`, joined by `:`; a trailing `*` segment, or `*` alone. */
const SCOPE_PATTERN = /^(?:\*|[\w.\-/]+(?::[\w.\-/]+)*(?::\*)?)$/;

/** Why `scope` is not a valid scope, or undefined when it is. */
export function scopeProblem(scope: string): string | undefined {
  if (scope.length === 0) return 'must not be empty';
  if (scope.length > SCOPE_MAX_LENGTH) return `must be at most ${SCOPE_MAX_LENGTH} characters`;
  if (!SCOPE_PATTERN.test(scope)) {
    return 'must be segments of letters, digits, "_", ".", "-" or "/" joined by ":", optionally ending in ":*" (e.g. orders:read, orders:*)';
  }
  return undefined;
}

/** Whether the granted scope `pattern` covers the asked-for `scope`. */
export function scopeGrants(pattern: string, scope: string): boolean {
  if (pattern === scope || pattern === '*') return true;
  if (!pattern.endsWith(':*')) return false;
  const prefix = pattern.slice(0, -1); // keeps the ':'
  return scope.length > prefix.length && scope.startsWith(prefix);
}

function granted1(granted: readonly string[], scope: string): boolean {
  for (const pattern of granted) if (scopeGrants(pattern, scope)) return true;
  return false;
}

/** Whether the key's `granted` scopes cover `wanted`: one scope, or every scope of a list. */
export function scopesGranted(granted: readonly string[], wanted: string | readonly string[]): boolean {
  if (typeof wanted === 'string') return granted1(granted, wanted);
  for (const scope of wanted) if (!granted1(granted, scope)) return false;
  return true;
}
