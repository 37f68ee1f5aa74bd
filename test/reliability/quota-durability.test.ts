/**
 * Quotas are taken in memory and written with the usage flush (about once a second), in the
 * same transaction as the usage counts. A graceful stop loses nothing. A SIGKILL loses at most
 * the uses taken since the last flush: after the restart the quota has them back (the key may
 * be used that many times more), never fewer than the flushes committed, never more than were
 * taken; and the stored quota always agrees with the stored usage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeywardClient } from '../../src/client/client.js';
import { killLeftoverDaemons, startChildDaemon, type ChildDaemon } from './helpers/child-daemon.js';
import { inParallel } from './helpers/concurrency.js';
import { killMidFlush } from './helpers/kill-mid-flush.js';

const QUOTA = 1_000_000;
/** The daemons here flush this often instead of every second: several flushes, no waiting; the bound is the same. */
const FLUSH_MS = 200;
const home = mkdtempSync(join(tmpdir(), 'keyward-quota-'));
const start = (): Promise<ChildDaemon> => startChildDaemon(home, { args: ['--usage-flush-ms', String(FLUSH_MS)] });
afterAll(() => {
  killLeftoverDaemons();
  rmSync(home, { recursive: true, force: true });
});

/** Uses taken from the quota, as the store has them; and the successful uses it counted. */
async function stored(client: KeywardClient, keyId: string): Promise<{ taken: number; ok: number }> {
  const [{ key }, usage] = await Promise.all([client.getKey(keyId), client.usage(keyId, 60)]);
  return { taken: QUOTA - key.quota!.remaining, ok: usage.buckets.reduce((sum, b) => sum + b.ok, 0) };
}

describe('quota durability', () => {
  let keyId = '';
  let secret = '';
  let before = 0;

  it('loses nothing on a graceful stop', async () => {
    const daemon = await start();
    ({ key: { id: keyId }, secret } = await daemon.client.createKey('quota-durability', { quota: { remaining: QUOTA } }));
    const results = await inParallel(200, 8, () => daemon.client.verify(secret, 'graceful'));
    expect(results.every((r) => r.valid)).toBe(true);
    expect(await daemon.stop('SIGTERM'), daemon.stderr()).toEqual({ code: 0, signal: null });
    const again = await start();
    expect(await stored(again.client, keyId)).toEqual({ taken: 200, ok: 200 });
    before = 200;
    expect(await again.client.verify(secret)).toMatchObject({ valid: true, quota: { remaining: QUOTA - 201 } });
    before++;
    await again.stop('SIGTERM');
  });

  it('loses at most the last flush interval on a kill, and agrees with usage', async () => {
    const daemon = await start();
    const { ticks, sent, countedAt: acceptedAt } = await killMidFlush(daemon, FLUSH_MS, async () => (await daemon.client.verify(secret, 'killed')).valid);

    const flushed = ticks.flatMap((t) => t.keys.filter((k) => k.id === keyId)).reduce((sum, k) => sum + k.ok, 0);
    const lastFlushAt = Math.max(...ticks.map((t) => t.at));
    const again = await start();
    const after = await stored(again.client, keyId);
    await again.stop('SIGTERM');

    const taken = after.taken - before;
    const unanswered = sent - acceptedAt.length;
    const lost = sent - taken;
    const lastInterval = acceptedAt.filter((t) => t >= lastFlushAt - FLUSH_MS).length + unanswered;
    console.log(`quota: ${acceptedAt.length} uses accepted, ${flushed} flushed before the kill, ${taken} taken after the restart, ${lost} given back by the kill`);
    expect(after.taken, 'the stored quota agrees with the stored usage').toBe(after.ok);
    expect(taken, 'every flushed use stays taken').toBeGreaterThanOrEqual(flushed);
    expect(taken, 'no use is taken twice').toBeLessThanOrEqual(sent);
    expect(lost, 'a kill gives back at most the last flush interval').toBeLessThanOrEqual(lastInterval);
    expect(flushed, 'the flushes carried traffic').toBeGreaterThan(0);
  });
});
