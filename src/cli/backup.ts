/**
 * An online, consistent copy of the key store. The daemon keeps the database in WAL mode, so
 * another process may read it while the daemon writes; SQLite's backup API copies a snapshot
 * page by page (restarting if a write lands mid-copy). The copy is written in a fresh private
 * directory beside the target, checked with `PRAGMA integrity_check`, made a single
 * self-contained file (rollback journal instead of WAL), and only then renamed into place.
 *
 * Why a directory of its own: SQLite opens whatever `-wal` or `-journal` lies beside a database
 * and replays it. A copy at a name others can guess, in a directory others can write (/tmp),
 * would take in the pages of a planted `-wal`, and the command would vouch for their database.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, linkSync, lstatSync, mkdtempSync, openSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
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

/** Whether anything has the name `path`: a symlink too, even one that leads nowhere. */
function taken(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

const alreadyThere = (target: string) => refused(`${target} already exists; pass --force to replace it`);

/** Whether `dir` is `home` or lies under it, both as the file system resolves them (links followed). */
function inside(dir: string, home: string): boolean {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return false; // no such directory: mkdtemp below says so
  }
  const path = relative(realpathSync(home), real);
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

/**
 * Refuses a copy written into the home itself: with --force it would be renamed over the live
 * store (the daemon goes on writing to the file it has open, and every write after the backup
 * is lost at its next start) or over admin.token or another file the daemon keeps there.
 */
function refuseInHome(source: string, target: string): void {
  const home = dirname(source);
  if (inside(dirname(target), home)) throw refused(`${target} is inside the keyward home (${home}), whose files the daemon owns: write the backup elsewhere`);
}

export async function backupStore(source: string, target: string, overwrite: boolean): Promise<BackupReport> {
  if (!existsSync(source)) throw refused(`no key store at ${source} (wrong --home? a daemon on PostgreSQL is backed up with pg_dump)`);
  refuseInHome(source, target);
  // Asked before copying, to fail at once; the link below is what holds it.
  if (!overwrite && taken(target)) throw alreadyThere(target);
  let dir: string;
  try {
    // mkdtemp: a name nobody can guess, mode 0700; beside the target, so the rename stays on its file system.
    dir = mkdtempSync(join(dirname(target), `.${basename(target)}.backup-`));
  } catch (err) {
    throw refused(`cannot write beside ${target}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const copy = join(dir, 'copy.db');
    // The copy holds key and token hashes: owner-only from its first byte.
    closeSync(openSync(copy, 'wx', 0o600));
    const db = new Database(source, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      await db.backup(copy);
    } finally {
      db.close();
    }
    const report = checkCopy(copy);
    if (overwrite) renameSync(copy, target);
    else {
      // A hard link fails if the name was taken meanwhile, where a rename would replace it.
      try {
        linkSync(copy, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyThere(target);
        throw err;
      }
    }
    return { file: target, bytes: statSync(target).size, ...report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
