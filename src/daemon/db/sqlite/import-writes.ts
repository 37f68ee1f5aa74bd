/**
 * An import's statements on SQLite, prepared once and run with better-sqlite3 directly: for a
 * batch of 10,000 keys drizzle's query builder cost ~15 µs of CPU a key (its entity checks and
 * SQL assembly), most of an import's time. The lookups take the whole batch as one JSON array
 * (`json_each`), answered through the unique indexes; rows are inserted one prepared run each,
 * their values mapped as drizzle maps them (a flag as 0/1).
 *
 * The list's trigram index (`keys_filter`) is filled for the whole batch at once: its insert
 * trigger is dropped for the batch's transaction and put back, as the migration wrote it,
 * before the commit. Measured at 100,000 keys, one trigger run a row took 2.3–2.8× the time of
 * one `insert … select` a batch. DDL is transactional in SQLite: a batch that fails leaves the
 * trigger as it was.
 */
import type Database from 'better-sqlite3';
import { getTableColumns } from 'drizzle-orm';
import type { StoredClashes } from '../../keys/import.js';
import type { ImportRow } from '../../store.js';
import { fieldsToColumns } from '../key-columns.js';
import { keys } from './schema.js';

type Values = Readonly<Record<string, unknown>>;

export function prepareImportWrites(sqlite: Database.Database) {
  const names = sqlite.prepare<[string, string], StoredClashes['names'][number]>(
    `select name, name_folded as nameFolded, name_skeleton as nameSkeleton from keys
     where name_folded in (select value from json_each(?)) or name_skeleton in (select value from json_each(?))`,
  );
  const hashes = sqlite.prepare<[string], StoredClashes['hashes'][number]>(`select id, name, hash from keys where hash in (select value from json_each(?))`);
  const unbury = sqlite.prepare<[string]>(`delete from key_tombstones where hash in (select value from json_each(?))`);
  // A key imported has counted no uses yet: `uses_24h` takes its default (0), kept by the usage flush from then on.
  const columns = Object.entries(getTableColumns(keys)).filter(([property]) => property !== 'uses24h');
  const insert = sqlite.prepare(`insert into keys (${columns.map(([, c]) => `"${c.name}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`);
  const lastRowid = sqlite.prepare<[], { last: number }>('select coalesce(max(rowid), 0) as last from keys');
  const trigger = sqlite.prepare<[], { sql: string }>(`select sql from sqlite_master where type = 'trigger' and name = 'keys_filter_insert'`).get();
  if (!trigger) throw new Error('the keys_filter_insert trigger is missing: the store was not migrated');
  const fillFilter = sqlite.prepare<[number]>('insert into keys_filter (rowid, name_folded, owner, hint) select rowid, name_folded, owner, hint from keys where rowid > ?');
  /** A row's column values, from `over` where it has them and from `row` otherwise (no merged object made per row). */
  const values = (row: Values, over: Values) =>
    columns.map(([property, column]) => {
      const value = property in over ? over[property] : row[property];
      return value === undefined || value === null ? null : column.mapToDriverValue(value);
    });
  return {
    /** Stored keys that have a name or hash of `rows`. */
    clashes(rows: readonly ImportRow[]): StoredClashes {
      return {
        names: names.all(JSON.stringify(rows.map((r) => r.nameFolded)), JSON.stringify(rows.map((r) => r.nameSkeleton))),
        hashes: hashes.all(JSON.stringify(rows.map((r) => r.hash))),
      };
    },
    /** Inserts `rows`; deleted keys' tombstones with their hashes make way, as at create. */
    insert(rows: readonly ImportRow[]): void {
      unbury.run(JSON.stringify(rows.map((r) => r.hash)));
      const after = lastRowid.get()!.last;
      sqlite.exec('drop trigger keys_filter_insert');
      for (const row of rows) insert.run(values(row, fieldsToColumns(row)));
      fillFilter.run(after);
      sqlite.exec(trigger.sql);
    },
  };
}

export type ImportWrites = ReturnType<typeof prepareImportWrites>;
