/**
 * Which store failures are storage conditions (out of space, unavailable) rather than bugs,
 * for both stores: the HTTP layer answers them with their codes (507, 503), and a store that
 * may go on without a write (a read's bookkeeping) asks the same question.
 */
import { DrizzleQueryError } from 'drizzle-orm';
import { KeywardError, StoreUnreachable } from '../errors.js';

/** Socket failures on the way to a networked store (PostgreSQL). */
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL SQLSTATEs of a server that is gone, shutting down, starting, or out of connections. */
const PG_UNAVAILABLE = /^(08...|57P0[1-3]|53300)$/;
const PG_DISK_FULL = '53100';

/**
 * Maps a store failure to the store codes, or undefined when it is not a storage condition.
 * drizzle wraps the driver's error in `cause`, so the whole chain is looked at.
 */
export function storageError(err: unknown): KeywardError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const mapped = storageCode(e);
    if (mapped) return mapped;
    // A query the PostgreSQL driver could not even send: its connection broke without a code.
    if (e instanceof DrizzleQueryError && e.cause instanceof Error && typeof (e.cause as { code?: unknown }).code !== 'string') return pgUnavailable();
  }
  return undefined;
}

function storageCode(err: Error): KeywardError | undefined {
  if (err instanceof StoreUnreachable) return pgUnavailable();
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_FULL' || code === PG_DISK_FULL) return new KeywardError('storage_full', 'The key store is out of space; nothing was changed');
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_READONLY')
    return new KeywardError('store_unavailable', 'The key store is unavailable right now; nothing was changed');
  if (NETWORK_ERRORS.has(code) || PG_UNAVAILABLE.test(code)) return pgUnavailable();
  return undefined;
}

/** A lost connection may have taken a commit with it, so this message does not promise "nothing changed". */
function pgUnavailable(): KeywardError {
  return new KeywardError('store_unavailable', 'The key store (PostgreSQL) cannot be reached right now; verify still works, try changes again when it is back');
}

/**
 * A failure as the daemon's log says it, on one line: past drizzle's wrapper, which quotes the
 * whole query with its parameters on a line of their own (for every request of an outage), to
 * what the store or the network said. Keyward's own errors (`cannot get a PostgreSQL
 * connection: …`) say it already, which `rootCause` (root-cause.ts), going to the innermost
 * error, would drop.
 */
export function failureText(err: unknown): string {
  const inner = pastDrizzle(err);
  return (inner instanceof Error ? inner.message : String(inner)).replace(/\s+/g, ' ');
}

/** The error drizzle's wrapper wraps (a `pg` error, with its `code`), or `err` itself. */
export function pastDrizzle(err: unknown): unknown {
  let inner = err;
  while (inner instanceof DrizzleQueryError && inner.cause instanceof Error) inner = inner.cause;
  return inner;
}
