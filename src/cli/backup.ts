/**
 * An online, consistent copy of the key store. The daemon keeps the database in WAL mode, so
 * another process may read it while the daemon writes; SQLite's backup API copies a snapshot
 * page by page (restarting if a write lands mid-copy). The copy is written beside the target,
 * checked with `PRAGMA integrity_check`, made a single self-contained file (rollback journal
 * instead of WAL), and only then renamed into place.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { refused } from './exit.js';

export type BackupReport = { file: string; bytes: number; keys: { active: number; inactive: number }; operators: number; auditEvents: number };

function count(db: Database.Database, sql: string): number {
  return (db.prepare(sql).pluck().get() as number | undefined) ?? 0;
}

function checkCopy(file: string): Omit<BackupReport, 'file' | 'bytes'> {
  const db = new Database(file);
  try {
    const problems = db.prepare('PRAGMA integrity_check').pluck().all() as string[];
    if (problems.length !== 1 || problems[0] !== 'ok') throw refused(`the copy failed its integrity check: ${problems.slice(0, 3).join('; ')}`);
    db.pragma('journal_mode = DELETE');
    return {
      keys: {
        active: count(db, "SELECT count(*) FROM keys WHERE status = 'active'"),
        inactive: count(db, "SELECT count(*) FROM keys WHERE status = 'inactive'"),
      },
      operators: count(db, 'SELECT count(*) FROM operators'),
      auditEvents: count(db, 'SELECT count(*) FROM audit_events'),
    };
  } finally {
    db.close();
  }
}

export async function backupStore(source: string, target: string, overwrite: boolean): Promise<BackupReport> {
  if (!existsSync(source)) throw refused(`no key store at ${source} (wrong --home? a daemon on PostgreSQL is backed up with pg_dump)`);
  if (existsSync(target) && !overwrite) throw refused(`${target} already exists; pass --force to replace it`);
  const partial = `${target}.partial-${process.pid}`;
  try {
    // The copy holds key and token hashes: owner-only from its first byte.
    closeSync(openSync(partial, 'wx', 0o600));
  } catch (err) {
    throw refused(`cannot write beside ${target}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const db = new Database(source, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      await db.backup(partial);
    } finally {
      db.close();
    }
    const report = checkCopy(partial);
    renameSync(partial, target);
    return { file: target, bytes: statSync(target).size, ...report };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}
