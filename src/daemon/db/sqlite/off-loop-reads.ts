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
 * The worker is plain CommonJS run from a string (`eval`), given better-sqlite3's resolved
 * path: the same code then works from the sources, the bundled `dist/`, the tests and a global
 * install, with no extra file to find beside a chunk. It starts at the first read. A worker
 * that cannot start or dies is not started again: the reads it had, and every read after,
 * run on the daemon's own connection, as they did before this existed — slower for everyone
 * else, never wrong — and the daemon logs once why.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Column, SQL } from 'drizzle-orm';

const WORKER = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statements = new Map();
function statement(sql) {
  let prepared = statements.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql).raw(true);
    statements.set(sql, prepared);
  }
  return prepared;
}
const readAll = db.transaction((queries) => queries.map((q) => statement(q.sql).all(...q.params)));
parentPort.on('message', ({ id, queries }) => {
  try {
    parentPort.postMessage({ id, results: readAll(queries) });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
`;

/** A query as drizzle renders it. */
export type RenderedQuery = { toSQL(): { sql: string; params: unknown[] } };

/** What a select names: its result fields, each a column (decoded as drizzle decodes it) or an SQL expression (as read). */
export type Selection = Record<string, Column | SQL>;

const storeClosed = () => new Error('the store is closed');

/** The worker is gone: what it was reading can be read elsewhere. */
class WorkerLost extends Error {}

type Pending = { resolve: (results: unknown[][][]) => void; reject: (err: Error) => void };
type Reply = { id: number; results?: unknown[][][]; error?: string };

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
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  /** The worker could not start or died: reads run on the daemon's connection from then on. */
  private broken = false;

  /** `onLost` hears once why the worker is gone, when it is (not at close). */
  constructor(
    private readonly file: string,
    private readonly onLost: (reason: string) => void = () => {},
  ) {}

  /**
   * Each query's rows as arrays of column values, all read in one transaction; `here` reads
   * them on the daemon's own connection when there is no worker to read them.
   */
  async read(queries: readonly RenderedQuery[], here: () => unknown[][][]): Promise<unknown[][][]> {
    if (this.closed) throw storeClosed();
    if (this.broken) return here();
    try {
      return await this.inWorker(queries);
    } catch (err) {
      if (!(err instanceof WorkerLost) || this.closed) throw err;
      return here();
    }
  }

  private inWorker(queries: readonly RenderedQuery[]): Promise<unknown[][][]> {
    const worker = this.started();
    const id = this.nextId++;
    // Held while it reads for someone; a worker waiting for work must not keep a process alive.
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, queries: queries.map((q) => q.toSQL()) });
    });
  }

  /** Ends the worker; reads still waiting fail. */
  close(): void {
    this.closed = true;
    this.failAll(storeClosed());
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER, { eval: true, workerData: { driver, file: this.file } });
    worker.on('message', (reply: Reply) => this.answered(reply));
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`the read worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private answered({ id, results, error }: Reply): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    if (error !== undefined) waiting.reject(new Error(error));
    else waiting.resolve(results!);
  }

  private lost(worker: Worker, err: Error & { code?: unknown }): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.broken = true;
    void worker.terminate();
    // An error thrown in the worker arrives cloned: better-sqlite3's keeps its code, not always its message.
    const reason = err.message || String(err.code ?? 'unknown error');
    this.onLost(reason);
    this.failAll(new WorkerLost(reason));
  }

  private failAll(err: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}
