/**
 * Exponential backoff: the wait before the next try after `failures` failed ones (none:
 * `minMs`), doubling up to `maxMs`. One formula for what retries forever — a replica's stream,
 * the PostgreSQL change feed — and for the webhook schedule; p-retry serves the calls that give up.
 */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(failures, 30));
}
