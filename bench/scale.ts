/**
 * The scale benchmark (issue 16): the real daemon at 1,000, 100,000 and 1,000,000 keys, each
 * in its own process on its own home: startup to a healthy `/v1/health`, RSS after startup and
 * after a 10 s verify load, and verify throughput, so the growth curve is visible. Targets are
 * printed beside the numbers, never judged. The load verifies the same 1,000 keys at every
 * size, so the sizes differ only in how many keys the daemon holds.
 */
import { performance } from 'node:perf_hooks';
import { benchHome, removeHome, startDaemonProcess, type DaemonProcess } from './support/daemon.js';
import { drive, type LoadResult } from './support/load.js';
import { seedKeys, type SeededKey } from './support/seed.js';
import { count, mb, ms, printTable, ratio, us } from './support/stats.js';
import { checkAccepted, LOAD_DESCRIPTION, verifyRequests } from './support/verify-load.js';

const SIZES = [1_000, 100_000, 1_000_000] as const;
const VERIFIED_KEYS = 1_000;
const STARTS = 2;
const CONNECTIONS = 10;
const SECONDS = 10;
const WARMUP_SECONDS = 3;

/**
 * How a benchmark home gets its keys. Direct inserts for now; once `POST /v1/keys/import`
 * exists, an import-based seeding (a daemon started, the keys imported, the daemon stopped)
 * slots in here and its rate becomes one more column.
 */
type Seeding = {
  describe: string;
  /** Fills `home` with `total` keys and returns the secrets of `keep` of them. */
  seed(home: string, total: number, keep: number): Promise<SeededKey[]>;
};

const directInserts: Seeding = {
  describe: 'direct SQLite inserts, one transaction',
  seed: async (home, total, keep) => seedKeys(home, total, keep),
};

type SizeResult = {
  keys: number;
  seedMs: number;
  startups: number[];
  /** CPU seconds the daemon used up to healthy: what startup costs whatever else the machine does. */
  startupCpu: number[];
  rssAfterStart: number[];
  rssAfterLoad: number;
  peak: number;
  load: LoadResult;
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

async function measure(keys: number, seeding: Seeding, daemonNodeArgs: readonly string[]): Promise<SizeResult> {
  const home = benchHome();
  let daemon: DaemonProcess | undefined;
  try {
    const seeded = performance.now();
    const kept = await seeding.seed(home, keys, VERIFIED_KEYS);
    const seedMs = performance.now() - seeded;
    const startups: number[] = [];
    const startupCpu: number[] = [];
    const rssAfterStart: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      await daemon?.stop();
      daemon = await startDaemonProcess(home, daemonNodeArgs);
      startups.push(daemon.startupMs);
      startupCpu.push(daemon.cpuSeconds() * 1000);
      rssAfterStart.push(daemon.memory().rss);
    }
    const { token } = await daemon!.admin.createOperator('bench-scale', 'service');
    const requests = verifyRequests(kept, token);
    await checkAccepted(daemon!, requests);
    await drive(daemon!, { connections: CONNECTIONS, seconds: WARMUP_SECONDS, requests });
    const load = await drive(daemon!, { connections: CONNECTIONS, seconds: SECONDS, requests });
    const after = daemon!.memory();
    return { keys, seedMs, startups, startupCpu, rssAfterStart, rssAfterLoad: after.rss, peak: after.peak, load };
  } finally {
    await daemon?.stop();
    removeHome(home);
  }
}

export async function run(options: ScaleOptions = {}): Promise<void> {
  const seeding = directInserts;
  console.log(`seeding: ${seeding.describe}; ${STARTS} starts per size; load: autocannon, ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP_SECONDS} s warm-up, ${count(VERIFIED_KEYS)} keys, ${LOAD_DESCRIPTION}`);
  const results: SizeResult[] = [];
  for (const keys of SIZES) {
    const r = await measure(keys, seeding, options.daemonNodeArgs ?? []);
    results.push(r);
    console.log(`  ${count(keys)} keys: seeded in ${ms(r.seedMs)}, measured`);
  }
  const base = results[0]!;
  printTable(
    ['keys', 'startup', 'target', 'startup CPU', 'RSS after start', 'target', 'RSS after load', 'target', 'verify req/s', 'vs 1k (≥ 0.95× at 1M)', 'CPU/req', 'p50', 'p99', 'failed'],
    results.map((r) => {
      const t = targets(r.keys);
      return [
        count(r.keys),
        r.startups.map(ms).join(', '),
        t.startup,
        r.startupCpu.map(ms).join(', '),
        r.rssAfterStart.map(mb).join(', '),
        t.start,
        `${mb(r.rssAfterLoad)} (peak ${mb(r.peak)})`,
        t.load,
        count(r.load.requestsPerSecond),
        ratio(r.load.requestsPerSecond / base.load.requestsPerSecond),
        us(r.load.serverCpuPerRequestUs),
        ms(r.load.latency.p50),
        ms(r.load.latency.p99),
        String(r.load.non2xx + r.load.errors),
      ];
    }),
  );
  console.log('startup: spawn to a healthy /v1/health; startup CPU: the daemon\'s user+system CPU by then. CPU/req: daemon CPU per response. Both are steadier than wall times and req/s when other work shares the cores');
}
