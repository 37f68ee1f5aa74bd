/**
 * Usage counts live in memory and are flushed about once a second (FLUSH_INTERVAL_MS) and at
 * shutdown. A graceful stop loses nothing; a kill loses at most what was counted since the
 * last flush. Each flush announces itself with a `usage` event, which is how this test knows
 * what the store had when the daemon died. The daemons here flush every FLUSH_MS instead, so
 * the test sees several flushes without waiting seconds for them; the bound is the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeywardClient } from '../../src/client/client.js';
import { killLeftoverDaemons, startChildDaemon, type ChildDaemon } from './helpers/child-daemon.js';
import { inParallel } from './helpers/concurrency.js';
import { killMidFlush } from './helpers/kill-mid-flush.js';

const FLUSH_MS = 200;
const home = mkdtempSync(join(tmpdir(), 'keyward-usage-'));
const start = (): Promise<ChildDaemon> => startChildDaemon(home, { args: ['--usage-flush-ms', String(FLUSH_MS)] });
afterAll(() => {
  killLeftoverDaemons();
  rmSync(home, { recursive: true, force: true });
});

async function storedOk(client: KeywardClient, keyId: string): Promise<number> {
  const usage = await client.usage(keyId, 60);
  return usage.buckets.reduce((sum, b) => sum + b.ok, 0);
}

describe('usage durability', () => {
  let keyId = '';
  let secret = '';
  let before = 0;

  it('loses no usage on a graceful stop', async () => {
    const daemon = await start();
    ({ key: { id: keyId }, secret } = await daemon.client.createKey('usage-durability'));
    const results = await inParallel(300, 8, () => daemon.client.verify(secret, 'graceful'));
    expect(results.every((r) => r.valid)).toBe(true);
    expect(await daemon.stop('SIGTERM'), daemon.stderr()).toEqual({ code: 0, signal: null });
    const again = await start();
    before = await storedOk(again.client, keyId);
    expect(before, 'verifications stored after SIGTERM').toBe(300);
    expect((await again.client.getKey(keyId)).key.lastUsedAt).not.toBeNull();
    await again.stop('SIGTERM');
  });

  it('loses at most the last flush interval on a kill', async () => {
    const daemon = await start();
    const { ticks, sent, countedAt: answeredAt, killAt } = await killMidFlush(daemon, FLUSH_MS, async () => {
      await daemon.client.verify(secret, 'killed');
      return true;
    });

    const flushed = ticks.flatMap((t) => t.keys.filter((k) => k.id === keyId)).reduce((sum, k) => sum + k.ok, 0);
    const lastFlushAt = Math.max(...ticks.map((t) => t.at));
    const again = await start();
    const stored = (await storedOk(again.client, keyId)) - before;
    await again.stop('SIGTERM');

    const unanswered = sent - answeredAt.length;
    const lost = sent - stored;
    // Lost counts were made after the last flush: answered after it began, or never answered.
    const lastInterval = answeredAt.filter((t) => t >= lastFlushAt - FLUSH_MS).length + unanswered;
    console.log(
      `usage: ${sent} verifications sent, ${flushed} flushed before the kill, ${stored} stored after restart, ` +
        `${lost} lost (${unanswered} unanswered), kill ${killAt - lastFlushAt} ms after the last flush`,
    );
    expect(stored, 'everything a flush committed survives the kill').toBeGreaterThanOrEqual(flushed);
    expect(stored, 'nothing is counted twice').toBeLessThanOrEqual(sent);
    expect(lost, 'what a kill loses fits in the last flush interval').toBeLessThanOrEqual(lastInterval);
    expect(flushed, 'the flushes carried traffic').toBeGreaterThan(0);
  });
});
