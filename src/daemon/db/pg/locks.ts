/**
 * PostgreSQL advisory locks keyward takes, as (namespace, lock) pairs so they cannot collide
 * with another application's single-number locks on a shared server.
 */
import { sql, type SQL } from 'drizzle-orm';

/** "keyw" in ASCII: the namespace of every keyward lock. */
const NAMESPACE = 0x6b657977;

export const LOCKS = {
  /** Held while migrating, so daemons starting together migrate once. */
  migrate: 1,
  /** Held by every audited write until it commits: one writer at a time keeps the chain linear. */
  audit: 2,
  /** Tried by usage flushes; only the holder prunes old buckets, so two flushes never fight over them. */
  prune: 3,
  /**
   * Held while sightings are counted on alerts, so two daemons flushing the same kind, key and
   * caller find each other's alert; apart from the audit lock, so a flood's flushes never hold
   * up key writes.
   */
  alerts: 4,
} as const;

/** The arguments of a `pg_advisory_*` call for `lock`. */
export function lockKey(lock: (typeof LOCKS)[keyof typeof LOCKS]): SQL {
  return sql`${NAMESPACE}, ${lock}`;
}
