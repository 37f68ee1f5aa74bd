/**
 * Issue 17's verify cost of noticing trouble: the real daemon (10,000 keys, 200 canaries, 200
 * deleted keys) driven over loopback with unknown keys, valid keys, canaries, tombstones, and a
 * canary flood from ever-new caller names. A canary or a tombstone must cost what an unknown
 * key costs (the same timing class: a map update more, no store); the flood must stay a
 * bounded number of alerts. Two rounds in opposite orders, medians shown; ratios against the
 * unknown key of the same run, targets beside them, never judged. Then the worst flush, timed
 * in-process with the event loop's longest stall.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { openDaemon } from '../src/daemon/main.js';
import { benchHome, removeHome, startDaemonProcess, type DaemonProcess } from './support/daemon.js';
import { drive, type LoadRequest, type LoadResult } from './support/load.js';
import { seedKeys } from './support/seed.js';
import { count, mb, ms, printTable, ratio, us } from './support/stats.js';
import { generateSecret, KEY_PREFIX } from '../src/daemon/secrets/format.js';

const KEYS = 10_000;
const TRAPS = 200;
const CALLERS = 8;
const CONNECTIONS = 10;
const SECONDS = 5;
const WARMUP_SECONDS = 2;

type Load = { label: string; requests: LoadRequest[] };

function requests(token: string, secrets: readonly string[], caller: (i: number) => string): LoadRequest[] {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  return secrets.map((key, i) => ({ method: 'POST', path: '/v1/verify', headers, body: JSON.stringify({ key, caller: caller(i) }) }));
}

function median(results: LoadResult[], pick: (r: LoadResult) => number): number {
  const sorted = results.map(pick).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function traps(daemon: DaemonProcess): Promise<{ canaries: string[]; deleted: string[] }> {
  const canaries: string[] = [];
  const deleted: string[] = [];
  for (let i = 0; i < TRAPS; i++) {
    canaries.push((await daemon.admin.createKey(`canary-${i}`, { canary: true })).secret);
    const gone = await daemon.admin.createKey(`gone-${i}`);
    await daemon.admin.deactivateKey(gone.key.id);
    await daemon.admin.deleteKey(gone.key.id);
    deleted.push(gone.secret);
  }
  return { canaries, deleted };
}

export async function run(): Promise<void> {
  const home = benchHome();
  let daemon: DaemonProcess | undefined;
  try {
    const valid = seedKeys(home, KEYS, 1_000).map((k) => k.secret);
    daemon = await startDaemonProcess(home);
    const { canaries, deleted } = await traps(daemon);
    const { token } = await daemon.admin.createOperator('bench-alerts', 'service');
    const unknown = Array.from({ length: 1_000 }, () => generateSecret(KEY_PREFIX));
    const few = (i: number) => `bench-service-${i % CALLERS}`;
    const loads: Load[] = [
      { label: 'unknown key', requests: requests(token, unknown, few) },
      { label: 'valid key', requests: requests(token, valid, few) },
      { label: 'canary', requests: requests(token, canaries, few) },
      { label: 'tombstone', requests: requests(token, deleted, few) },
      // Every request a caller name never seen (300 a canary): the flood an attacker controls.
      { label: 'canary, fresh callers', requests: requests(token, Array.from({ length: 60_000 }, (_, i) => canaries[i % canaries.length]!), (i) => `spray-${i}`) },
    ];
    console.log(`${count(KEYS)} keys, ${TRAPS} canaries, ${TRAPS} deleted keys; autocannon, ${CONNECTIONS} connections, ${SECONDS} s a run, two rounds in opposite orders`);
    for (const load of loads) await drive(daemon, { connections: CONNECTIONS, seconds: WARMUP_SECONDS, requests: load.requests });
    const results = new Map<string, LoadResult[]>(loads.map((l) => [l.label, []]));
    for (const round of [loads, [...loads].reverse()]) {
      for (const load of round) results.get(load.label)!.push(await drive(daemon, { connections: CONNECTIONS, seconds: SECONDS, requests: load.requests }));
    }
    const base = results.get('unknown key')!;
    const baseRps = median(base, (r) => r.requestsPerSecond);
    const baseP50 = median(base, (r) => r.latency.p50);
    const baseCpu = median(base, (r) => r.serverCpuPerRequestUs);
    const target: Record<string, string> = { canary: ' (≈ 1×: same class)', tombstone: ' (≈ 1×: same class)', 'canary, fresh callers': ' (≥ 0.8×)' };
    const rows = loads.map(({ label }) => {
      const r = results.get(label)!;
      const failed = r.reduce((n, x) => n + x.non2xx + x.errors, 0);
      return [
        label,
        count(median(r, (x) => x.requestsPerSecond)),
        ms(median(r, (x) => x.latency.p50)),
        ms(median(r, (x) => x.latency.p99)),
        us(median(r, (x) => x.serverCpuPerRequestUs)),
        `${ratio(median(r, (x) => x.requestsPerSecond) / baseRps)}${target[label] ?? ''}`,
        ratio(median(r, (x) => x.latency.p50) / baseP50),
        ratio(median(r, (x) => x.serverCpuPerRequestUs) / baseCpu),
        String(failed),
      ];
    });
    printTable(['presented', 'req/s', 'p50', 'p99', 'CPU/req', 'req/s vs unknown', 'p50 vs unknown', 'CPU vs unknown', 'failed'], rows);
    const started = performance.now();
    let page = await daemon.admin.alerts({ state: 'open', limit: 10_000 });
    const listed = performance.now() - started;
    const open = [...page.alerts];
    while (page.nextCursor) open.push(...(page = await daemon.admin.alerts({ state: 'open', limit: 10_000, cursor: page.nextCursor })).alerts);
    const sightings = open.reduce((n, a) => n + a.count, 0);
    console.log(
      `after the load: ${count(open.length)} open alerts for ${count(sightings)} presentations (target ≤ ${count(TRAPS * 101 + TRAPS * (CALLERS + 1))}: ` +
        `one per kind, key and caller, ≤ 101 callers a key); GET /v1/alerts (with its flush, 10,000 a page) took ${ms(listed)}`,
    );
    console.log(`daemon RSS after the load: ${mb(daemon.memory().rss)}`);
  } finally {
    await daemon?.stop();
    removeHome(home);
  }
  await flushes();
}

/**
 * The worst flush: 200 canaries each presented by 100 callers (the most a key keeps alerts
 * for), in-process on a temp home: how long writing it takes, and the longest the event loop
 * (verify) waits meanwhile.
 */
async function flushes(): Promise<void> {
  const home = benchHome();
  const d = await openDaemon({ home, port: 0, log: () => {} });
  try {
    const actor = { id: 'bench', name: 'bench' };
    const secrets: string[] = [];
    for (let i = 0; i < TRAPS; i++) secrets.push((await d.core.keys.create(`canary-${i}`, null, actor, {}, true)).secret);
    const rows: string[][] = [];
    for (const round of ['raising 20,000 alerts', 'counting on them', 'counting on them, again']) {
      for (const secret of secrets) for (let c = 0; c < 100; c++) d.core.verifier.verify({ key: secret }, `caller-${c}`);
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const started = performance.now();
      await d.core.alerts.flush();
      const took = performance.now() - started;
      delay.disable();
      rows.push([round, ms(took), ms(delay.max / 1e6), '≤ 50 ms']);
    }
    console.log(`flush of ${count(TRAPS * 100)} sightings (${TRAPS} canaries × 100 callers), in chunks of 500:`);
    printTable(['flush', 'took', 'longest event-loop stall', 'target'], rows);
  } finally {
    await d.close();
    removeHome(home);
  }
}
