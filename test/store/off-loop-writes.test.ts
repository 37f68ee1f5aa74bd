/**
 * The write worker (db/sqlite/off-loop-writes.ts) and its stand-in on the daemon's own
 * connection run the same steps the same way: one IMMEDIATE transaction, all steps or none,
 * a failure with SQLite's code.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OffLoopWrites, runStepsHere, type StepResults, type WriteStep } from '../../src/daemon/db/sqlite/off-loop-writes.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function freshFile(): { file: string; db: Database.Database } {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-writes-'));
  const file = join(dir, 'store.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('create table t (id integer primary key, name text not null unique); create trigger t_count after insert on t begin update n set c = c + 1; end; create table n (c integer); insert into n values (0);');
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { file, db };
}

const STEPS: WriteStep[] = [
  { sql: 'insert into t (name) values (?)', params: ['first'] },
  { exec: 'drop trigger t_count' },
  { sql: 'insert into t (name) values (?)', rows: [['second'], ['third']] },
  { exec: 'create trigger t_count after insert on t begin update n set c = c + 1; end' },
  { sql: 'insert into t (name) values (?) returning id', params: ['fourth'], get: true },
];

/** The steps' results and what they left: the rows, and the count only the trigger kept. */
async function outcome(run: (file: string, db: Database.Database) => Promise<StepResults>) {
  const { file, db } = freshFile();
  const results = await run(file, db).catch((err: Error & { code?: string }) => ({ failed: err.code }));
  return { results, names: db.prepare('select name from t order by id').pluck().all(), counted: db.prepare('select c from n').pluck().get() };
}

function inWorker(steps: readonly WriteStep[]) {
  return (file: string) => {
    const writes = new OffLoopWrites(file, (reason) => {
      throw new Error(`the worker was lost: ${reason}`);
    });
    cleanups.unshift(() => writes.close());
    return writes.run(steps, undefined, () => {
      throw new Error('ran here, not in the worker');
    });
  };
}
const here = (steps: readonly WriteStep[]) => async (_file: string, db: Database.Database) => runStepsHere(db, steps);

/**
 * How far the WAL holds frames, and how far they are copied into the database: `mxFrame` of the
 * wal-index header and `nBackfill` of its checkpoint info, read from the `-shm` file (SQLite's
 * file format, native byte order).
 */
function walProgress(file: string): { frames: number; copied: number } {
  const shm = readFileSync(`${file}-shm`);
  const u32 = (at: number) => (endianness() === 'LE' ? shm.readUInt32LE(at) : shm.readUInt32BE(at));
  return { frames: u32(16), copied: u32(96) };
}

describe('a write run off the event loop', () => {
  it('runs every step in order in the worker, as on the daemon\'s connection', async () => {
    const inTheWorker = await outcome(inWorker(STEPS));
    expect(inTheWorker).toEqual({ results: [null, null, null, null, { id: 4 }], names: ['first', 'second', 'third', 'fourth'], counted: 2 });
    expect(await outcome(here(STEPS))).toEqual(inTheWorker);
  });

  it('copies the log into the database after it answers, so no other connection has to', async () => {
    const { file, db } = freshFile();
    const rows = Array.from({ length: 5000 }, (_, i) => [`name-${i}-${'x'.repeat(40)}`]);
    await inWorker([{ sql: 'insert into t (name) values (?)', rows }])(file);
    expect(db.prepare('select count(*) from t').pluck().get()).toBe(5000);
    // The worker does not checkpoint in its commit (which would hold its answer): it does so
    // right after, and nothing else here writes, so only the worker can have copied the log.
    await expect.poll(() => walProgress(file).copied).toBe(walProgress(file).frames);
    expect(walProgress(file).frames, 'the write went through the log').toBeGreaterThan(50);
  });

  it('leaves nothing of a write whose step fails, and says why with SQLite\'s code', async () => {
    const failing: WriteStep[] = [...STEPS.slice(0, 3), { sql: 'insert into t (name) values (?)', rows: [['fifth'], ['first']] }];
    const inTheWorker = await outcome(inWorker(failing));
    expect(inTheWorker).toEqual({ results: { failed: 'SQLITE_CONSTRAINT_UNIQUE' }, names: [], counted: 0 });
    expect(await outcome(here(failing))).toEqual(inTheWorker);
    // The trigger the failed write dropped is back: DDL is part of the transaction.
    const { db } = freshFile();
    await inWorker(failing)(db.name).catch(() => undefined);
    expect(db.prepare("select count(*) from sqlite_master where type = 'trigger'").pluck().get()).toBe(1);
  });

  it('runs on the daemon\'s connection when the worker cannot, then and after, and says why once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-writes-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const lost: string[] = [];
    const writes = new OffLoopWrites(join(dir, 'not-there.db'), (reason) => lost.push(reason));
    cleanups.unshift(() => writes.close());
    let here = 0;
    const runHere = (): StepResults => [{ here: ++here }];
    expect(await writes.run(STEPS, undefined, runHere)).toEqual([{ here: 1 }]);
    expect(await writes.run(STEPS, undefined, runHere)).toEqual([{ here: 2 }]);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/CANTOPEN|unable to open/i);
  });
});
