/**
 * The usage flush in chunks (src/daemon/usage/tracker.ts): each chunk is one store write of a
 * bounded number of keys, a failed chunk keeps its counts and those after it, and a flush asked
 * for while one runs also writes what was counted meanwhile. Against the daemon's real store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/daemon/clock.js';
import type { Store, UsageDelta } from '../../src/daemon/store.js';
import { splitByKey } from '../../src/daemon/usage/chunks.js';
import { UsageTracker, type UsageTick } from '../../src/daemon/usage/tracker.js';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

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
