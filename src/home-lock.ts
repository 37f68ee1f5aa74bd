/**
 * One daemon per home. The lock is an exclusive SQLite lock on `daemon.lock`, held for the
 * daemon's lifetime: the operating system drops it when the process dies, even by SIGKILL,
 * so a crash never leaves a stale lock behind. Clients only look (`homeLockHolder`): whether a
 * process holds it, and which. better-sqlite3 is loaded on first use, so a command that never
 * looks never pays for loading it.
 */
import type Database from 'better-sqlite3';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createPrivate } from './private-files.js';

type Driver = typeof Database;
let driver: Driver | undefined;
function sqlite(): Driver {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as Driver;
  return driver;
}

function busy(err: unknown): boolean {
  return (err as { code?: string }).code?.startsWith('SQLITE_BUSY') === true;
}

export type HomeLock = { release(): void };

/** Takes the lock, or returns undefined when another process holds it. */
export function lockHome(file: string): HomeLock | undefined {
  createPrivate(file);
  // A client looking at who holds the lock (`homeLockHolder`, whenever daemon.json names no
  // daemon) takes a shared lock for one read: waiting a moment lets a starting daemon past it.
  const db = new (sqlite())(file, { timeout: 250 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The lock file holds nothing worth a journal; this also keeps a `-journal` file out of the home.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (pid INTEGER); COMMIT;');
  } catch (err) {
    db.close();
    if (busy(err)) return undefined;
    throw err;
  }
  return { release: () => db.close() };
}

/** Who holds the lock: the pid when the kernel names it (Linux), else unknown. */
export type LockHolder = { readonly pid: number | undefined };

/**
 * The process holding the lock in `file`, or undefined when none does (or the file is not
 * there). Nothing is created or written: a read fails as busy while a daemon holds the lock,
 * and when none does the read's shared lock lasts only as long as the read. The caller checks
 * first that the file is this user's and no link (`checkOwnFile`).
 */
export function homeLockHolder(file: string): LockHolder | undefined {
  let db: Database.Database;
  try {
    db = new (sqlite())(file, { readonly: true, fileMustExist: true, timeout: 0 });
  } catch {
    return undefined;
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return undefined;
  } catch (err) {
    // Anything else (a file that is no database) says nothing about a daemon.
    return busy(err) ? { pid: lockingPid(file) } : undefined;
  } finally {
    db.close();
  }
}

/**
 * The pid Linux says holds a write lock on `file` (`/proc/locks`: the kernel's word, unlike a
 * pid written in a file of the home). Undefined elsewhere, or when it names none or several.
 */
function lockingPid(file: string): number | undefined {
  let locks: string;
  try {
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  // /proc/locks names a file as MAJOR:MINOR:INODE, the device numbers in hex, decoded here
  // from st_dev as glibc's major() and minor() do (numbers past 32 bits included).
  const { dev, ino } = statSync(file);
  const major = (Math.floor(dev / 0x100) & 0xfff) | (Math.floor(dev / 0x100000000) & 0xfffff000);
  const minor = ((dev & 0xff) | (Math.floor(dev / 0x1000) & 0xffffff00)) >>> 0;
  const where = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino}`;
  const pids = new Set<number>();
  for (const line of locks.split('\n')) {
    // `1: POSIX  ADVISORY  WRITE 4242 fe:00:2157904 1073741824 1073742335`; a waiter's line has `->` after the number.
    const [, kind, , access, pid, locked] = line.trim().split(/\s+/);
    if (kind === 'POSIX' && access === 'WRITE' && locked === where && Number(pid) > 0) pids.add(Number(pid));
  }
  return pids.size === 1 ? [...pids][0] : undefined;
}
