/**
 * The scale benchmark (issue 16): the real daemon at 1,000, 100,000 and 1,000,000 keys, each
 * in its own process on its own home: startup to a healthy `/v1/health`, RSS after startup and
 * after a verify load, and verify throughput, so the growth curve is visible. The three
 * daemons run side by side and take the load in alternating rounds, so drift in what else the
 * machine does falls on every size alike. The load verifies the same 1,000 keys at every
 * size: the sizes differ only in how many keys the daemon holds. Then the key list and the
 * TUI at each size (support/list-scale.ts). Targets are printed beside the numbers, never judged.
 */
import { performance } from 'node:perf_hooks';
import { benchHome, removeHome, startDaemonProcess, type DaemonProcess } from './support/daemon.js';
import { drive, medianOf, type LoadRequest, type LoadResult } from './support/load.js';
import { measureList, reportList, type ListFigures } from './support/list-scale.js';
import { generateSecret, KEY_PREFIX } from '../src/daemon/secrets/format.js';
import { benchItem, importBodies, postImports } from './support/import-feed.js';
import type { SeededKey } from './support/seed.js';
import { count, mb, ms, printTable, ratio, us } from './support/stats.js';
import { checkAccepted, LOAD_DESCRIPTION, verifyRequests } from './support/verify-load.js';

const SIZES = [1_000, 100_000, 1_000_000] as const;
const VERIFIED_KEYS = 1_000;
const STARTS = 2;
const CONNECTIONS = 10;
/** Rounds of load per daemon, taken in turn by the three daemons: 12 s of load each. */
const ROUNDS = 3;
const SECONDS = 4;
const WARMUP_SECONDS = 3;

/** How a benchmark home gets its keys. */
type Seeding = {
  describe: string;
  /** Fills `home` with `total` keys; returns the secrets of `keep` of them and how long the import itself took. */
  seed(home: string, total: number, keep: number): Promise<{ kept: SeededKey[]; importMs: number }>;
};

/**
 * Through the import path, as the issue asks: a daemon started on the empty home, the keys
 * imported in batches of 10,000 (the verified ones by their `kw_` secret, the rest by hash),
 * the daemon stopped. Its rate is printed with the seeding.
 */
const throughImport: Seeding = {
  describe: 'POST /v1/keys/import, batches of 10,000 (the verified keys by secret, the rest by sha256)',
  seed: async (home, total, keep) => {
    const daemon = await startDaemonProcess(home);
    try {
      const secrets = Array.from({ length: keep }, () => generateSecret(KEY_PREFIX));
      const items = Array.from({ length: total }, (_, n) => (n < keep ? { name: `seed-${n}`, secret: secrets[n] } : benchItem(n, 'sha256', 'seed')));
      const bodies = importBodies(items);
      const started = performance.now();
      const imported = await postImports(daemon.url, daemon.adminToken, bodies);
      return { kept: secrets.map((secret, n) => ({ ...imported[n]!, secret })), importMs: performance.now() - started };
    } finally {
      await daemon.stop();
    }
  },
};

/** A seeded home with its daemon running, after the startups were measured. */
type Prepared = {
  keys: number;
  home: string;
  seedMs: number;
  /** The import alone, without starting and stopping its daemon. */
  importMs: number;
  startups: number[];
  /** Spawn to the key index holding every key: it loads in the background after healthy. */
  indexLoads: number[];
  /** CPU the daemon used up to a whole index: what startup costs whatever else the machine does. */
  startupCpu: number[];
  rssAfterStart: number[];
  daemon: DaemonProcess;
  requests: LoadRequest[];
};

/** Per-size targets, printed beside the numbers. */
function targets(keys: number) {
  if (keys === 1_000_000) return { startup: '≤ 3000 ms', start: '≤ 300 MB', load: '≤ 350 MB' };
  if (keys === 100_000) return { startup: '', start: '≤ 120 MB', load: '' };
  return { startup: '', start: '', load: '' };
}

export type ScaleOptions = {
  /** Extra `node` arguments for the daemons, e.g. `--cpu-prof --cpu-prof-dir=DIR`. */
  daemonNodeArgs?: readonly string[];
};

