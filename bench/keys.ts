/**
 * Issue 2's key-lifecycle benchmark, through HTTP against the real daemon in its own process:
 * create-key latency (sequential, each create one fsynced transaction with its audit event)
 * and the latency of listing 10,000 keys in one page.
 */
import { performance } from 'node:perf_hooks';
import { benchHome, removeHome, startDaemonProcess } from './support/daemon.js';
import { seedKeys } from './support/seed.js';
import { count, mb, ms, printTable, summarize, type Summary } from './support/stats.js';

const WARMUP_CREATES = 50;
const CREATES = 1_000;
const LISTED = 10_000;
const LIST_RUNS = 20;

function summaryRow(label: string, s: Summary): string[] {
  return [label, String(s.count), ms(s.p50), ms(s.p99), ms(s.mean), ms(s.min), ms(s.max)];
}

export async function run(): Promise<void> {
  const home = benchHome();
  // The creates below bring the store to exactly LISTED keys.
  seedKeys(home, LISTED - WARMUP_CREATES - CREATES, 0);
  const daemon = await startDaemonProcess(home);
  try {
    const { admin } = daemon;
    for (let i = 0; i < WARMUP_CREATES; i++) await admin.createKey(`warmup-${i}`);
    const creates: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      const started = performance.now();
      await admin.createKey(`bench-${i}`);
      creates.push(performance.now() - started);
    }

    const headers = { authorization: `Bearer ${daemon.adminToken}` };
    const lists: number[] = [];
    let bytes = 0;
    for (let i = 0; i < LIST_RUNS; i++) {
      const started = performance.now();
      const res = await fetch(`${daemon.url}/v1/keys?limit=${LISTED}`, { headers });
      const body = await res.text();
      lists.push(performance.now() - started);
      const listed = (JSON.parse(body) as { keys: unknown[] }).keys.length;
      if (res.status !== 200 || listed !== LISTED) throw new Error(`list answered ${res.status} with ${listed} keys`);
      bytes = Buffer.byteLength(body);
    }

    const createSummary = summarize(creates);
    printTable(
      ['operation', 'runs', 'p50', 'p99', 'mean', 'min', 'max'],
      [summaryRow('POST /v1/keys', createSummary), summaryRow(`GET /v1/keys?limit=${LISTED}`, summarize(lists))],
    );
    console.log(`creates: ${count(1000 / createSummary.mean)}/s sequential; the list body is ${mb(bytes)} for ${count(LISTED)} keys`);
  } finally {
    await daemon.stop();
    removeHome(home);
  }
}
