/**
 * The verify benchmark: the real daemon with 100,000 keys in its own process, driven over
 * loopback with `POST /v1/verify`, against a minimal Hono route driven the same way in the
 * same run. Prints numbers; the targets (issue 16: verify at least as fast as the bare route,
 * and no worse at p99) are shown beside them, never judged.
 */
import { fileURLToPath } from 'node:url';
import { benchHome, removeHome, startDaemonProcess, type DaemonProcess } from './support/daemon.js';
import { drive, medianOf, type LoadResult } from './support/load.js';
import { seedKeys } from './support/seed.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { count, mb, ms, percent, printTable, ratio, us } from './support/stats.js';
import { checkAccepted, LOAD_DESCRIPTION, verifyRequests } from './support/verify-load.js';

const KEYS = 100_000;
/** Keys whose secrets the load cycles through: a mix, not one hot key. */
const VERIFIED_KEYS = 1_000;
const STARTS = 3;
/** Each connection count is measured in rounds alternating baseline and verify, so drift in
 * what else the machine is doing falls on both; the table shows the medians. */
const ROUNDS = 3;
const SECONDS = 5;
const WARMUP_SECONDS = 3;
const CONNECTIONS = [50, 10, 1] as const;

const BASELINE = fileURLToPath(new URL('./support/baseline-server.ts', import.meta.url));

export type VerifyOptions = {
  /** Extra `node` arguments for the daemon, e.g. `--cpu-prof --cpu-prof-dir=DIR`. */
  daemonNodeArgs?: readonly string[];
};

function row(connections: number, label: string, r: LoadResult): string[] {
  return [
    String(connections),
    label,
    count(r.requestsPerSecond),
    ms(r.latency.p50),
    ms(r.latency.p99),
    ms(r.latency.mean),
    us(r.serverCpuPerRequestUs),
    String(r.non2xx + r.errors),
    percent(r.serverCpu),
    percent(r.clientCpu),
  ];
}

export async function run(options: VerifyOptions = {}): Promise<void> {
  const home = benchHome();
  const processes: ServerProcess[] = [];
  try {
    const started = performance.now();
    const keys = seedKeys(home, KEYS, VERIFIED_KEYS);
    console.log(`seeded ${count(KEYS)} keys in ${ms(performance.now() - started)} (direct inserts, one transaction)`);

    const startups: number[] = [];
    const startupMemory: number[] = [];
    let daemon: DaemonProcess | undefined;
    for (let i = 0; i < STARTS; i++) {
      await daemon?.stop();
      daemon = await startDaemonProcess(home, options.daemonNodeArgs);
      startups.push(daemon.startupMs);
      startupMemory.push(daemon.memory().rss);
    }
    daemon = daemon!;
    processes.push(daemon);
    const { token } = await daemon.admin.createOperator('bench-verify', 'service');
    const requests = verifyRequests(keys, token);
    await checkAccepted(daemon, requests);
    const baseline = await startServer({ args: ['--import', 'tsx', BASELINE, '{port}'], healthPath: '/health' });
    processes.push(baseline);

    console.log(`daemon startup to a healthy /v1/health with ${count(KEYS)} keys: ${startups.map(ms).join(', ')} (target ≤ 1500 ms)`);
    console.log(`daemon RSS after startup: ${startupMemory.map(mb).join(', ')} (target ≤ 120 MB at 100k keys); baseline RSS after startup: ${mb(baseline.memory().rss)}`);
    console.log(
      `load: autocannon, ${ROUNDS} rounds of ${SECONDS} s per server and connection count, alternating, medians shown; ${count(VERIFIED_KEYS)} different valid keys, ${LOAD_DESCRIPTION}`,
    );

    for (const server of [baseline, daemon]) await drive(server, { connections: CONNECTIONS[0], seconds: WARMUP_SECONDS, requests });
    const rows: string[][] = [];
    for (const connections of CONNECTIONS) {
      const bases: LoadResult[] = [];
      const verifies: LoadResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? [baseline, daemon] : [daemon, baseline];
        for (const server of order) {
          const result = await drive(server, { connections, seconds: SECONDS, requests });
          (server === baseline ? bases : verifies).push(result);
        }
      }
      const base = medianOf(bases);
      const verify = medianOf(verifies);
      const perRound = (pick: (r: LoadResult) => number) => verifies.map((v, i) => ratio(pick(v) / pick(bases[i]!))).join(' ');
      rows.push(row(connections, 'baseline', base), row(connections, 'verify', verify));
      rows.push([
        '',
        'verify/baseline',
        `${ratio(verify.requestsPerSecond / base.requestsPerSecond)} (≥ 1.00×)`,
        ratio(verify.latency.p50 / base.latency.p50),
        ratio(verify.latency.p99 / base.latency.p99) + (connections > 1 ? ' (≤ 1.00×)' : ''),
        ratio(verify.latency.mean / base.latency.mean),
        ratio(verify.serverCpuPerRequestUs / base.serverCpuPerRequestUs),
      ]);
      rows.push(['', '  each round', perRound((r) => r.requestsPerSecond), '', perRound((r) => r.latency.p99), '', perRound((r) => r.serverCpuPerRequestUs)]);
    }
    printTable(['conns', 'server', 'req/s', 'p50', 'p99', 'mean', 'CPU/req', 'failed', 'server CPU', 'bench CPU'], rows);
    console.log('CPU/req: server user+system CPU per response (/proc), steadier than req/s when other work shares the cores; server CPU 100% = one core busy');
    const after = daemon.memory();
    console.log(`daemon RSS after the load: ${mb(after.rss)} (peak ${mb(after.peak)}; target ≤ 120 MB at 100k keys); baseline RSS after the load: ${mb(baseline.memory().rss)}`);
  } finally {
    for (const p of processes) await p.stop();
    removeHome(home);
  }
}
