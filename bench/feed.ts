/**
 * `npm run bench -- feed`: two daemons on one PostgreSQL database, at 1,000 keys (the baseline)
 * and at `FEED_BENCH_SIZES` (default 1,000,000). For `FEED_BENCH_SECONDS` (default 65, two of
 * B's periodic snapshots, every 30 s), a key is deactivated through A every 200 ms and B is
 * asked until it refuses the key: how long A took to answer the deactivation, how long B went
 * on accepting the key after that, and how long B took to answer a verify meanwhile. The bound (docs/replicas.md): B's feed delay,
 * milliseconds while it is live; the tests allow 1 s.
 *
 * Needs a PostgreSQL server: `FEED_BENCH_DATABASE_URL=postgres://…` (each size gets a fresh
 * database, dropped after). Without it the benchmark says so and measures nothing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { nameColumns } from '../src/daemon/names.js';
import { homeFiles } from '../src/home.js';
import { writePrivate } from '../src/private-files.js';
import { KEY_PREFIX, newId } from '../src/daemon/secrets/format.js';
import { benchHome, removeHome, startDaemonProcess, type DaemonProcess } from './support/daemon.js';
import { createBenchDatabase } from './support/pg-store.js';
import { count, ms, printTable, ratio, summarize } from './support/stats.js';

const SERVER = process.env.FEED_BENCH_DATABASE_URL;
const SIZES = [1000, ...(process.env.FEED_BENCH_SIZES ?? '1000000').split(',').map(Number)];
const SECONDS = Number(process.env.FEED_BENCH_SECONDS ?? 65);
const EVERY_MS = 200;
const TARGET_LAG_MS = 1000;
/** Rows an insert while seeding. */
const SEED_BATCH = 10_000;
/** A daemon on a million keys on PostgreSQL reads them all before it is healthy. */
const STARTUP_MS = 180_000;

type Result = { keys: number; writes: number[]; writesFailed: number; lags: number[]; verifies: number[]; failures: number };

/** `total` active keys straight into the table, each with a random hash (no secret will match). */
async function seed(url: string, total: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const width = String(total).length;
    const createdAt = Date.now() - total;
    for (let from = 0; from < total; from += SEED_BATCH) {
      const rows = Array.from({ length: Math.min(SEED_BATCH, total - from) }, (_, i) => {
        const name = `feed-${String(from + i).padStart(width, '0')}`;
        const hash = randomBytes(32).toString('hex');
        return { id: newId('key_'), name, ...nameColumns(name), hash, hint: `${KEY_PREFIX}${hash.slice(0, 4)}…${hash.slice(-4)}`, createdAt: createdAt + from + i };
      });
      const column = (f: (r: (typeof rows)[number]) => unknown) => rows.map(f);
      await client.query(
        `insert into keys (id, name, name_folded, name_skeleton, hash, hint, status, created_at, created_by)
         select id, name, folded, skeleton, hash, hint, 'active', created_at, 'bench'
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) as t(id, name, folded, skeleton, hash, hint, created_at)`,
        [column((r) => r.id), column((r) => r.name), column((r) => r.nameFolded), column((r) => r.nameSkeleton), column((r) => r.hash), column((r) => r.hint), column((r) => r.createdAt)],
      );
    }
  } finally {
    await client.end();
  }
}

async function measure(keys: number): Promise<Result> {
  const database = await createBenchDatabase(SERVER!);
  const homes = [benchHome(), benchHome()];
  const env = { ...process.env, KEYWARD_DATABASE_URL: database.url };
  const daemons: DaemonProcess[] = [];
  try {
    // The first start migrates the database; the keys go in behind it, then both start on them.
    const first = await startDaemonProcess(homes[0]!, [], env);
    await first.stop();
    // As an admin would: the first daemon created `admin`; its token goes to the other server.
    writePrivate(homeFiles(homes[1]!).adminToken, first.adminToken + '\n');
    await seed(database.url, keys - 1);
    for (const home of homes) daemons.push(await startDaemonProcess(home, [], env, STARTUP_MS));
    const [a, b] = daemons as [DaemonProcess, DaemonProcess];
    const probes = Math.ceil((SECONDS * 1000) / EVERY_MS);
    const created = [];
    for (let i = 0; i < probes; i++) created.push(await a.admin.createKey(`probe-${i}`));
    // B learns of the probes through its feed; wait until it accepts the last one.
    while (!(await b.admin.verify(created.at(-1)!.secret)).valid) await new Promise((r) => setTimeout(r, 20));
    const lags: number[] = [];
    const verifies: number[] = [];
    const writes: number[] = [];
    let failures = 0;
    let writesFailed = 0;
    const until = performance.now() + SECONDS * 1000;
    for (const { key, secret } of created) {
      if (performance.now() > until) break;
      const sent = performance.now();
      // A write the client gave up on (its time-out) may still have committed: B is asked as after any.
      await a.admin.deactivateKey(key.id).catch(() => writesFailed++);
      const answered = performance.now();
      writes.push(answered - sent);
      for (;;) {
        const asked = performance.now();
        // A connection B dropped (its keep-alive timer firing late, after a stall) is asked again.
        const result = await b.admin.verify(secret).catch(() => undefined);
        verifies.push(performance.now() - asked);
        if (!result) failures++;
        else if (!result.valid) break;
      }
      lags.push(performance.now() - answered);
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
    return { keys, writes, writesFailed, lags, verifies, failures };
  } finally {
    for (const daemon of daemons) await daemon.stop();
    for (const home of homes) removeHome(home);
    await database.drop();
  }
}

export async function run(): Promise<void> {
  if (!SERVER) {
    console.log('skipped: set FEED_BENCH_DATABASE_URL to a PostgreSQL server (each size gets a fresh database)');
    return;
  }
  const results: Result[] = [];
  for (const keys of SIZES) results.push(await measure(keys));
  const base = summarize(results[0]!.verifies);
  printTable(
    ['keys', 'deactivations through A: p50 / p99 / max', 'B accepted it after A answered: p50 / p99 / max', `target ≤ ${TARGET_LAG_MS} ms`, 'B verify p50 / p99 / max', 'p99 vs 1k', 'writes / verifies failed'],
    results.map(({ keys, writes, writesFailed, lags, verifies, failures }) => {
      const write = summarize(writes);
      const lag = summarize(lags);
      const verify = summarize(verifies);
      return [count(keys), `${count(write.count)}: ${ms(write.p50)} / ${ms(write.p99)} / ${ms(write.max)}`, `${ms(lag.p50)} / ${ms(lag.p99)} / ${ms(lag.max)}`, lag.max <= TARGET_LAG_MS ? 'met' : 'missed', `${ms(verify.p50)} / ${ms(verify.p99)} / ${ms(verify.max)}`, ratio(verify.p99 / base.p99), `${count(writesFailed)} / ${count(failures)}`];
    }),
  );
}
