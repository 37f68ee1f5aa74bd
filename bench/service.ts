/**
 * Issue 14's service benchmark: the same Hono route (`GET /orders`) unprotected, behind
 * `keyward/hono` in replica mode (verifying from an in-process copy) and in remote mode (a
 * `POST /v1/verify` per request over kept-alive connections), each in its own process, driven
 * in interleaved rounds at 1, 10 and 50 connections with 1,000 distinct keys of a daemon
 * holding 100,000. Then the deactivation latency with 0, 1 and 10 replicas connected, and how
 * far two replicas overshoot a quota. Prints numbers with the issue's targets beside them;
 * never judges.
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { benchHome, removeHome, startDaemonProcess, type DaemonProcess } from './support/daemon.js';
import { drive, type LoadRequest, type LoadResult } from './support/load.js';
import { seedKeys } from './support/seed.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { count, mb, ms, printTable, ratio, summarize, us } from './support/stats.js';

const KEYS = 100_000;
const LOAD_KEYS = 1_000;
const CONNECTIONS = [1, 10, 50] as const;
const ROUNDS = 3;
const SECONDS = 4;
const WARMUP_SECONDS = 2;
const DEACTIVATIONS = 100;
/** How long two replicas spend one key's quota; the quota is sized from the measured rate to run out halfway. */
const QUOTA_SECONDS = 10;

const SERVICE = fileURLToPath(new URL('./support/service-server.ts', import.meta.url));
const REPLICAS = fileURLToPath(new URL('./support/replicas-host.ts', import.meta.url));

/** `replica` and `remote`: the middleware; `protected`: the route handler in `protect()`, on a replica. */
type Mode = 'unprotected' | 'replica' | 'protected' | 'remote';
const MODES: readonly Mode[] = ['unprotected', 'replica', 'protected', 'remote'];

/** One run's numbers, with the daemon's CPU per response beside the service's. */
type Measured = LoadResult & { daemonCpuPerRequestUs: number };

function service(mode: Mode, daemon: DaemonProcess, token: string): Promise<ServerProcess> {
  return startServer({ args: ['--import', 'tsx', SERVICE, '{port}', mode, daemon.url, token], healthPath: '/health', timeoutMs: 60_000 });
}

async function measure(server: ServerProcess, daemon: DaemonProcess, connections: number, requests: readonly LoadRequest[]): Promise<Measured> {
  const before = daemon.cpuSeconds();
  const result = await drive(server, { connections, seconds: SECONDS, requests });
  const responses = Math.max(1, result.latency.count);
  return { ...result, daemonCpuPerRequestUs: ((daemon.cpuSeconds() - before) * 1e6) / responses };
}

