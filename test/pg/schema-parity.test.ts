/**
 * The SQLite and PostgreSQL schemas are kept in step: same tables, columns (kind, nullability,
 * defaults), keys, indexes and foreign keys. Compared twice: the drizzle schema modules
 * (always), and the databases their generated migrations build (with a PostgreSQL server), so
 * a schema change without regenerated migrations fails too.
 */
import Database from 'better-sqlite3';
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/daemon/db/sqlite/open.js';
import { openPgDatabase } from '../../src/daemon/db/pg/open.js';
import * as pgSchema from '../../src/daemon/db/pg/schema.js';
import * as sqliteSchema from '../../src/daemon/db/sqlite/schema.js';
import { createTestDatabase, pgTitle, TEST_DATABASE_URL, type TestDatabase } from './database.js';

type Column = { kind: 'integer' | 'text'; notNull: boolean; default?: unknown };
type Index = { unique: boolean; columns: string[]; partial: boolean };
type TableModel = { columns: Record<string, Column>; primaryKey: string[]; indexes: Record<string, Index>; foreignKeys: string[] };
type Model = Record<string, TableModel>;

/**
 * Both dialects' integer types (SQLite `integer`, PostgreSQL `bigint`) are one kind here, and so
 * is a flag: SQLite keeps it as an integer (0/1), PostgreSQL as a `boolean`.
 */
function kind(sqlType: string): Column['kind'] {
  const type = sqlType.toLowerCase();
  if (type === 'integer' || type === 'bigint' || type === 'boolean') return 'integer';
  if (type === 'text') return 'text';
  throw new Error(`unexpected column type ${sqlType}`);
}

function sorted<T>(entries: [string, T][]): Record<string, T> {
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

type AnyConfig = ReturnType<typeof pgTableConfig> | ReturnType<typeof sqliteTableConfig>;

function fromDrizzle(tables: AnyConfig[]): Model {
  return sorted(
    tables.map((t): [string, TableModel] => {
      const uniques = t.columns.filter((c) => c.isUnique).map((c): [string, Index] => [c.uniqueName!, { unique: true, columns: [c.name], partial: false }]);
      const indexes = t.indexes.map((i): [string, Index] => [
        i.config.name!,
        { unique: i.config.unique, columns: i.config.columns.map((c) => (c as { name: string }).name), partial: i.config.where !== undefined },
      ]);
      return [
        t.name,
        {
          columns: sorted(t.columns.map((c): [string, Column] => [c.name, { kind: kind(c.getSQLType()), notNull: c.notNull, default: c.default }])),
          primaryKey: t.columns.some((c) => c.primary) ? t.columns.filter((c) => c.primary).map((c) => c.name) : t.primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name)),
          indexes: sorted([...uniques, ...indexes]),
          foreignKeys: t.foreignKeys
            .map((fk) => {
              const ref = fk.reference();
              return `${ref.columns.map((c) => c.name).join(',')} -> ${getName(ref.foreignTable)}(${ref.foreignColumns.map((c) => c.name).join(',')}) on delete ${fk.onDelete ?? 'no action'}`;
            })
            .sort(),
        },
      ];
    }),
  );
}

function getName(table: PgTable | SQLiteTable): string {
  return table instanceof PgTable ? pgTableConfig(table).name : sqliteTableConfig(table).name;
}

/**
 * The key list's text filter is indexed the way each dialect can: an FTS5 trigram table
 * (`keys_filter` and its shadow tables) in SQLite, a pg_trgm index `keys_filter` on keys in
 * PostgreSQL. Each is checked to exist and left out of the comparison.
 */
const FILTER_INDEX = 'keys_filter';

/** What a migrated SQLite file holds (migration bookkeeping and the filter index aside). */
function fromSqliteFile(db: Database.Database): Model {
  const tables = db
    .prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' and name not like '${FILTER_INDEX}%'`)
    .pluck()
    .all() as string[];
  return sorted(
    tables.map((table): [string, TableModel] => {
      const info = db.prepare(`pragma table_info(${table})`).all() as { name: string; type: string; notnull: number; pk: number }[];
      const indexList = db.prepare(`pragma index_list(${table})`).all() as { name: string; unique: number; origin: string; partial: number }[];
      const fks = db.prepare(`pragma foreign_key_list(${table})`).all() as { table: string; from: string; to: string; on_delete: string }[];
      return [
        table,
        {
          columns: sorted(info.map((c): [string, Column] => [c.name, { kind: kind(c.type), notNull: c.notnull === 1 || c.pk > 0 }])),
          primaryKey: info.filter((c) => c.pk > 0).sort((x, y) => x.pk - y.pk).map((c) => c.name),
          indexes: sorted(
            indexList
              .filter((i) => i.origin !== 'pk')
              .map((i): [string, Index] => [
                i.name,
                {
                  unique: i.unique === 1,
                  // An expression in an index has no column name (PostgreSQL's catalogue leaves it out likewise).
                  columns: (db.prepare(`pragma index_info(${i.name})`).all() as { name: string | null }[]).flatMap((c) => (c.name === null ? [] : [c.name])),
                  partial: i.partial === 1,
                },
              ]),
          ),
          foreignKeys: fks.map((fk) => `${fk.from} -> ${fk.table}(${fk.to}) on delete ${fk.on_delete.toLowerCase()}`).sort(),
        },
      ];
    }),
  );
}

