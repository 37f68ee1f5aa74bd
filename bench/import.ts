/**
 * The import benchmark (issue 16): 100,000 and 1,000,000 keys imported into an empty daemon,
 * by `sha256` and by `secret`, through `POST /v1/keys/import` (bodies of 10,000 keys built
 * before the clock starts) and through `keyward keys import FILE` (NDJSON written before).
 * Each run has its own home and daemon. The baseline in the same run is the direct SQLite
 * seeding the other benchmarks use (one transaction of prepared inserts, no daemon): the ratio
 * says what the daemon's validation, hashing, per-batch transactions and index cost on top.
 * Targets are printed beside the numbers, never judged. `IMPORT_BENCH_SIZES=20000` (comma-separated)
 * runs other sizes, for a quick look; `IMPORT_BENCH_DATABASE_URL=postgres://…` has each daemon
 * store in a fresh database on that PostgreSQL server instead of its home's SQLite file (the
 * baseline stays SQLite's).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { benchHome, removeHome, startDaemonProcess, type DaemonProcess } from './support/daemon.js';
import { benchItem, importBodies, postImports, writeNdjson, type ImportBy } from './support/import-feed.js';
import { createBenchDatabase } from './support/pg-store.js';
import { seedKeys } from './support/seed.js';
import { count, printTable, ratio } from './support/stats.js';

const SIZES = (process.env.IMPORT_BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const KINDS: readonly ImportBy[] = ['sha256', 'secret'];
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TARGET_RATE = 50_000;
const DATABASE_SERVER = process.env.IMPORT_BENCH_DATABASE_URL;

export type ImportBenchOptions = { daemonNodeArgs?: readonly string[] };

type Result = { keys: number; by: ImportBy | 'direct'; path: string; seconds: number; daemonCpu?: number };

/** Runs `fn` on a daemon started on `home`, with a fresh database of its own when a server is given; stops it after. */
async function onDaemon<T>(home: string, options: ImportBenchOptions, fn: (daemon: DaemonProcess) => Promise<T>): Promise<T> {
  const database = DATABASE_SERVER ? await createBenchDatabase(DATABASE_SERVER) : undefined;
  try {
    const env = database && { ...process.env, KEYWARD_DATABASE_URL: database.url };
    const daemon = await startDaemonProcess(home, options.daemonNodeArgs, env);
    try {
      return await fn(daemon);
    } finally {
      await daemon.stop();
    }
  } finally {
    await database?.drop();
  }
}

/** Keys through the route into a fresh daemon. */
async function viaRoute(keys: number, by: ImportBy, options: ImportBenchOptions): Promise<Result> {
  const home = benchHome();
  try {
    return await onDaemon(home, options, async (daemon) => {
      const bodies = importBodies(Array.from({ length: keys }, (_, n) => benchItem(n, by)));
      const cpu = daemon.cpuSeconds();
      const started = performance.now();
      await postImports(daemon.url, daemon.adminToken, bodies);
      return { keys, by, path: 'POST /v1/keys/import', seconds: (performance.now() - started) / 1000, daemonCpu: daemon.cpuSeconds() - cpu };
    });
  } finally {
    removeHome(home);
  }
}

/** Keys through `keyward keys import FILE` into a fresh daemon. */
async function viaCli(keys: number, by: ImportBy, options: ImportBenchOptions): Promise<Result> {
  const home = benchHome();
  const file = join(home, 'keys.ndjson');
  await writeNdjson(file, keys, by);
  try {
    return await onDaemon(home, options, async (daemon) => {
      const cpu = daemon.cpuSeconds();
      const started = performance.now();
      const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_HOME: home };
      delete env.KEYWARD_TOKEN;
      delete env.KEYWARD_URL;
      const cli = spawn(process.execPath, [CLI, 'keys', 'import', file, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const [code] = (await once(cli, 'close')) as [number | null];
      if (code !== 0) throw new Error(`keyward keys import exited ${code}: ${out.slice(0, 300)}`);
      return { keys, by, path: 'keyward keys import', seconds: (performance.now() - started) / 1000, daemonCpu: daemon.cpuSeconds() - cpu };
    });
  } finally {
    rmSync(file, { force: true });
    removeHome(home);
  }
}

function direct(keys: number): Result {
  const home = benchHome();
  try {
    const started = performance.now();
    seedKeys(home, keys, 0);
    return { keys, by: 'direct', path: 'direct SQLite inserts (baseline)', seconds: (performance.now() - started) / 1000 };
  } finally {
    removeHome(home);
  }
}

export async function run(options: ImportBenchOptions = {}): Promise<void> {
  const store = DATABASE_SERVER ? 'a fresh PostgreSQL database each (IMPORT_BENCH_DATABASE_URL)' : 'synchronous = FULL';
  console.log(`an empty daemon each run; batches of 10,000 keys, one transaction each (${store}); by secret: foreign-format secrets the daemon hashes`);
  const results: Result[] = [];
  for (const keys of SIZES) {
    const baseline = direct(keys);
    results.push(baseline);
    for (const by of KINDS) {
      results.push(await viaRoute(keys, by, options));
      results.push(await viaCli(keys, by, options));
      console.log(`  ${count(keys)} by ${by}: done`);
    }
  }
  printTable(
    ['keys', 'by', 'through', 'seconds', 'target', 'keys/s', 'target', 'vs direct inserts', 'daemon CPU µs/key'],
    results.map((r) => {
      const base = results.find((b) => b.by === 'direct' && b.keys === r.keys)!;
      const rate = r.keys / r.seconds;
      return [
        count(r.keys),
        r.by,
        r.path,
        r.seconds.toFixed(1),
        r.keys === 1_000_000 && r.by !== 'direct' ? '≤ 60' : '',
        count(rate),
        r.by === 'direct' ? '' : `≥ ${count(TARGET_RATE)}`,
        r.by === 'direct' ? '' : ratio(base.seconds / r.seconds),
        r.daemonCpu === undefined ? '' : count((r.daemonCpu * 1e6) / r.keys),
      ];
    }),
  );
}
