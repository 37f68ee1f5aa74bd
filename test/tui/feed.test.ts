/**
 * The key feed's reconnect loop against a daemon that goes away: no listener piles up on its
 * abort signal (Node warned after ten reconnects, over the TUI's frame), and the daemon's
 * return is noticed by a cheap health poll long before the backoff's next attempt, and a
 * degraded one (its store down) is not taken for one that is back. A daemon
 * that refuses the operator ends the loop instead: no retry would change its answer.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
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

describe('KeyFeed and a degraded daemon', () => {
  it('waits out its backoff while the daemon answers degraded, and tries at once when it is ok again', async () => {
    let health = 'degraded';
    const asked: string[] = [];
    // A daemon whose store is down: health answers, every read is 503 store_unavailable.
    const daemon = createHttpServer((req, res) => {
      if (req.url === '/v1/health') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: health, version: '0.1.0' }));
      asked.push(req.url ?? '');
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'store_unavailable', message: 'The key store cannot be reached right now' } }));
    });
    await new Promise<void>((resolve) => daemon.listen(0, '127.0.0.1', resolve));
    try {
      const client = new KeywardClient({ url: `http://127.0.0.1:${(daemon.address() as AddressInfo).port}`, token: 'none' });
      const feed = new KeyFeed(client, { backoff: { minMs: 30_000, maxMs: 30_000 }, healthMs: 20 });
      feeds.push(feed);
      feed.start();
      await vi.waitFor(() => expect(feed.getSnapshot().link).toBe('reconnecting'), { timeout: 5000 });
      const attempts = asked.length;
      // Fifteen health polls: each one that ended the wait was another whole attempt.
      await sleep(300);
      expect(asked.length, 'no attempt while the daemon says it is degraded').toBe(attempts);
      health = 'ok';
      await vi.waitFor(() => expect(asked.length, 'tried again as soon as it is ok').toBeGreaterThan(attempts), { timeout: 1000 });
    } finally {
      for (const feed of feeds.splice(0)) feed.stop();
      await new Promise((resolve) => daemon.close(resolve));
    }
  });
});

describe('KeyFeed and a daemon that loses its store while live', () => {
  it('goes degraded with the daemon\'s reason made safe, or a reason of its own, and live again', async () => {
    const t = await startTestDaemon();
    daemons.push(t);
    // The daemon's own answers, but its health as a daemon whose store goes and comes back would give it.
    let health: Record<string, unknown> = { status: 'ok', version: '0.1.0' };
    const healthAnswer = () => Promise.resolve(new Response(JSON.stringify(health), { headers: { 'content-type': 'application/json' } }));
    const client = new KeywardClient({ url: t.url, token: t.adminToken, fetch: (url, init) => (url.endsWith('/v1/health') ? healthAnswer() : t.fetch(url, init)) });
    const feed = new KeyFeed(client, { storeCheckMs: 20 });
    feeds.push(feed);
    feed.start();
    await vi.waitFor(() => expect(feed.getSnapshot().link).toBe('live'), { timeout: 5000 });

    health = { status: 'degraded', version: '0.1.0', reason: 'PostgreSQL \x1b[2J is\nunreachable' };
    await vi.waitFor(() => expect(feed.getSnapshot().link).toBe('degraded'), { timeout: 2000 });
    expect(feed.getSnapshot().problem, 'no control character reaches the header').toBe('PostgreSQL [2J isunreachable');
    health = { status: 'ok', version: '0.1.0' };
    await vi.waitFor(() => expect(feed.getSnapshot()).toMatchObject({ link: 'live', problem: undefined, staleSince: undefined }), { timeout: 2000 });
    health = { status: 'degraded', version: '0.1.0' };
    await vi.waitFor(() => expect(feed.getSnapshot().problem).toBe('the daemon cannot reach its key store'), { timeout: 2000 });
  });
});

describe('KeyFeed refused', () => {
  /** A feed as the TUI's, with retries every millisecond: one that kept retrying would do so hundreds of times. */
  function eagerFeed(client: KeywardClient) {
    const feed = new KeyFeed(client, { backoff: { minMs: 1, maxMs: 1 }, healthMs: 1 });
    feeds.push(feed);
    const opened = vi.spyOn(client, 'events');
    feed.start();
    return { feed, opened };
  }

  /** Absence can only be watched for a while: 200 ms is about a hundred retries at this backoff. */
  async function noMoreAttempts(opened: { mock: { calls: unknown[] } }) {
    const attempts = opened.mock.calls.length;
    await sleep(200);
    expect(opened.mock.calls.length, 'no stream opened again').toBe(attempts);
  }

  it('stops trying once its operator is disabled, keeping the rows as of then', async () => {
    const t = await startTestDaemon();
    daemons.push(t);
    await t.client.createKey('billing');
    const { operator, token } = await t.client.createOperator('alice', 'viewer');
    const { feed, opened } = eagerFeed(new KeywardClient({ url: t.url, token }));
    await vi.waitFor(() => expect(feed.getSnapshot().link).toBe('live'), { timeout: 5000 });
    await t.client.disableOperator(operator.id);
    await vi.waitFor(() => expect(feed.getSnapshot().link).toBe('refused'), { timeout: 5000 });
    const refused = feed.getSnapshot();
    expect(refused.problem).toMatch(/^The daemon refuses this operator's token: the operator was disabled/);
    expect(refused.problem, 'no token in what is shown').not.toContain(token);
    expect(refused.staleSince, 'the rows are as of the moment the stream ended').toBeTypeOf('number');
    expect([...refused.collection.keys.values()].map((k) => k.name)).toEqual(['billing']);
    await noMoreAttempts(opened);
    expect(feed.getSnapshot().link).toBe('refused');
  });

  it('stops trying when the daemon answers 403 forbidden, quoting its reason', async () => {
    const t = await startTestDaemon();
    daemons.push(t);
    const { token } = await t.client.createOperator('verifier', 'service');
    const { feed, opened } = eagerFeed(new KeywardClient({ url: t.url, token }));
    await vi.waitFor(() => expect(feed.getSnapshot().link).toBe('refused'), { timeout: 5000 });
    expect(feed.getSnapshot()).toMatchObject({ loaded: false, staleSince: undefined });
    expect(feed.getSnapshot().problem).toBe('The daemon refuses this operator\'s requests: Operator "verifier" (role service) lacks the permission keys:read.');
    await noMoreAttempts(opened);
  });

  it('keeps trying a 401 that is not the daemon\'s (no error code of its own)', async () => {
    const proxy = createHttpServer((_req, res) => res.writeHead(401, { 'content-type': 'text/html' }).end('<h1>Sign in</h1>'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const client = new KeywardClient({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token: 'none' });
      const { feed, opened } = eagerFeed(client);
      await vi.waitFor(() => expect(opened.mock.calls.length, 'retried').toBeGreaterThanOrEqual(5), { timeout: 5000 });
      expect(feed.getSnapshot().link).toBe('reconnecting');
    } finally {
      for (const feed of feeds.splice(0)) feed.stop();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