/** What a migrated PostgreSQL database holds in `public`. */
async function fromPgDatabase(client: pg.Client): Promise<Model> {
  const columns = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
    "select table_name, column_name, data_type, is_nullable from information_schema.columns where table_schema = 'public'",
  );
  const indexes = await client.query<{ table: string; name: string; unique: boolean; primary: boolean; partial: boolean; columns: string[] }>(`
    select t.relname as table, i.relname as name, x.indisunique as unique, x.indisprimary as primary, x.indpred is not null as partial,
      array(select a.attname::text from unnest(x.indkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = t.oid and a.attnum = k.n order by k.o) as columns
    from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid join pg_namespace s on s.oid = t.relnamespace
    where s.nspname = 'public'`);
  const fks = await client.query<{ table: string; columns: string[]; ref: string; ref_columns: string[]; on_delete: string }>(`
    select t.relname as table, r.relname as ref, c.confdeltype as on_delete,
      array(select attname::text from pg_attribute where attrelid = c.conrelid and attnum = any(c.conkey)) as columns,
      array(select attname::text from pg_attribute where attrelid = c.confrelid and attnum = any(c.confkey)) as ref_columns
    from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_class r on r.oid = c.confrelid join pg_namespace s on s.oid = t.relnamespace
    where c.contype = 'f' and s.nspname = 'public'`);
  const onDelete: Record<string, string> = { c: 'cascade', a: 'no action', r: 'restrict', n: 'set null', d: 'set default' };
  const tables = [...new Set(columns.rows.map((c) => c.table_name))];
  return sorted(
    tables.map((table): [string, TableModel] => [
      table,
      {
        columns: sorted(
          columns.rows.filter((c) => c.table_name === table).map((c): [string, Column] => [c.column_name, { kind: kind(c.data_type), notNull: c.is_nullable === 'NO' }]),
        ),
        primaryKey: indexes.rows.find((i) => i.table === table && i.primary)?.columns ?? [],
        indexes: sorted(
          indexes.rows.filter((i) => i.table === table && !i.primary && i.name !== FILTER_INDEX).map((i): [string, Index] => [i.name, { unique: i.unique, columns: i.columns, partial: i.partial }]),
        ),
        foreignKeys: fks.rows
          .filter((fk) => fk.table === table)
          .map((fk) => `${fk.columns.join(',')} -> ${fk.ref}(${fk.ref_columns.join(',')}) on delete ${onDelete[fk.on_delete]}`)
          .sort(),
      },
    ]),
  );
}

describe('the SQLite and PostgreSQL schemas', () => {
  it('declare the same tables, columns, keys and indexes', () => {
    const sqlite = fromDrizzle(Object.values(sqliteSchema).filter((t) => t instanceof SQLiteTable).map((t) => sqliteTableConfig(t)));
    const postgres = fromDrizzle(Object.values(pgSchema).filter((t) => t instanceof PgTable).map((t) => pgTableConfig(t)));
    expect(Object.keys(sqlite)).toEqual(['alerts', 'audit_events', 'key_callers', 'key_tombstones', 'keys', 'operators', 'rotations', 'usage_buckets', 'usage_window', 'webhook_deliveries', 'webhooks']);
    expect(postgres).toEqual(sqlite);
  });
});

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('the migrated SQLite and PostgreSQL databases'), () => {
  let database: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'keyward-parity-'));
  });
  afterAll(async () => {
    await database?.drop();
    // Unset when creating the database failed: that error is the one to report.
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hold the same tables, columns, keys and indexes', async () => {
    const { sqlite } = openDatabase(join(dir, 'keyward.db'));
    const fromSqlite = fromSqliteFile(sqlite);
    expect(sqlite.prepare('select sql from sqlite_master where name = ?').pluck().get(FILTER_INDEX)).toContain("tokenize='trigram'");
    sqlite.close();
    const { pool } = await openPgDatabase(database.url);
    await pool.end();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      expect(Object.keys(fromSqlite)).toHaveLength(11);
      expect((await client.query('select indexdef from pg_indexes where indexname = $1', [FILTER_INDEX])).rows[0]?.indexdef).toContain('gin_trgm_ops');
      expect(await fromPgDatabase(client)).toEqual(fromSqlite);
    } finally {
      await client.end();
    }
  });
});
