/**
 * An import's statements on PostgreSQL, each taking the whole batch as one array parameter a
 * column. Built by drizzle a row at a time (inserts of 500 rows of 27 parameters, `in (…)`
 * lists of 500), a batch of 10,000 keys spent ~70 of the daemon's ~145 µs of CPU a key in
 * drizzle's query building (its `is()` checks and `prepareTyping` for every parameter): a
 * profile of 100,000 keys imported. Drizzle still builds these statements, of a few parameters
 * each; the daemon's CPU a key fell to ~40 µs (docs/performance.md, "An import's statements on
 * PostgreSQL").
 */
import { or, sql } from 'drizzle-orm';
import type { StoredClashes } from '../../keys/import.js';
import type { ImportRow } from '../../store.js';
import { fieldsToColumns, importedColumns, importedValue } from '../key-columns.js';
import { anyOf, unnest } from './arrays.js';
import type { PgDb } from './open.js';
import { keys } from './schema.js';

/** A transaction or the pool: what the statements here run on. */
type Runner = Pick<PgDb, 'select' | 'execute'>;

/** What the store holds of `rows`' names (case-folded or by look-alike skeleton) and hashes. */
export async function storedClashes(db: Runner, rows: readonly ImportRow[]): Promise<StoredClashes> {
  const folded = rows.map((r) => r.nameFolded);
  const skeletons = rows.map((r) => r.nameSkeleton);
  const names = await db
    .select({ name: keys.name, nameFolded: keys.nameFolded, nameSkeleton: keys.nameSkeleton })
    .from(keys)
    .where(or(anyOf(keys.nameFolded, folded), anyOf(keys.nameSkeleton, skeletons)));
  const hashes = await db.select({ id: keys.id, name: keys.name, hash: keys.hash }).from(keys).where(anyOf(keys.hash, rows.map((r) => r.hash)));
  return { names, hashes };
}

const COLUMNS = importedColumns(keys);
const INTO = sql.join(
  COLUMNS.map(([, column]) => sql.identifier(column.name)),
  sql`, `,
);

/**
 * Inserts `rows` in one statement, `insert … select * from unnest($1::text[], $2::bigint[], …)`:
 * one array a column, its values mapped as drizzle maps them.
 */
export async function insertImported(db: Runner, rows: readonly ImportRow[]): Promise<void> {
  const arrays: unknown[][] = COLUMNS.map(() => []);
  for (const row of rows) {
    const over = fieldsToColumns(row);
    for (const [i, [property, column]] of COLUMNS.entries()) arrays[i]!.push(importedValue(row, over, property, column));
  }
  await db.execute(sql`insert into ${keys} (${INTO}) select * from ${unnest(COLUMNS.map(([, column], i) => [column, arrays[i]!] as const))}`);
}
