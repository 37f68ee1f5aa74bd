/**
 * Opens the SQLite key store: file modes, pragmas, and the drizzle migrations from `drizzle/`.
 * A missing migrations folder is a startup error, never an empty store.
 */
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../../package-root.js';
import { backfillSkeletons } from '../../names.js';
import { checkMigrationHistory, shippedMigrations } from '../migration-history.js';
// Without the schema: the store writes its own queries and never uses drizzle's relational
// `db.query`, whose types cost the type check seconds.
export type Db = BetterSQLite3Database;

/** `drizzle/` at the package root. */
export const DEFAULT_MIGRATIONS = join(PACKAGE_ROOT, 'drizzle');

export type OpenOptions = {
  migrationsFolder?: string;
  /** SQLite's `max_page_count`: a hard size cap, used to exercise a full disk. */
  maxPageCount?: number;
};

export function openDatabase(file: string, options: OpenOptions = {}): { sqlite: Database.Database; db: Db } {
  const migrationsFolder = options.migrationsFolder ?? DEFAULT_MIGRATIONS;
  if (!existsSync(`${migrationsFolder}/meta/_journal.json`)) {
    throw new Error(`migrations folder not found at ${migrationsFolder}: the installation is incomplete`);
  }
  const sqlite = new Database(file);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = drizzle(sqlite);
    checkMigrationHistory(`the key store ${file}`, recordedMigrations(sqlite), shippedMigrations(migrationsFolder));
    migrate(db, { migrationsFolder });
    backfillNameSkeletons(sqlite);
    if (options.maxPageCount) sqlite.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`);
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
    }
    return { sqlite, db };
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

/** The times of the migrations the store has run (drizzle's table); none in a new store. */
function recordedMigrations(sqlite: Database.Database): number[] {
  const table = sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
  if (!table) return [];
  return sqlite.prepare<[], number>('select created_at from __drizzle_migrations').pluck().all().map(Number);
}

/** Gives rows stored before look-alike names were refused their skeleton (see `backfillSkeletons`). */
function backfillNameSkeletons(sqlite: Database.Database): void {
  for (const table of ['keys', 'operators']) {
    const rows = sqlite.prepare<[], { id: string; name: string }>(`select id, name from ${table} where name_skeleton is null order by created_at, id`).all();
    if (rows.length === 0) continue;
    const taken = sqlite.prepare<[], string>(`select name_skeleton from ${table} where name_skeleton is not null`).pluck().all();
    const update = sqlite.prepare(`update ${table} set name_skeleton = ? where id = ?`);
    sqlite.transaction(() => {
      for (const row of backfillSkeletons(rows, new Set(taken))) update.run(row.nameSkeleton, row.id);
    })();
  }
}
