/**
 * A worker thread holding a connection of its own to the store's file, for work that would
 * hold the daemon's event loop (better-sqlite3 is synchronous): long reads (off-loop-reads.ts)
 * and an import's transaction (off-loop-writes.ts). The thread plumbing both share: requests
 * numbered and answered in turn, the worker started at the first request, and a worker that
 * cannot start or dies is not started again — its owner then does the work on the daemon's own
 * connection, as before these existed (slower for everyone else, never wrong), and hears once
 * why.
 *
 * The worker's code is plain CommonJS run from a string (`eval`), given better-sqlite3's
 * resolved path: the same code then works from the sources, the bundled `dist/`, the tests and
 * a global install, with no extra file to find beside a chunk. It answers each message
 * `{id, …}` with `{id, result}` or `{id, error: {message, code}}`.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker is gone: what it was doing can be done elsewhere. */
class WorkerLost extends Error {}

/** A failure inside the worker, as the worker saw it: better-sqlite3's code kept (`SQLITE_FULL` …). */
class WorkerFailure extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

type Pending = { resolve: (result: unknown) => void; reject: (err: Error) => void };
type Reply = { id: number; result?: unknown; error?: { message: string; code?: string } };

export class ConnectionWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Set by `close`: what every request fails with from then on. */
  private closedWith: Error | undefined;
  /** The worker could not start or died: the owner's work runs on the daemon's connection from then on. */
  private broken = false;

  constructor(
    /** The worker's code; `workerData` holds `driver` (better-sqlite3's path) and `file`. */
    private readonly source: string,
    private readonly file: string,
    private readonly onLost: (reason: string) => void,
  ) {}

  /**
   * The worker's result for `message`, or `here()` when there is no worker to ask: it could not
   * start, or it died before answering (taking with it any transaction it had open).
   */
  async run<T>(message: Record<string, unknown>, here: () => T): Promise<T> {
    if (this.closedWith) throw this.closedWith;
    if (this.broken) return here();
    try {
      return (await this.request(message)) as T;
    } catch (err) {
      if (!(err instanceof WorkerLost) || this.closedWith) throw err;
      return here();
    }
  }

  /** Sends `message` and resolves to the worker's result; rejects with `WorkerLost` when the worker is gone. */
  private request(message: Record<string, unknown>): Promise<unknown> {
    const worker = this.started();
    const id = this.nextId++;
    // Held while it works for someone; a worker waiting for work must not keep a process alive.
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  /**
   * Ends the worker: requests still waiting, and every later one, fail with `err` at once.
   * Resolves once its thread is gone, which waits for the SQLite call it may be in.
   */
  close(err: Error): Promise<void> {
    this.closedWith = err;
    this.failAll(err);
    const worker = this.worker;
    this.worker = undefined;
    return worker ? worker.terminate().then(() => undefined) : Promise.resolve();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(this.source, { eval: true, workerData: { driver, file: this.file } });
    worker.on('message', (reply: Reply) => this.answered(reply));
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`the worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private answered({ id, result, error }: Reply): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    if (error !== undefined) waiting.reject(new WorkerFailure(error.message, error.code));
    else waiting.resolve(result);
  }

  private lost(worker: Worker, err: Error & { code?: unknown }): void {
    if (this.worker !== worker || this.closedWith) return;
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

/**
 * The worker's side of the protocol, as a prologue for its code: `answer(handle, after?)`
 * replies to each message with what `handle(message)` returns, or the error it throws, then
 * runs `after()`, work the reply need not wait for.
 */
export const WORKER_PROLOGUE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const statements = new Map();
function statement(db, sql) {
  let prepared = statements.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    statements.set(sql, prepared);
  }
  return prepared;
}
function answer(handle, after) {
  parentPort.on('message', (message) => {
    try {
      parentPort.postMessage({ id: message.id, result: handle(message) });
    } catch (err) {
      parentPort.postMessage({ id: message.id, error: { message: err instanceof Error ? err.message : String(err), code: err && typeof err.code === 'string' ? err.code : undefined } });
    }
    if (after) after();
  });
}
`;
