/**
 * A write that takes long, run off the daemon's event loop: an import batch of 10,000 keys is
 * one SQLite transaction of about a second on the test box, and held synchronously on the
 * daemon's connection it held every verification, replica's ack and health check for that
 * second — longer than a replica's lease, so services fell back to asking the daemon, which
 * did not answer either (docs/import.md). Its statements now run in a worker thread on a
 * read-write connection of its own, in one IMMEDIATE transaction: all of them or none.
 *
 * The store lets no other write start meanwhile (its write gate, sqlite/store.ts), so the
 * worker never waits for the daemon's connection and the daemon's never for the worker's; what
 * the statements were built from (the audit head, the last rowid, the clash lookups) stays
 * true until they commit. Statements are given as SQL and parameters, as drizzle renders them
 * or as the store writes them.
 */
import type Database from 'better-sqlite3';
import { ConnectionWorker, WORKER_PROLOGUE } from './connection-worker.js';

/**
 * One step of a write: a statement run once (`get` returns its first row), run once for each
 * of `rows`, or DDL run as it is (`exec`).
 */
export type WriteStep = { sql: string; params?: unknown[]; get?: true } | { sql: string; rows: unknown[][] } | { exec: string };

/** What each step returned: the row of a `get` step, else null. */
export type StepResults = (Record<string, unknown> | null)[];

const WORKER = `${WORKER_PROLOGUE}
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');
const runAll = db.transaction((steps) =>
  steps.map((step) => {
    if (step.exec !== undefined) {
      db.exec(step.exec);
      return null;
    }
    const prepared = statement(db, step.sql);
    if (step.rows) {
      for (const row of step.rows) prepared.run(...row);
      return null;
    }
    return step.get ? (prepared.get(...(step.params || [])) ?? null) : (prepared.run(...(step.params || [])), null);
  }),
);
answer(
  ({ steps, pageLimit }) => {
    if (pageLimit !== undefined) db.pragma('max_page_count = ' + pageLimit);
    return runAll.immediate(steps);
  },
  // Checkpointed after the answer, not in the commit (the default, wal_autocheckpoint): the
  // daemon goes on with the batch (its index, the next batch's rows) while the pages are copied,
  // and the daemon's own connection finds the log copied by the time it writes. A checkpoint
  // that fails is left to the next one, any connection's.
  () => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {}
  },
);
`;

/** The steps run on `sqlite` in one IMMEDIATE transaction: what the worker does, on the daemon's connection. */
export function runStepsHere(sqlite: Database.Database, steps: readonly WriteStep[]): StepResults {
  return sqlite.transaction(() =>
    steps.map((step) => {
      if ('exec' in step) {
        sqlite.exec(step.exec);
        return null;
      }
      const prepared = sqlite.prepare(step.sql);
      if ('rows' in step) {
        for (const row of step.rows) prepared.run(...row);
        return null;
      }
      const params = step.params ?? [];
      if (step.get) return (prepared.get(...params) as Record<string, unknown> | undefined) ?? null;
      prepared.run(...params);
      return null;
    }),
  ).immediate();
}

export class OffLoopWrites {
  private readonly worker: ConnectionWorker;

  /** `onLost` hears once why the worker is gone, when it is (not at close). */
  constructor(file: string, onLost: (reason: string) => void = () => {}) {
    this.worker = new ConnectionWorker(WORKER, file, onLost);
  }

  /**
   * Runs `steps` in one transaction, in the worker; `here` runs them on the daemon's own
   * connection when there is no worker. `pageLimit` is the `max_page_count` the daemon's
   * connection has for this write (the store's reserve), when it has one. A failure in the
   * worker carries SQLite's code (`SQLITE_FULL` …), as better-sqlite3's own errors do. A worker
   * lost midway took its open transaction with it; one that had committed first leaves the keys
   * in place, and `here` then fails on their unique hashes rather than add them twice.
   */
  run(steps: readonly WriteStep[], pageLimit: number | undefined, here: () => StepResults): Promise<StepResults> {
    return this.worker.run({ steps, pageLimit }, here);
  }

  /** Fails what waits at once; resolves once the worker's thread is gone. */
  close(): Promise<void> {
    return this.worker.close(new Error('the store is closed'));
  }
}
