/**
 * `keyward backup FILE` on PostgreSQL: the same result as on SQLite, a keyward SQLite store
 * file, so one restore path serves both backends (put it in a home as `keyward.db`). The copy
 * reads one repeatable-read snapshot, table by table through a cursor, so it is consistent
 * while the daemons keep writing and never holds a whole table in memory. It is written beside
 * FILE and renamed over it only when complete.
 */
import { getTableConfig } from 'drizzle-orm/pg-core';
import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import pg from 'pg';
import { openDatabase } from '../sqlite/open.js';
import { alerts, auditEvents, keyCallers, keyTombstones, keys, operators, rotations, usageBuckets, webhookDeliveries, webhooks } from './schema.js';

/** Parents before the tables that reference them. */
const TABLES = [operators, keys, usageBuckets, keyCallers, auditEvents, rotations, webhooks, webhookDeliveries, keyTombstones, alerts];
const PAGE = 5000;
const INT8_OID = 20;
const BOOL_OID = 16;

/**
 * bigint columns as numbers, like the store reads them (times and counts stay below 2^53);
 * booleans as SQLite stores them (0/1), which is all better-sqlite3 can bind.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number
    : oid === BOOL_OID ? (value: string) => (value === 't' ? 1 : 0)
    : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

const quote = (name: string) => `"${name}"`;

export async function backupToSqlite(pool: pg.Pool, file: string): Promise<void> {
  const partial = `${file}.partial-${process.pid}`;
  closeSync(openSync(partial, 'wx', 0o600));
  const { sqlite } = openDatabase(partial);
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query('begin isolation level repeatable read read only');
    for (const table of TABLES) {
      const { name, columns } = getTableConfig(table);
      const names = columns.map((c) => c.name);
      const insert = sqlite.prepare(`insert into ${quote(name)} (${names.map(quote).join(', ')}) values (${names.map(() => '?').join(', ')})`);
      const insertAll = sqlite.transaction((rows: unknown[][]) => {
        for (const row of rows) insert.run(row);
      });
      await client.query(`declare copy_rows no scroll cursor for select ${names.map(quote).join(', ')} from ${quote(name)}`);
      for (;;) {
        const { rows } = await client.query<unknown[]>({ text: `fetch ${PAGE} from copy_rows`, rowMode: 'array', types });
        insertAll(rows);
        if (rows.length < PAGE) break;
      }
      await client.query('close copy_rows');
    }
    await client.query('commit');
    sqlite.close();
    renameSync(partial, file);
  } catch (err) {
    failed = true;
    if (sqlite.open) sqlite.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(partial + suffix, { force: true });
    throw err;
  } finally {
    // A failed copy may leave its transaction and cursor open: that connection is not reused.
    client.release(failed);
  }
}
