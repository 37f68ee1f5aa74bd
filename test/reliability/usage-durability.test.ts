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
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { KeywardClient, StreamEvent } from '../../src/client/client.js';
import type { UsageTick } from '../../src/daemon/usage/tracker.js';
import { killLeftoverDaemons, startChildDaemon, type ChildDaemon } from './helpers/child-daemon.js';
import { inParallel, sleep } from './helpers/concurrency.js';

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
    const ticks: UsageTick[] = [];
    const stream = new AbortController();
    const streaming = daemon.client
      .events((e: StreamEvent) => {
        const data = e.data as { type: string; tick?: UsageTick };
        if (data.type === 'usage' && data.tick) ticks.push(data.tick);
      }, stream.signal)
      .catch(() => undefined);
    const answeredAt: number[] = [];
    let sent = 0;
    let killed = false;
    const caller = async () => {
      while (!killed) {
        sent++;
        try {
          await daemon.client.verify(secret, 'killed');
          answeredAt.push(Date.now());
        } catch (err) {
          if (!killed) throw err;
        }
      }
    };
    const callers = Promise.all(Array.from({ length: 4 }, caller));
    await vi.waitFor(() => expect(ticks.length, 'usage flushes seen').toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    // Somewhere inside a flush interval, with traffic counted but not yet flushed.
    await sleep(Math.random() * FLUSH_MS);
    killed = true;
    const killAt = Date.now();
    await daemon.stop('SIGKILL');
    await callers;
    stream.abort();
    await streaming;

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
