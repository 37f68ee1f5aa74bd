/**
 * The innermost message of an error and its causes: fetch's own ("fetch failed") and drizzle's
 * wrapping (which quotes the query) say less than what the network or the server said
 * ("connect ECONNREFUSED"). Shared by the clients and the PostgreSQL store. Pure.
 */
export function rootCause(err: unknown): string {
  let inner = err;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  return inner instanceof Error ? inner.message : String(inner);
}
