/**
 * The verify benchmark: the real daemon with 100,000 keys in its own process, driven over
 * loopback with `POST /v1/verify`, against a minimal Hono route driven the same way in the
 * same run (issue 16: verify at least as fast as the bare route, and no worse at p99); and
 * (issue 15) the same verify for keys that all carry scopes, an IP allow list and a rate
 * limit, sent with a scope and an address, against plain verify. Prints numbers; the issues'
 * targets are shown beside them, never judged.
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
/**
 * Each connection count is measured in rounds taking the loads in turn, so drift in what else
 * the machine is doing falls on all of them; the table shows the medians.
 */
const ROUNDS = 3;
const SECONDS = 5;
const WARMUP_SECONDS = 3;
const CONNECTIONS = [50, 10, 1] as const;

/** What every key of the policy load carries; the limit is far above what the load sends a key. */
const POLICY = {
  scopes: ['orders:*', 'billing:read', 'inventory:read'],
  allowedIps: ['10.0.0.0/8', '172.16.0.0/12', '2001:db8::/32', '192.0.2.0/24'],
  rateLimit: { limit: 1_000_000, windowSeconds: 60 },
};

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
    const keys = seedKeys(home, KEYS - VERIFIED_KEYS, VERIFIED_KEYS);
    const policyKeys = seedKeys(home, VERIFIED_KEYS, VERIFIED_KEYS, 'policy', POLICY);
    console.log(`seeded ${count(KEYS)} keys (${count(VERIFIED_KEYS)} with policy) in ${ms(performance.now() - started)} (direct inserts, one transaction each)`);

    const startups: number[] = [];
    const indexLoads: number[] = [];
    const startupMemory: number[] = [];
    let daemon: DaemonProcess | undefined;
    for (let i = 0; i < STARTS; i++) {
      await daemon?.stop();
      daemon = await startDaemonProcess(home, options.daemonNodeArgs);
      startups.push(daemon.startupMs);
      indexLoads.push(daemon.indexLoadedMs);
      startupMemory.push(daemon.memory().rss);
    }
    daemon = daemon!;
    processes.push(daemon);
    const { token } = await daemon.admin.createOperator('bench-verify', 'service');
    const requests = verifyRequests(keys, token);
    const policyRequests = verifyRequests(policyKeys, token, (i) => ({ scope: 'orders:write', ip: `192.0.2.${i % 250}` }));
    await checkAccepted(daemon, requests);
    await checkAccepted(daemon, policyRequests);
    const baseline = await startServer({ args: ['--import', 'tsx', BASELINE, '{port}'], healthPath: '/health' });
    processes.push(baseline);

    console.log(`daemon startup to a healthy /v1/health with ${count(KEYS)} keys: ${startups.map(ms).join(', ')} (target ≤ 1500 ms); to the key index loaded (in the background): ${indexLoads.map(ms).join(', ')}`);
    console.log(`daemon RSS after startup (index loaded): ${startupMemory.map(mb).join(', ')} (target ≤ 120 MB at 100k keys); baseline RSS after startup: ${mb(baseline.memory().rss)}`);
    console.log(
      `load: autocannon, ${ROUNDS} rounds of ${SECONDS} s per server and connection count, alternating, medians shown; ${count(VERIFIED_KEYS)} different valid keys, ${LOAD_DESCRIPTION}`,
    );

    console.log(`policy load: ${count(VERIFIED_KEYS)} keys with ${POLICY.scopes.length} scopes, ${POLICY.allowedIps.length} CIDRs and a rate limit, each request with a scope and an address`);
    /** The three loads each round takes in turn: the bare route, verify, verify with policy. */
    const loads = [
      { server: baseline, requests },
      { server: daemon, requests },
      { server: daemon, requests: policyRequests },
    ];
    for (const load of loads) await drive(load.server, { connections: CONNECTIONS[0], seconds: WARMUP_SECONDS, requests: load.requests });
    const rows: string[][] = [];
    for (const connections of CONNECTIONS) {
      const results = loads.map((): LoadResult[] => []);
      for (let round = 0; round < ROUNDS; round++) {
        // Each round starts with a different load, so none always runs first or last.
        for (let i = 0; i < loads.length; i++) {
          const at = (i + round) % loads.length;
          results[at]!.push(await drive(loads[at]!.server, { connections, seconds: SECONDS, requests: loads[at]!.requests }));
        }
      }
      const [bases, verifies, policies] = [results[0]!, results[1]!, results[2]!];
      const [base, verify, policy] = results.map(medianOf) as [LoadResult, LoadResult, LoadResult];
      /** Each round's ratio of `of` to `over`: rounds run side by side, so the spread shows the noise. */
      const perRound = (pick: (r: LoadResult) => number, of = verifies, over = bases) => of.map((v, i) => ratio(pick(v) / pick(over[i]!))).join(' ');
      rows.push(row(connections, 'baseline', base), row(connections, 'verify', verify), row(connections, 'verify+policy', policy));
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
      rows.push([
        '',
        'policy/verify',
        `${ratio(policy.requestsPerSecond / verify.requestsPerSecond)} (≥ 0.90×)`,
        ratio(policy.latency.p50 / verify.latency.p50),
        ratio(policy.latency.p99 / verify.latency.p99),
        ratio(policy.latency.mean / verify.latency.mean),
        `${ratio(policy.serverCpuPerRequestUs / verify.serverCpuPerRequestUs)} (≤ 1.10×)`,
      ]);
      const perPolicyRound = (pick: (r: LoadResult) => number) => perRound(pick, policies, verifies);
      rows.push(['', '  each round', perPolicyRound((r) => r.requestsPerSecond), '', perPolicyRound((r) => r.latency.p99), '', perPolicyRound((r) => r.serverCpuPerRequestUs)]);
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