/** Seeds a home with `keys` keys and starts its daemon `STARTS` times, leaving the last one running. */
async function prepare(keys: number, seeding: Seeding, daemonNodeArgs: readonly string[]): Promise<Prepared> {
  const home = benchHome();
  let daemon: DaemonProcess | undefined;
  try {
    const seeded = performance.now();
    const { kept, importMs } = await seeding.seed(home, keys, VERIFIED_KEYS);
    const seedMs = performance.now() - seeded;
    const startups: number[] = [];
    const indexLoads: number[] = [];
    const startupCpu: number[] = [];
    const rssAfterStart: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      await daemon?.stop();
      daemon = await startDaemonProcess(home, daemonNodeArgs);
      startups.push(daemon.startupMs);
      indexLoads.push(daemon.indexLoadedMs);
      startupCpu.push(daemon.cpuSeconds() * 1000);
      rssAfterStart.push(daemon.memory().rss);
    }
    const { token } = await daemon!.admin.createOperator('bench-scale', 'service');
    const requests = verifyRequests(kept, token);
    await checkAccepted(daemon!, requests);
    return { keys, home, seedMs, importMs, startups, indexLoads, startupCpu, rssAfterStart, daemon: daemon!, requests };
  } catch (err) {
    await daemon?.stop();
    removeHome(home);
    throw err;
  }
}

export async function run(options: ScaleOptions = {}): Promise<void> {
  const seeding = throughImport;
  console.log(
    `seeding: ${seeding.describe}; ${STARTS} starts per size; load: autocannon, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per size in turn after ${WARMUP_SECONDS} s warm-up, medians shown; ${count(VERIFIED_KEYS)} keys, ${LOAD_DESCRIPTION}`,
  );
  const prepared: Prepared[] = [];
  try {
    for (const keys of SIZES) {
      const p = await prepare(keys, seeding, options.daemonNodeArgs ?? []);
      prepared.push(p);
      console.log(`  ${count(keys)} keys: seeded in ${ms(p.seedMs)}, of which the import ${ms(p.importMs)} (${count(keys / (p.importMs / 1000))} keys/s, target ≥ 50,000), started`);
    }
    for (const p of prepared) await drive(p.daemon, { connections: CONNECTIONS, seconds: WARMUP_SECONDS, requests: p.requests });
    const rounds = new Map<Prepared, LoadResult[]>(prepared.map((p) => [p, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with a different size, so none always runs first or last.
      const order = prepared.map((_, i) => prepared[(i + round) % prepared.length]!);
      for (const p of order) rounds.get(p)!.push(await drive(p.daemon, { connections: CONNECTIONS, seconds: SECONDS, requests: p.requests }));
    }
    report(prepared.map((p) => ({ ...p, rounds: rounds.get(p)!, load: medianOf(rounds.get(p)!), after: p.daemon.memory() })));
    // The list and the TUI at each size (support/list-scale.ts), one daemon at a time.
    const lists: ListFigures[] = [];
    for (const p of prepared) lists.push(await measureList(p.daemon, p.keys, (n) => `seed-${n}`));
    reportList(lists);
  } finally {
    for (const p of prepared) {
      await p.daemon.stop();
      removeHome(p.home);
    }
  }
}

type Measured = Prepared & { rounds: LoadResult[]; load: LoadResult; after: { rss: number; peak: number } };

function report(results: Measured[]): void {
  const base = results[0]!;
  printTable(
    ['keys', 'import keys/s', 'target', 'startup', 'target', 'index loaded', 'startup CPU', 'RSS after start', 'target', 'RSS after load', 'target', 'verify req/s', 'vs 1k (≥ 0.95× at 1M)', 'each round', 'CPU/req', 'p50', 'p99', 'failed'],
    results.map((r) => {
      const t = targets(r.keys);
      return [
        count(r.keys),
        count(r.keys / (r.importMs / 1000)),
        '≥ 50,000',
        r.startups.map(ms).join(', '),
        t.startup,
        r.indexLoads.map(ms).join(', '),
        r.startupCpu.map(ms).join(', '),
        r.rssAfterStart.map(mb).join(', '),
        t.start,
        `${mb(r.after.rss)} (peak ${mb(r.after.peak)})`,
        t.load,
        count(r.load.requestsPerSecond),
        ratio(r.load.requestsPerSecond / base.load.requestsPerSecond),
        r.rounds.map((x, i) => ratio(x.requestsPerSecond / base.rounds[i]!.requestsPerSecond)).join(' '),
        us(r.load.serverCpuPerRequestUs),
        ms(r.load.latency.p50),
        ms(r.load.latency.p99),
        String(r.load.non2xx + r.load.errors),
      ];
    }),
  );
  console.log('startup: spawn to a healthy /v1/health (verify answers from then on, from the store for keys the index has not loaded yet); index loaded: spawn to the index holding every key; startup CPU: the daemon\'s user+system CPU by then; RSS after start: with the index loaded. CPU/req: daemon CPU per response. Both are steadier than wall times and req/s when other work shares the cores');
}
