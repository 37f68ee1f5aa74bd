/**
 * An import's statements on SQLite, written for better-sqlite3 directly: for a batch of 10,000
 * keys drizzle's query builder cost ~15 µs of CPU a key (its entity checks and SQL assembly),
 * most of an import's time. The lookups take the whole batch as one JSON array (`json_each`),
 * answered through the unique indexes; rows are inserted one run each of one statement, their
 * values mapped as drizzle maps them (a flag as 0/1). The lookups are queries for the read
 * worker and the writes steps for the write worker (off-loop-reads.ts, off-loop-writes.ts), so
 * a batch's second of SQLite runs off the event loop.
 *
 * The list's trigram index (`keys_filter`) is filled for the whole batch at once: its insert
 * trigger is dropped for the batch's transaction and put back, as the migration wrote it,
 * before the commit. Measured at 100,000 keys, one trigger run a row took 2.3–2.8× the time of
 * one `insert … select` a batch. DDL is transactional in SQLite: a batch that fails leaves the
 * trigger as it was.
 */
import type Database from 'better-sqlite3';
import type { StoredClashes } from '../../keys/import.js';
import type { ImportRow } from '../../store.js';
import { fieldsToColumns, importedColumns, importedValue } from '../key-columns.js';
import type { RenderedQuery } from './off-loop-reads.js';
import type { WriteStep } from './off-loop-writes.js';
import { keys } from './schema.js';

type Values = Readonly<Record<string, unknown>>;

// Read as arrays (the read worker's rows): `clashesOf` takes the columns in this order.
const NAME_CLASHES = `select name, name_folded, name_skeleton from keys
  where name_folded in (select value from json_each(?)) or name_skeleton in (select value from json_each(?))`;
const HASH_CLASHES = 'select id, name, hash from keys where hash in (select value from json_each(?))';

export function prepareImportWrites(sqlite: Database.Database) {
  const columns = importedColumns(keys);
  const insert = `insert into keys (${columns.map(([, c]) => `"${c.name}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`;
  const lastRowid = sqlite.prepare<[], { last: number }>('select coalesce(max(rowid), 0) as last from keys');
  const trigger = sqlite.prepare<[], { sql: string }>(`select sql from sqlite_master where type = 'trigger' and name = 'keys_filter_insert'`).get();
  if (!trigger) throw new Error('the keys_filter_insert trigger is missing: the store was not migrated');
  // Arrays built by `push`, not `map`: V8 makes `map`'s result holey, and the structured clone
  // that takes the rows to the write worker copies a holey array element by element with its
  // index (reading the clone was 21 % of the worker's time in a profile, 8 % after;
  // docs/performance.md).
  /** A row's column values. */
  const values = (row: Values, over: Values) => {
    const out: unknown[] = [];
    for (const [property, column] of columns) out.push(importedValue(row, over, property, column));
    return out;
  };
  const insertRows = (rows: readonly ImportRow[]) => {
    const out: unknown[][] = [];
    for (const row of rows) out.push(values(row, fieldsToColumns(row)));
    return out;
  };
  const clashQueries = (rows: readonly ImportRow[]): RenderedQuery[] => {
    const params = [[JSON.stringify(rows.map((r) => r.nameFolded)), JSON.stringify(rows.map((r) => r.nameSkeleton))], [JSON.stringify(rows.map((r) => r.hash))]];
    return [NAME_CLASHES, HASH_CLASHES].map((sql, i) => ({ toSQL: () => ({ sql, params: params[i]! }) }));
  };
  return {
    /** The lookups of stored keys that have a name or hash of `rows`, read into `StoredClashes` by `clashesOf`. */
    clashQueries,
    clashesOf([names, hashes]: unknown[][][]): StoredClashes {
      return {
        names: names!.map(([name, nameFolded, nameSkeleton]) => ({ name, nameFolded, nameSkeleton }) as StoredClashes['names'][number]),
        hashes: hashes!.map(([id, name, hash]) => ({ id, name, hash }) as StoredClashes['hashes'][number]),
      };
    },
    /** The lookups read on the daemon's own connection. */
    clashesHere(rows: readonly ImportRow[]): unknown[][][] {
      return clashQueries(rows).map((q) => {
        const { sql, params } = q.toSQL();
        return sqlite.prepare(sql).raw(true).all(...params) as unknown[][];
      });
    },
    /**
     * The writes that insert `rows`: deleted keys' tombstones with their hashes make way, as at
     * create, and the filter index is filled for the batch at once. Built from the store as it
     * is now, so nothing may write between this and the steps' run.
     */
    steps(rows: readonly ImportRow[]): WriteStep[] {
      return [
        { sql: 'delete from key_tombstones where hash in (select value from json_each(?))', params: [JSON.stringify(rows.map((r) => r.hash))] },
        { exec: 'drop trigger keys_filter_insert' },
        { sql: insert, rows: insertRows(rows) },
        { sql: 'insert into keys_filter (rowid, name_folded, owner, hint) select rowid, name_folded, owner, hint from keys where rowid > ?', params: [lastRowid.get()!.last] },
        { exec: trigger.sql },
      ];
    },
  };
}

export type ImportWrites = ReturnType<typeof prepareImportWrites>;
