/**
 * Issue 18 item 10: a filtered page of the audit log costs about what an unfiltered one does,
 * so the audit view and `keyward audit --key …` stay quick on a long log. The store is seeded
 * with 300,000 events (direct inserts, as `seedKeys` does for keys; the chain is not checked
 * here), then pages of 1,000 are read over HTTP from a daemon process, each filter against the
 * unfiltered page of the same run.
 */
import { performance } from 'node:perf_hooks';
import { closeSync, openSync } from 'node:fs';
import { openDatabase } from '../src/daemon/db/sqlite/open.js';
import { ensureHome, homeFiles } from '../src/home.js';
import { benchHome, removeHome, startDaemonProcess } from './support/daemon.js';
import { count, ms, printTable, ratio, summarize } from './support/stats.js';

const EVENTS = 300_000;
const KEYS = 50_000;
const PAGE = 1000;
const RUNS = 20;

/** Events spread over KEYS keys and five operators, a third of them deactivations. */
function seedAudit(home: string): void {
  ensureHome(home);
  const file = homeFiles(home).db;
  closeSync(openSync(file, 'a', 0o600));
  const { sqlite } = openDatabase(file);
  const insert = sqlite.prepare(
    "INSERT INTO audit_events (id, at, operator_id, operator_name, action, target_type, target_id, target_name, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, 'key', ?, ?, '{}', '', '')",
  );
  const start = Date.now() - EVENTS;
  sqlite.transaction(() => {
    for (let i = 0; i < EVENTS; i++) insert.run(`evt_seed${i}`, start + i, `op_seed${i % 5}`, `seed-op-${i % 5}`, i % 3 ? 'key.create' : 'key.deactivate', `key_seed${i % KEYS}`, `seed-${i % KEYS}`);
  })();
  sqlite.close();
}

export async function run(): Promise<void> {
  const home = benchHome();
  seedAudit(home);
  const daemon = await startDaemonProcess(home);
  try {
    const headers = { authorization: `Bearer ${daemon.adminToken}` };
    const page = async (query: string) => {
      const samples: number[] = [];
      let events = 0;
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        const res = await fetch(`${daemon.url}/v1/audit?limit=${PAGE}${query}`, { headers });
        const body = (await res.json()) as { events: unknown[] };
        samples.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`GET /v1/audit${query} answered ${res.status}`);
        events = body.events.length;
      }
      return { p50: summarize(samples).p50, events };
    };
    const baseline = await page('');
    const cases: Array<[string, string, number]> = [
      ['action family (key)', '&action=key', 2],
      ['operator', '&operator=seed-op-3', 2],
      ['key name, 6 events', '&key=seed-123', 1],
      ['key id, 6 events', '&key=key_seed123', 1],
      ['key that never was', '&key=nobody', 1],
    ];
    const rows = [['none (baseline)', count(baseline.events), ms(baseline.p50), '1.00×', '']];
    for (const [label, query, target] of cases) {
      const { p50, events } = await page(query);
      rows.push([label, count(events), ms(p50), ratio(p50 / baseline.p50), `≤ ${target}×`]);
    }
    printTable(['filter', 'events', 'p50', 'vs unfiltered', 'target'], rows);
    console.log(`pages of ${count(PAGE)} from ${count(EVENTS)} audit events, ${RUNS} runs each`);
  } finally {
    await daemon.stop();
    removeHome(home);
  }
}
