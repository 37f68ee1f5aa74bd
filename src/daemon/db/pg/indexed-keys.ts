/**
 * Reads what the verification index keeps of keys, from the store at startup and from the
 * change feed's connections: one query for keys' id, name, hash, status and expiry, one more
 * for the policies and marks of those that have some, and the tombstones of deleted keys.
 */
import { and, gt, gte, lte, sql, type SQL } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { IndexedKey } from '../../../decide/policy.js';
import { attachExtras, extrasById, HAS_EXTRAS_SQL, policyColumnsOf } from '../key-columns.js';
import { anyOf } from './arrays.js';
import { keys } from './schema.js';
import { tombstoneEntries } from './trouble.js';

/**
 * Rows a page. A million rows read as one result sat in the heap at once and were mapped by
 * drizzle in one synchronous step of seconds, during which the daemon answered nothing; a page
 * is mapped in a few milliseconds.
 */
export const INDEX_PAGE_ROWS = 10_000;

const plainColumns = { id: keys.id, name: keys.name, hash: keys.hash, status: keys.status, expiresAt: keys.expiresAt };

/**
 * The keys and tombstones with `ids`, tombstones first (a key with a deleted key's hash is the
 * one found). `ids` are one array parameter: an import's notices name 100 keys each, 100
 * notices a batch, read by every daemon (arrays.ts says what drizzle's parameter a value cost).
 */
export async function readIndexedKeys<S extends Record<string, unknown>>(db: NodePgDatabase<S>, ids: string[]): Promise<IndexedKey[]> {
  const only = anyOf(keys.id, ids);
  const plain: IndexedKey[] = await db.select(plainColumns).from(keys).where(only);
  return [...(await tombstoneEntries(db, ids)), ...(await withExtras(db, plain, only))];
}

/**
 * Every tombstone (one page: deleted keys' tombstones are pruned), then every key, a page at a
 * time in id order. The pages are separate
 * statements, not one transaction: a key changed meanwhile may be read before or after the
 * change, which the change's own notice settles (change-feed.ts).
 */
export async function* indexedKeyPages<S extends Record<string, unknown>>(db: NodePgDatabase<S>, pageRows = INDEX_PAGE_ROWS): AsyncGenerator<IndexedKey[]> {
  yield await tombstoneEntries(db);
  for (let after: string | undefined; ; ) {
    const plain: IndexedKey[] = await db
      .select(plainColumns)
      .from(keys)
      .where(after === undefined ? undefined : gt(keys.id, after))
      .orderBy(keys.id)
      .limit(pageRows);
    if (plain.length === 0) return;
    const first = plain[0]!.id;
    const last = plain[plain.length - 1]!.id;
    yield await withExtras(db, plain, and(gte(keys.id, first), lte(keys.id, last))!);
    if (plain.length < pageRows) return;
    after = last;
  }
}

/** `plain` with the policies and marks of those of them (all matched by `only`) that have some. */
async function withExtras<S extends Record<string, unknown>>(db: NodePgDatabase<S>, plain: IndexedKey[], only: SQL): Promise<IndexedKey[]> {
  const extraRows = await db
    .select({ id: keys.id, canary: keys.canary, rotatedOutBy: keys.rotatedOutBy, ...policyColumnsOf(keys) })
    .from(keys)
    .where(sql`(${only}) and (${sql.raw(HAS_EXTRAS_SQL)})`);
  return attachExtras(plain, extrasById(extraRows));
}
