/**
 * SIGKILL in the middle of traffic, somewhere inside a usage flush interval: what is counted
 * in memory but not flushed is what a kill may lose. Each flush announces itself with a
 * `usage` event, which is how a test knows what the store had when the daemon died.
 */
import { expect, vi } from 'vitest';
import type { StreamEvent } from '../../../src/client/client.js';
import type { UsageTick } from '../../../src/daemon/usage/tracker.js';
import type { ChildDaemon } from './child-daemon.js';
import { sleep } from './concurrency.js';

export type KilledRun = {
  /** The flushes the daemon announced before it died. */
  ticks: UsageTick[];
  /** Requests sent, answered or not. */
  sent: number;
  /** When each request `counted` accepted was answered. */
  countedAt: number[];
  killAt: number;
};

/**
 * Sends `send()` from 4 callers until two flushes have happened, then SIGKILLs the daemon at a
 * random moment of the next flush interval (`flushMs`, as the daemon was started with).
 * `send` resolves true for an answer to count.
 */
export async function killMidFlush(daemon: ChildDaemon, flushMs: number, send: () => Promise<boolean>): Promise<KilledRun> {
  const ticks: UsageTick[] = [];
  const stream = new AbortController();
  const streaming = daemon.client
    .events((e: StreamEvent) => {
      const data = e.data as { type: string; tick?: UsageTick };
      if (data.type === 'usage' && data.tick) ticks.push(data.tick);
    }, stream.signal)
    .catch(() => undefined);
  const countedAt: number[] = [];
  let sent = 0;
  let killed = false;
  const caller = async () => {
    while (!killed) {
      sent++;
      try {
        if (await send()) countedAt.push(Date.now());
      } catch (err) {
        if (!killed) throw err;
      }
    }
  };
  const callers = Promise.all(Array.from({ length: 4 }, caller));
  await vi.waitFor(() => expect(ticks.length, 'usage flushes seen').toBeGreaterThanOrEqual(2), { timeout: 10_000 });
  // Somewhere inside a flush interval, with traffic counted but not yet flushed.
  await sleep(Math.random() * flushMs);
  killed = true;
  const killAt = Date.now();
  await daemon.stop('SIGKILL');
  await callers;
  stream.abort();
  await streaming;
  return { ticks, sent, countedAt, killAt };
}
