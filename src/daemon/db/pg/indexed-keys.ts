/**
 * Reads what the verification index keeps of keys, from the store at startup and from the
 * change feed's own connection as changes arrive: one query for every key's id, name, hash,
 * status and expiry, one more for the policies and marks of the keys that have some, and the
 * tombstones of deleted keys.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { IndexedKey } from '../../../decide/policy.js';
import { attachExtras, extrasById, HAS_EXTRAS_SQL, policyColumnsOf } from '../key-columns.js';
import { anyOf } from './arrays.js';
import { keys } from './schema.js';
import { tombstoneEntries } from './trouble.js';

/**
 * All keys and tombstones, or those with `ids`; tombstones first (a key with a deleted key's
 * hash is the one found). `ids` are one array parameter: an import's notices name 100 keys
 * each, 100 notices a batch, read by every daemon (arrays.ts says what drizzle's
 * parameter a value cost).
 */
export async function readIndexedKeys<S extends Record<string, unknown>>(db: NodePgDatabase<S>, ids?: string[]): Promise<IndexedKey[]> {
  const only: SQL | undefined = ids ? anyOf(keys.id, ids) : undefined;
  const plain: IndexedKey[] = await db.select({ id: keys.id, name: keys.name, hash: keys.hash, status: keys.status, expiresAt: keys.expiresAt }).from(keys).where(only);
  const extraRows = await db
    .select({ id: keys.id, canary: keys.canary, rotatedOutBy: keys.rotatedOutBy, ...policyColumnsOf(keys) })
    .from(keys)
    .where(only ? sql`(${only}) and (${sql.raw(HAS_EXTRAS_SQL)})` : sql.raw(HAS_EXTRAS_SQL));
  return [...(await tombstoneEntries(db, ids)), ...attachExtras(plain, extrasById(extraRows))];
}
