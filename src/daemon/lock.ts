/**
 * One daemon per home. The lock is an exclusive SQLite lock on `daemon.lock`, held for the
 * daemon's lifetime: the operating system drops it when the process dies, even by SIGKILL,
 * so a crash never leaves a stale lock behind.
 */
import Database from 'better-sqlite3';
import { createPrivate } from '../private-files.js';

export type HomeLock = { release(): void };

/** Takes the lock, or returns undefined when another process holds it. */
export function lockHome(file: string): HomeLock | undefined {
  createPrivate(file);
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The lock file holds nothing worth a journal; this also keeps a `-journal` file out of the home.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (pid INTEGER); COMMIT;');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return undefined;
    throw err;
  }
  return { release: () => db.close() };
}
