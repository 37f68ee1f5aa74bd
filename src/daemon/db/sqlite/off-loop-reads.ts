/**
 * Reads that can take long, run off the daemon's event loop. better-sqlite3 is synchronous: a
 * key list filtered by a text that matches most of a million keys, or by two letters (no
 * trigram, so a scan), held the loop 0.8–1.9 s (docs/performance.md), and with it every
 * verification, every replica's ack (long enough for a replica's 1 s lease to run out, after
 * which its service asks the daemon, just as stuck) and every other request. These reads go
 * to a worker thread with a read-only connection of its own to the same file instead; WAL
 * lets it read while the daemon writes.
 *
 * What it reads is what the daemon's connection would: a write commits synchronously before
 * its response, so any read asked for after it starts after it. The statements of one call
 * run in one read transaction, so the steps of a page see one state of the table.
 *
 * The worker (connection-worker.ts) starts at the first read; if it cannot start or dies, the
 * reads it had, and every read after, run on the daemon's own connection, and the daemon logs
 * once why.
 */
import type { Column, SQL } from 'drizzle-orm';
import { ConnectionWorker, WORKER_PROLOGUE } from './connection-worker.js';

const WORKER = `${WORKER_PROLOGUE}
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const readAll = db.transaction((queries) => queries.map((q) => statement(db, q.sql).raw(true).all(...q.params)));
answer(({ queries }) => readAll(queries));
`;

/** A query as drizzle renders it. */
export type RenderedQuery = { toSQL(): { sql: string; params: unknown[] } };

/** What a select names: its result fields, each a column (decoded as drizzle decodes it) or an SQL expression (as read). */
export type Selection = Record<string, Column | SQL>;

/** Rows read as arrays, as objects of `selection`'s fields, decoded the way drizzle's own `.all()` does. */
export function rowsOf<T>(selection: Selection, rows: readonly unknown[][]): T[] {
  const fields = Object.entries(selection);
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    fields.forEach(([name, field], i) => {
      const value = row[i];
      out[name] = value === null || !('mapFromDriverValue' in field) ? value : field.mapFromDriverValue(value);
    });
    return out as T;
  });
}

export class OffLoopReads {
  private readonly worker: ConnectionWorker;

  /** `onLost` hears once why the worker is gone, when it is (not at close). */
  constructor(file: string, onLost: (reason: string) => void = () => {}) {
    this.worker = new ConnectionWorker(WORKER, file, onLost);
  }

  /**
   * Each query's rows as arrays of column values, all read in one transaction; `here` reads
   * them on the daemon's own connection when there is no worker to read them.
   */
  read(queries: readonly RenderedQuery[], here: () => unknown[][][]): Promise<unknown[][][]> {
    return this.worker.run({ queries: queries.map((q) => q.toSQL()) }, here);
  }

  /** Ends the worker: reads still waiting fail at once; resolves once its thread is gone. */
  close(): Promise<void> {
    return this.worker.close(new Error('the store is closed'));
  }
}
