/**
 * Reads what the verification index keeps of keys, from the store at startup and from the
 * change feed's own connection as changes arrive: one query for every key's id, name, hash,
 * status and expiry, one more for the policies of the keys that have one.
 */
import { inArray, sql, type SQL } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { IndexedKey } from '../../store.js';
import { attachPolicies, HAS_POLICY_SQL, policiesById, policyColumnsOf } from '../key-columns.js';
import { keys } from './schema.js';

/** All keys, or those with `ids`. */
export async function readIndexedKeys<S extends Record<string, unknown>>(db: NodePgDatabase<S>, ids?: string[]): Promise<IndexedKey[]> {
  const only: SQL | undefined = ids ? inArray(keys.id, ids) : undefined;
  const plain: IndexedKey[] = await db.select({ id: keys.id, name: keys.name, hash: keys.hash, status: keys.status, expiresAt: keys.expiresAt }).from(keys).where(only);
  const policyRows = await db
    .select({ id: keys.id, ...policyColumnsOf(keys) })
    .from(keys)
    .where(only ? sql`(${only}) and (${sql.raw(HAS_POLICY_SQL)})` : sql.raw(HAS_POLICY_SQL));
  return attachPolicies(plain, policiesById(policyRows));
}
