/**
 * The usage flush in chunks (src/daemon/usage/tracker.ts): each chunk is one store write of a
 * bounded number of keys, a failed chunk keeps its counts and those after it, a flush asked
 * for while one runs also writes what was counted meanwhile, and a flush of many keys lets the
 * event loop turn between its chunks. Against the daemon's real store.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/daemon/clock.js';
import type { Store, UsageDelta } from '../../src/daemon/store.js';
import { splitByKey } from '../../src/daemon/usage/chunks.js';
import { FLUSH_CHUNK_KEYS, UsageTracker, type UsageTick } from '../../src/daemon/usage/tracker.js';
import { startTestApp, storeQuery, type TestApp } from '../helpers/daemon.js';
import { countTurns } from '../helpers/loop-turns.js';

let t: TestApp;
let ids: string[];
beforeEach(async () => {
  t = await startTestApp();
  ids = [];
  for (let i = 0; i < 5; i++) ids.push((await t.client.createKey(`flush-${i}`)).key.id);
});
afterEach(async () => {
  await t.stop();
});

/** The real store, with its `n`-th usage write (1-based) failing once. */
function failingOnce(store: Store, n: number): Store & { writes: number } {
  const wrapped = Object.create(store) as Store & { writes: number };
  wrapped.writes = 0;
  wrapped.applyUsage = async (delta, pruneBefore) => {
    if (++wrapped.writes === n) throw new Error('disk trouble');
    return store.applyUsage(delta, pruneBefore);
  };
  return wrapped;
}

async function storedOk(keyId: string): Promise<number> {
  return (await t.daemon.core.store.usageBuckets(keyId, 0)).reduce((sum, b) => sum + b.ok, 0);
}

function recordEach(tracker: UsageTracker, times: number): void {
  const at = Date.now();
  for (const id of ids) for (let i = 0; i < times; i++) tracker.record(id, true, 'svc', at);
}

describe('splitByKey', () => {
  it('keeps each key in one chunk of at most the given number of keys', () => {
    const delta: UsageDelta = {
      buckets: [1, 2, 3, 1, 2].map((k, i) => ({ keyId: `k${k}`, minute: i, ok: 1, rejected: 0 })),
      callers: [3, 4, 1].map((k) => ({ keyId: `k${k}`, caller: 'c', at: 0, ok: 1, rejected: 0 })),
      lastUsed: [1, 2, 3, 4].map((k) => ({ keyId: `k${k}`, at: 0 })),
    };
    const chunks = splitByKey(delta, 2);
    const keysOf = (d: UsageDelta) => [...new Set([...d.buckets, ...d.callers, ...d.lastUsed].map((x) => x.keyId))].sort();
    expect(chunks.map(keysOf)).toEqual([['k1', 'k2'], ['k3', 'k4']]);
    expect(chunks[0]!.buckets).toHaveLength(4);
    expect(chunks[0]!.callers).toEqual([delta.callers[2]]);
    expect(chunks.flatMap((c) => c.lastUsed)).toHaveLength(4);
  });
});

describe('chunked usage flush', () => {
  it('writes one chunk a store write and tells of each', async () => {
    const ticks: UsageTick[] = [];
    const tracker = new UsageTracker(t.daemon.core.store, systemClock, (tick) => ticks.push(tick), undefined, 2);
    recordEach(tracker, 3);
    await tracker.flush();
    expect(ticks.map((tick) => tick.keys.length)).toEqual([2, 2, 1]);
    for (const id of ids) expect(await storedOk(id)).toBe(3);
  });

  it('keeps the failed chunk and those after it for the next flush, and writes the rest once', async () => {
    const store = failingOnce(t.daemon.core.store, 2);
    const tracker = new UsageTracker(store, systemClock, () => {}, undefined, 2);
    recordEach(tracker, 2);
    await expect(tracker.flush()).rejects.toThrow('disk trouble');
    expect(await Promise.all(ids.map(storedOk))).toEqual([2, 2, 0, 0, 0]);
    recordEach(tracker, 1);
    await tracker.flush();
    expect(await Promise.all(ids.map(storedOk))).toEqual([3, 3, 3, 3, 3]);
  });

  it('writes what was counted while a flush ran when asked for during it', async () => {
    const tracker = new UsageTracker(t.daemon.core.store, systemClock, () => {}, undefined, 1);
    recordEach(tracker, 1);
    const running = tracker.flush();
    // The first flush took its counts; these come while it is still writing its chunks.
    recordEach(tracker, 1);
    await tracker.flush();
    expect(await Promise.all(ids.map(storedOk))).toEqual([2, 2, 2, 2, 2]);
    await running;
  });
});

describe('a usage flush of many keys beside other work', () => {
  const KEYS = 3000;
  const secretOf = (i: number) => `flush-load-secret-${i}`;

  it('lets the event loop turn between its chunks: its longest stall is a fraction of the flush', async () => {
    // Its own daemon, whose timer never flushes during the test: the flush measured is the one
    // holding every count.
    const app = await startTestApp({ usageFlushMs: 60 * 60_000 });
    try {
      const keys = Array.from({ length: KEYS }, (_, i) => ({ name: `load-${i}`, sha256: createHash('sha256').update(secretOf(i)).digest('hex') }));
      expect((await app.api('POST', '/v1/keys/import', { keys })).status).toBe(201);
      // Each key verified once by the daemon's verifier, which both verify routes answer with and
      // which counts in the daemon's own tracker (3,000 requests in-process took ~1.5 s more).
      const valid = Array.from({ length: KEYS }, (_, i) => app.daemon.core.verifier.verify({ key: secretOf(i) }, 'svc').valid);
      expect(valid.filter((v) => !v)).toEqual([]);
      const [before] = await storeQuery<{ n: number | string }>(app, 'select count(*) as n from usage_buckets');
      expect(Number(before!.n), 'nothing flushed before the flush measured').toBe(0);

      const started = performance.now();
      const { turns, longestGapMs } = await countTurns(() => app.daemon.core.usage.flush());
      const tookMs = performance.now() - started;

      const [after] = await storeQuery<{ keys: number | string; ok: number | string }>(app, 'select count(distinct key_id) as keys, sum(ok) as ok from usage_buckets');
      expect({ keys: Number(after!.keys), ok: Number(after!.ok) }, 'every count written').toEqual({ keys: KEYS, ok: KEYS });
      const chunks = Math.ceil(KEYS / FLUSH_CHUNK_KEYS);
      const measured = `${turns} turns in a flush of ${chunks} chunks taking ${tookMs.toFixed(0)} ms, longest stall ${longestGapMs.toFixed(1)} ms`;
      // Written on the loop in one go, the flush would be one task: no turn at all, and its
      // stall the whole flush (measured so: 0 turns, 453 of 453 ms). With a turn between chunks
      // the loop turns once a chunk (on SQLite the writes never leave the loop, so these turns
      // are the tracker's own), and a stall is about one chunk's write (~30 of ~300 ms here).
      expect(turns, measured).toBeGreaterThanOrEqual(chunks / 2);
      expect(longestGapMs, measured).toBeLessThan(tookMs / 2);
    } finally {
      await app.stop();
    }
  });
});
