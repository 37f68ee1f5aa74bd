/**
 * Crash durability: a daemon process takes creates, deactivations, deletes and verifications
 * from several callers while it is SIGKILLed at random moments. After every kill, with no
 * daemon running, the store file must pass SQLite's integrity check, keep its audit chain, and
 * hold every acknowledged change, each unanswered change whole or not at all. The restart that
 * follows at once must be allowed (the home lock dies with the process) and must verify every
 * known secret as its acknowledged state says.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { KeywardClient } from '../../src/client/client.js';
import { hashSecret } from '../../src/daemon/secrets/format.js';
import { readDaemonInfo } from '../../src/home.js';
import { killLeftoverDaemons, startChildDaemon, type ChildDaemon } from './helpers/child-daemon.js';
import { inParallel, pickRandom, sleep } from './helpers/concurrency.js';
import { expectedVerify, reconcile, type KeyOp, type ModelKey } from './helpers/key-model.js';
import { openStoreFile } from './helpers/store-file.js';

const CYCLES = 30;
const WRITERS = 4;
const MAX_RUN_MS = 300;
/** Unchanged keys verified after each restart, besides every key the cycle changed. */
const VERIFY_SAMPLE = 24;

const homes: string[] = [];
afterAll(() => {
  killLeftoverDaemons();
  homes.forEach((h) => rmSync(h, { recursive: true, force: true }));
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'keyward-crash-'));
  homes.push(home);
  return home;
}

type Stats = { acked: number; verified: number; unanswered: number; applied: number; dropped: number };

/**
 * Sends changes from `WRITERS` callers, plus one caller verifying, until `run.killed`. A
 * change whose answer does not arrive before the kill stays `pending` on its key.
 */
async function drive(client: KeywardClient, keys: ModelKey[], cycle: number, run: { killed: boolean }, stats: Stats): Promise<void> {
  let n = 0;
  const idle = (fate: ModelKey['acked']) => keys.filter((k) => k.acked === fate && !k.pending && k.id);
  const rethrowUnlessKilled = (err: unknown) => {
    // Whatever fails once the kill is under way is an answer that never came.
    if (!run.killed) throw err;
  };
  const writer = async () => {
    while (!run.killed) {
      const roll = Math.random();
      const active = pickRandom(idle('active'));
      const inactive = pickRandom(idle('inactive'));
      let key: ModelKey;
      let op: KeyOp;
      if (roll < 0.3 && active) [key, op] = [active, 'deactivate'];
      else if (roll < 0.55 && inactive) [key, op] = [inactive, 'delete'];
      else {
        key = { name: `crash-${cycle}-${n++}`, acked: 'never' };
        keys.push(key);
        op = 'create';
      }
      key.pending = op;
      try {
        if (op === 'create') {
          const created = await client.createKey(key.name);
          Object.assign(key, { id: created.key.id, secret: created.secret, acked: 'active' });
        } else if (op === 'deactivate') {
          await client.deactivateKey(key.id!);
          key.acked = 'inactive';
        } else {
          await client.deleteKey(key.id!);
          key.acked = 'deleted';
        }
        key.pending = undefined;
        stats.acked++;
      } catch (err) {
        rethrowUnlessKilled(err);
        return;
      }
    }
  };
  const verifier = async () => {
    while (!run.killed) {
      const key = pickRandom(keys.filter((k) => k.secret && !k.pending && k.acked !== 'never'));
      if (!key) {
        await sleep(5);
        continue;
      }
      const before = key.acked;
      try {
        const result = await client.verify(key.secret!, 'crash-test');
        if (!key.pending && key.acked === before) expect(result, `verify of "${key.name}" (${before})`).toMatchObject(expectedVerify(before));
        stats.verified++;
      } catch (err) {
        rethrowUnlessKilled(err);
        return;
      }
    }
  };
  await Promise.all([...Array.from({ length: WRITERS }, writer), verifier()]);
}

/** With no daemon running: the file is sound and agrees with what the client knows. */
async function checkStoreFile(home: string, keys: ModelKey[], stats: Stats): Promise<void> {
  stats.unanswered += keys.filter((k) => k.pending).length;
  const file = openStoreFile(home);
  try {
    expect(await file.problems(), 'store file after a kill').toEqual([]);
    const result = reconcile(keys, file.keys(), file.audit(), hashSecret);
    expect(result.problems, 'acknowledged and unanswered changes after a kill').toEqual([]);
    stats.applied += result.applied;
    stats.dropped += result.dropped;
  } finally {
    file.close();
  }
}

/**
 * With the daemon back: its index answers for every key whose state this cycle changed, and
 * for a sample of the others, as the store says; its list holds exactly the stored keys.
 */
async function checkRestarted(daemon: ChildDaemon, keys: ModelKey[], changed: Set<ModelKey>): Promise<void> {
  const others = keys.filter((k) => !changed.has(k)).sort(() => Math.random() - 0.5);
  const sample = [...changed, ...others.slice(0, VERIFY_SAMPLE)].filter((k) => k.secret);
  const answers = await inParallel(sample.length, 8, (i) => daemon.client.verify(sample[i]!.secret!));
  sample.forEach((key, i) => expect(answers[i], `verify of "${key.name}" after restart`).toMatchObject(expectedVerify(key.acked)));
  const listed = await daemon.client.allKeys();
  expect(listed.map((k) => k.name).sort()).toEqual(
    keys
      .filter((k) => k.acked === 'active' || k.acked === 'inactive')
      .map((k) => k.name)
      .sort(),
  );
}

describe('crash durability', () => {
  it(`keeps every acknowledged change through ${CYCLES} SIGKILL/restart cycles`, { timeout: 300_000 }, async () => {
    const home = newHome();
    const keys: ModelKey[] = [];
    const stats: Stats = { acked: 0, verified: 0, unanswered: 0, applied: 0, dropped: 0 };
    const started = Date.now();
    let daemon = await startChildDaemon(home);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const run = { killed: false };
      const before = new Map(keys.map((k) => [k, k.acked]));
      const driving = drive(daemon.client, keys, cycle, run, stats);
      const ackedBefore = stats.acked;
      await sleep(Math.random() * MAX_RUN_MS);
      // A kill before the first answer would test only the restart. On a busy box a fresh
      // daemon's first answer can take longer than the random run, so wait for one.
      await vi.waitFor(() => expect(stats.acked, `cycle ${cycle}: no change acknowledged`).toBeGreaterThan(ackedBefore), { timeout: 15_000, interval: 5 });
      run.killed = true;
      const exit = await daemon.stop('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      await driving;
      await checkStoreFile(home, keys, stats);
      // Straight back up: a lock left behind by the dead process would refuse this.
      daemon = await startChildDaemon(home);
      await checkRestarted(daemon, keys, new Set(keys.filter((k) => before.get(k) !== k.acked)));
    }
    const exit = await daemon.stop('SIGTERM');
    expect(exit, `graceful stop:\n${daemon.stderr()}`).toEqual({ code: 0, signal: null });
    expect(readDaemonInfo(home), 'daemon.json after a graceful stop').toBeUndefined();
    await checkStoreFile(home, keys, stats);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `crash: ${CYCLES} kill/restart cycles survived in ${seconds} s; ${stats.acked} changes acknowledged, ` +
        `${stats.verified} verifications, ${stats.unanswered} changes unanswered at a kill ` +
        `(${stats.applied} found applied whole, ${stats.dropped} not applied), ${keys.length} keys`,
    );
  });
});
