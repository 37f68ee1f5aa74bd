/**
 * What issue 13's defences cost, in-process against a real SQLite store file: an audited write
 * with its signed checkpoint against the same write with no checkpoint (baseline, same run,
 * batches interleaved); a usage flush of 1,000 keys' known callers against one that folds 1,000
 * new callers of a key already at its cap (the flood); and the name rules with the look-alike
 * key, per name, against the import target of 50,000 keys/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditTrail } from '../src/daemon/audit/trail.js';
import { openDatabase } from '../src/daemon/db/sqlite/open.js';
import { SqliteStore } from '../src/daemon/db/sqlite/store.js';
import { nameColumns, nameProblem } from '../src/daemon/names.js';
import { generateSecret, hashSecret, KEY_PREFIX, newId } from '../src/daemon/secrets/format.js';
import { hintOf } from '../src/secret-text.js';
import type { AuditSigner, KeyRow, UsageDelta } from '../src/daemon/store.js';
import { CALLERS_KEPT } from '../src/daemon/usage/callers.js';
import { count, ms, printTable, ratio, summarize, us } from './support/stats.js';

const ACTOR = { id: 'op_bench', name: 'bench' };
const WRITES = 300;
const BATCH = 25;
const FLUSH_KEYS = 1_000;
const FLUSH_RUNS = 10;
const NAMES = 20_000;

function openStore(dir: string, anchored: boolean): SqliteStore {
  const { sqlite, db } = openDatabase(join(dir, 'keyward.db'));
  const trail = AuditTrail.open({ auditKey: join(dir, 'audit.key'), auditCheckpoint: join(dir, 'audit.checkpoint') }, () => {});
  const signer: AuditSigner = anchored ? trail : { key: trail.key, anchor: () => {} };
  return new SqliteStore(sqlite, db, signer);
}

function keyRow(name: string, at: number): KeyRow & { hash: string } {
  const secret = generateSecret(KEY_PREFIX);
  return { id: newId('key_'), name, hint: hintOf(secret, KEY_PREFIX), hash: hashSecret(secret), status: 'active', createdAt: at, createdBy: ACTOR.name, deactivatedAt: null, deactivationReason: null, expiresAt: null, lastUsedAt: null, canary: false, rotatedOutBy: null, description: null, owner: null, meta: null, scopes: null, allowedIps: null, rateLimit: null, quota: null };
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function auditedWrites(root: string): Promise<string[][]> {
  const stores = { anchored: openStore(mkdtempSync(join(root, 'a-')), true), baseline: openStore(mkdtempSync(join(root, 'b-')), false) };
  const samples: Record<keyof typeof stores, number[]> = { anchored: [], baseline: [] };
  for (let i = 0; i < WRITES; i += BATCH) {
    for (const which of ['anchored', 'baseline'] as const) {
      for (let j = i; j < i + BATCH; j++) samples[which].push(await time(() => stores[which].createKey(keyRow(`k${j}`, Date.now()), ACTOR)));
    }
  }
  for (const store of Object.values(stores)) await store.close();
  const a = summarize(samples.anchored);
  const b = summarize(samples.baseline);
  return [
    ['create key, signed + checkpoint file', String(a.count), ms(a.p50), ms(a.p99), ms(a.mean)],
    ['create key, signed, no checkpoint (baseline)', String(b.count), ms(b.p50), ms(b.p99), ms(b.mean)],
    ['ratio (no target; the checkpoint is one more fsync)', '', ratio(a.p50 / b.p50), ratio(a.p99 / b.p99), ratio(a.mean / b.mean)],
  ];
}

async function flushes(root: string): Promise<string[][]> {
  const store = openStore(mkdtempSync(join(root, 'f-')), true);
  const keys: string[] = [];
  for (let i = 0; i < FLUSH_KEYS; i++) keys.push((await store.createKey(keyRow(`f${i}`, 0), ACTOR)).id);
  const at = Date.now();
  const minute = Math.floor(at / 60_000);
  const known = (n: number): UsageDelta => ({
    buckets: keys.map((keyId) => ({ keyId, minute, ok: 1, rejected: 0 })),
    callers: keys.map((keyId) => ({ keyId, caller: 'service', at: at + n, ok: 1, rejected: 0 })),
    lastUsed: keys.map((keyId) => ({ keyId, at: at + n })),
  });
  const flood = (n: number): UsageDelta => ({
    buckets: [{ keyId: keys[0]!, minute, ok: CALLERS_KEPT, rejected: 0 }],
    callers: Array.from({ length: CALLERS_KEPT }, (_, i) => ({ keyId: keys[0]!, caller: `${'x'.repeat(100)}-${n}-${i}`, at: at + n, ok: 1, rejected: 0 })),
    lastUsed: [],
  });
  await store.applyUsage(flood(-1), 0); // the key starts at its cap
  const steady: number[] = [];
  const folding: number[] = [];
  for (let n = 0; n < FLUSH_RUNS; n++) {
    steady.push(await time(() => store.applyUsage(known(n), 0)));
    folding.push(await time(() => store.applyUsage(flood(n), 0)));
  }
  await store.close();
  const s = summarize(steady);
  const f = summarize(folding);
  return [
    [`flush: ${count(FLUSH_KEYS)} keys, known callers`, String(s.count), ms(s.p50), ms(s.p99), ms(s.mean)],
    [`flush: ${count(CALLERS_KEPT)} new callers on a key at its cap`, String(f.count), ms(f.p50), ms(f.p99), ms(f.mean)],
    ['ratio flood / steady (the design: a flush of 1,000 keys ~20 ms)', '', ratio(f.p50 / s.p50), ratio(f.p99 / s.p99), ratio(f.mean / s.mean)],
  ];
}

function names(): string {
  const samples = Array.from({ length: NAMES }, (_, i) => (i % 3 === 0 ? `billing-service-${i}` : i % 3 === 1 ? `Tiếng Việt ${i}` : `ключ-${i}`));
  const started = performance.now();
  for (const name of samples) {
    if (nameProblem(name) === undefined) nameColumns(name);
  }
  const perName = ((performance.now() - started) * 1000) / NAMES;
  return `name rules + look-alike key: ${us(perName)} a name, ${count(1_000_000 / perName)} names/s (import target: ≥ 50,000 keys/s, so ≤ 20 µs a key in all)`;
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'keyward-bench-hardening-'));
  try {
    printTable(['operation', 'runs', 'p50', 'p99', 'mean'], [...(await auditedWrites(root)), ...(await flushes(root))]);
    console.log(names());
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