async function stop(processes: ServerProcess[], p: ServerProcess): Promise<void> {
  await p.stop();
  processes.splice(processes.indexOf(p), 1);
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The median of each number over the rounds. */
function medianOf(runs: readonly Measured[]) {
  return {
    rps: median(runs.map((r) => r.requestsPerSecond)),
    p50: median(runs.map((r) => r.latency.p50)),
    p99: median(runs.map((r) => r.latency.p99)),
    serviceCpu: median(runs.map((r) => r.serverCpuPerRequestUs)),
    daemonCpu: median(runs.map((r) => r.daemonCpuPerRequestUs)),
    failed: Math.max(...runs.map((r) => r.non2xx + r.errors)),
  };
}

async function expectAccepted(server: ServerProcess, request: LoadRequest): Promise<void> {
  const res = await fetch(server.url + request.path, { headers: request.headers });
  if (res.status !== 200) throw new Error(`${server.url} answered ${res.status}: ${await res.text()}`);
}

/** Deactivation latency as an operator sees it: create a key, then time its deactivation. */
async function deactivations(daemon: DaemonProcess, label: string): Promise<string[]> {
  const times: number[] = [];
  for (let i = 0; i < DEACTIVATIONS; i++) {
    const { key } = await daemon.admin.createKey(`bench-deactivate-${label}-${i}`);
    const started = performance.now();
    await daemon.admin.deactivateKey(key.id);
    times.push(performance.now() - started);
  }
  const s = summarize(times);
  return [label, ms(s.p50), `${ms(s.p99)}${label === '0' ? '' : ' (≤ 20 ms)'}`, ms(s.max)];
}

export async function run(): Promise<void> {
  const home = benchHome();
  const processes: ServerProcess[] = [];
  try {
    const started = performance.now();
    const keys = seedKeys(home, KEYS, LOAD_KEYS);
    console.log(`seeded ${count(KEYS)} keys in ${ms(performance.now() - started)}`);
    const daemon = await startDaemonProcess(home);
    processes.push(daemon);
    const { token } = await daemon.admin.createOperator('bench-service', 'service');
    const requests: LoadRequest[] = keys.map((k) => ({ method: 'GET', path: '/orders', headers: { authorization: `Bearer ${k.secret}` } }));

    const servers = {} as Record<Mode, ServerProcess>;
    for (const mode of MODES) {
      servers[mode] = await service(mode, daemon, token);
      processes.push(servers[mode]);
    }
    console.log(`replica service: spawn to a complete copy of ${count(KEYS)} keys and a lease: ${ms(servers.replica.startupMs)} (unprotected service to healthy: ${ms(servers.unprotected.startupMs)})`);
    for (const mode of ['replica', 'protected', 'remote'] as const) await expectAccepted(servers[mode], requests[0]!);
    for (const mode of MODES) await drive(servers[mode], { connections: 50, seconds: WARMUP_SECONDS, requests });
    console.log(`load: autocannon, ${SECONDS} s per run, ${ROUNDS} interleaved rounds (medians shown), no pipelining, ${count(LOAD_KEYS)} different valid keys`);

    const rows: string[][] = [];
    let replicaRate = 0;
    for (const connections of CONNECTIONS) {
      const runs: Record<Mode, Measured[]> = { unprotected: [], replica: [], protected: [], remote: [] };
      for (let round = 0; round < ROUNDS; round++) {
        // Each round starts with another mode, so no mode always runs on the warmest (or most tired) box.
        for (let i = 0; i < MODES.length; i++) {
          const mode = MODES[(round + i) % MODES.length]!;
          runs[mode].push(await measure(servers[mode], daemon, connections, requests));
        }
      }
      const m = { unprotected: medianOf(runs.unprotected), replica: medianOf(runs.replica), protected: medianOf(runs.protected), remote: medianOf(runs.remote) };
      if (connections === 10) replicaRate = m.replica.rps;
      for (const mode of MODES) {
        const r = m[mode];
        rows.push([String(connections), mode, count(r.rps), ms(r.p50), ms(r.p99), us(r.serviceCpu), us(r.daemonCpu), us(r.serviceCpu + r.daemonCpu), String(r.failed)]);
      }
      const base = m.unprotected;
      for (const mode of ['replica', 'protected', 'remote'] as const) {
        const r = m[mode];
        const target = mode !== 'remote';
        rows.push([
          '',
          `${mode}/unprotected`,
          `${ratio(r.rps / base.rps)}${target ? ' (≥ 0.90×)' : ''}`,
          ratio(r.p50 / base.p50),
          `${ratio(r.p99 / base.p99)}${target ? ' (≤ 1.20×)' : ''}`,
          ratio(r.serviceCpu / base.serviceCpu),
          '',
          ratio((r.serviceCpu + r.daemonCpu) / (base.serviceCpu + base.daemonCpu)),
        ]);
      }
    }
    console.log('replica, remote: the keyward() middleware; protected: the route handler in protect(), on a replica');
    printTable(['conns', 'service', 'req/s', 'p50', 'p99', 'svc CPU/req', 'daemon CPU/req', 'total CPU/req', 'failed'], rows);
    console.log(`service RSS after the load: unprotected ${mb(servers.unprotected.memory().rss)}, replica ${mb(servers.replica.memory().rss)} (its copy of ${count(KEYS)} keys), remote ${mb(servers.remote.memory().rss)}`);
    console.log('CPU/req: user+system CPU per response (/proc) of the service process and of the daemon; steadier than req/s when other work shares the cores');

    // Deactivation latency: the replica service is one replica; a host of nine more makes ten.
    await stop(processes, servers.protected);
    const latency = [await deactivations(daemon, '1')];
    const nine = await startServer({ args: ['--import', 'tsx', REPLICAS, '{port}', daemon.url, token, '9'], healthPath: '/', timeoutMs: 60_000 });
    processes.push(nine);
    latency.push(await deactivations(daemon, '10'));

    // Quota overshoot: two replicas spend one key's quota as fast as they can.
    const second = await service('replica', daemon, token);
    processes.push(second);
    // Two replicas at 10 connections each share the box's cores with the load and the daemon:
    // together they ran at 0.81–0.84× one replica's rate in two runs, not twice it. Sized from one replica's
    // rate, the quota runs out about halfway through the run.
    const quota = Math.max(10_000, Math.round((replicaRate * QUOTA_SECONDS) / 2));
    const { secret } = await daemon.admin.createKey('bench-quota', { quota: { remaining: quota } });
    const quotaLoad: LoadRequest[] = [{ method: 'GET', path: '/orders', headers: { authorization: `Bearer ${secret}` } }];
    const spent = await Promise.all([servers.replica, second].map((server) => drive(server, { connections: 10, seconds: QUOTA_SECONDS, requests: quotaLoad })));
    // The latency samples are the 2xx answers only (support/load.ts): the accepted uses.
    const accepted = spent.reduce((n, r) => n + r.latency.count, 0);
    const refused = spent.reduce((n, r) => n + r.non2xx, 0);
    // Answers (accepted or not) come at a steady rate: the overshoot in time is how long after
    // the quota ran out the two kept accepting.
    const rate = spent.reduce((n, r) => n + r.requestsPerSecond, 0);

    for (const p of [nine, second, servers.replica]) await stop(processes, p);
    latency.unshift(await deactivations(daemon, '0'));
    console.log(`\ndeactivation latency, ${DEACTIVATIONS} deactivations each (create a key, time POST /v1/keys/{id}/deactivate):`);
    printTable(['replicas', 'p50', 'p99', 'max'], latency);

    const head = `\nquota overshoot, two replicas at 10 connections each on one key with a quota of ${count(quota)}: ${count(accepted)} accepted, ${count(refused)} refused`;
    // Accepted past the quota is the overshoot, refusals or not: a run may end before the
    // replicas' reports have told either of them the quota is spent.
    console.log(
      accepted <= quota
        ? `${head}: the quota was not spent within the run (${count(rate)} req/s together), so there is no overshoot to measure`
        : `${head}, ${count(accepted - quota)} over = ${ms(((accepted - quota) / rate) * 1000)} of their traffic (${count(rate)} req/s together; the bound: one report interval, ~1000 ms)`,
    );
  } finally {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    removeHome(home);
  }
}
