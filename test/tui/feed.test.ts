/**
 * The key feed's reconnect loop against a daemon that goes away: no listener piles up on its
 * abort signal (Node warned after ten reconnects, over the TUI's frame), and the daemon's
 * return is noticed by a cheap health poll long before the backoff's next attempt.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeywardClient } from '../../src/client/client.js';
import { KeyFeed } from '../../src/tui/feed.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const feeds: KeyFeed[] = [];
const daemons: TestDaemon[] = [];
afterEach(async () => {
  for (const feed of feeds.splice(0)) feed.stop();
  for (const d of daemons.splice(0)) await d.stop();
});

describe('KeyFeed reconnecting', () => {
  it('adds no lasting abort listener per reconnect (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const client = new KeywardClient({ url: `http://127.0.0.1:${await freePort()}`, token: 'none' });
      const feed = new KeyFeed(client, { backoff: { minMs: 1, maxMs: 1 }, healthMs: 1 });
      feeds.push(feed);
      let failures = 0;
      feed.subscribe(() => {
        if (feed.getSnapshot().link === 'reconnecting') failures++;
      });
      feed.start();
      await vi.waitFor(() => expect(failures, 'reconnect attempts').toBeGreaterThanOrEqual(30), { timeout: 10_000 });
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes('MaxListenersExceeded'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('notices the daemon is back within a second while the backoff waits much longer', async () => {
    // A fixed port, so the restarted daemon answers where the feed looks.
    const t = await startTestDaemon({ port: await freePort() });
    daemons.push(t);
    const feed = new KeyFeed(t.client, { backoff: { minMs: 30_000, maxMs: 30_000 } });
    feeds.push(feed);
    feed.start();
    await vi.waitFor(() => expect(feed.getSnapshot().link).toBe('live'), { timeout: 5000 });
    await t.daemon.close();
    await vi.waitFor(() => expect(feed.getSnapshot().link).toBe('reconnecting'), { timeout: 5000 });
    const lost = feed.getSnapshot();
    expect(lost.staleSince, 'the data is marked as of the moment the stream dropped').toBeTypeOf('number');
    expect(lost.loaded, 'the old data stays on screen').toBe(true);
    await t.restart();
    const back = Date.now();
    await vi.waitFor(() => expect(feed.getSnapshot().link).toBe('live'), { timeout: 5000 });
    expect(Date.now() - back, 'noticed by the health poll, not the 30 s backoff').toBeLessThan(1500);
    expect(feed.getSnapshot().staleSince).toBeUndefined();
  });
});
