/**
 * Quotas with several verifying processes (two daemons on one PostgreSQL database): each
 * takes from its own count and reads the stored quota back at each usage flush, so they
 * overshoot a quota only by uses the other accepted that it could not see yet — those since
 * the other's last flush, up to its own next read: one flush interval of traffic, two when
 * the two flush timers are out of phase. Measured here: the overshoot is printed and checked
 * against the busiest two flush intervals of traffic; the stored quota ends at zero, never
 * below, and agrees with the stored usage.
 */
import { describe, expect, it, vi } from 'vitest';
import { FLUSH_INTERVAL_MS } from '../../src/daemon/usage/tracker.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { pgTitle, TEST_DATABASE_URL } from './database.js';
import { useDaemonPair } from './shared-daemons.js';

const QUOTA = 600;
const WORKERS_PER_DAEMON = 3;
/** Both daemons must refuse this long before the load stops: every flush and read-back is done. */
const SETTLED_MS = 3 * FLUSH_INTERVAL_MS;

/** The most of `times` (sorted) inside any window of `span` ms. */
function busiest(times: number[], span: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= span) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('a quota shared by two daemons'), () => {
  const pair = useDaemonPair();

  it('is overshot by at most what the daemons accept between flush and read-back', async () => {
    const { a, b } = pair;
    const { key, secret } = await a.client.createKey('shared-quota', { quota: { remaining: QUOTA } });
    // B learns of the key through its change feed; the first valid answer is the warm-up use.
    await vi.waitFor(async () => expect((await b.client.verify(secret, 'warm-up')).valid).toBe(true), { timeout: 2000 });
    const acceptedAt: number[] = [];
    const lastRefusal = new Map<TestDaemon, number>();
    let stop = false;
    const worker = async (d: TestDaemon) => {
      while (!stop) {
        const result = await d.client.verify(secret, d === a ? 'a' : 'b');
        const now = Date.now();
        if (result.valid) {
          acceptedAt.push(now);
          lastRefusal.delete(d);
        } else {
          expect(result).toMatchObject({ code: 'quota_exhausted' });
          if (!lastRefusal.has(d)) lastRefusal.set(d, now);
          const since = [a, b].map((x) => lastRefusal.get(x));
          if (since.every((t) => t !== undefined && now - t >= SETTLED_MS)) stop = true;
        }
      }
    };
    await Promise.all([a, b].flatMap((d) => Array.from({ length: WORKERS_PER_DAEMON }, () => worker(d))));
    acceptedAt.sort((x, y) => x - y);

    const accepted = acceptedAt.length + 1; // with the warm-up
    const overshoot = accepted - QUOTA;
    const window = busiest(acceptedAt, 2 * FLUSH_INTERVAL_MS);
    console.log(
      `shared quota ${QUOTA}: ${accepted} uses accepted by two daemons, overshoot ${overshoot} ` +
        `(${busiest(acceptedAt, FLUSH_INTERVAL_MS)} accepted in the busiest flush interval, ${window} in the busiest two)`,
    );
    expect(accepted, 'the quota is never under-served').toBeGreaterThanOrEqual(QUOTA);
    expect(overshoot, 'overshoot within the traffic of two flush intervals').toBeLessThanOrEqual(window);

    await expect.poll(async () => (await a.client.getKey(key.id)).key.uses24h, { timeout: 3000 }).toBeGreaterThanOrEqual(accepted);
    expect((await a.client.getKey(key.id)).key.quota?.remaining, 'never below zero').toBe(0);
    const usage = await a.client.usage(key.id, 5);
    expect(usage.buckets.reduce((n, x) => n + x.ok, 0)).toBe(accepted);
  });

  it('is read back by a daemon that verified nothing since: idle, it refuses once the other used the quota up', async () => {
    const { a, b } = pair;
    const { key, secret } = await a.client.createKey('idle-quota', { quota: { remaining: 10 } });
    // One use through A: A's ledger now holds the key's quota, 9 left.
    expect((await a.client.verify(secret)).valid).toBe(true);
    await a.daemon.core.usage.flush();
    await vi.waitFor(async () => expect((await b.client.verify(secret)).valid).toBe(true), { timeout: 2000 });
    while ((await b.client.verify(secret)).valid);
    await b.daemon.core.usage.flush();
    expect((await b.client.getKey(key.id)).key.quota?.remaining).toBe(0);
    // A's next flush, as its timer runs it once a second, with nothing of its own to write.
    await a.daemon.core.usage.flush();
    expect(await a.client.verify(secret)).toMatchObject({ valid: false, code: 'quota_exhausted' });
  });
});
