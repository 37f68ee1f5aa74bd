/**
 * Issue 13.10, PostgreSQL unreachable mid-transaction: the server stops answering without
 * closing anything (a partition that drops packets). Before, a write waited forever on a
 * pooled connection, or answered 500 when a new connection timed out while the transaction
 * opened. Every request must answer `503 store_unavailable` within the store's timeouts, say
 * nothing about the connection, and change nothing. The blackhole is a TCP proxy of this
 * test's own between the daemon and the test server: it forwards, then accepts and swallows.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_MS } from '../../src/daemon/db/pg/change-feed.js';
import { startTestApp, type TestApp } from '../helpers/daemon.js';
import { createTestDatabase, pgTitle, TEST_DATABASE_URL, type TestDatabase } from './database.js';

/** Forwards to `target` until `blackhole()`, then answers nothing, to old connections or new. */
class Blackhole {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private swallowing = false;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.swallowing) {
      client.on('data', () => {});
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** From now on nothing gets an answer; established connections stay open, silent. */
  swallow(): void {
    this.swallowing = true;
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.on('data', () => {});
    }
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const TIMEOUT_MS = 1000;

type BehindBlackhole = { database: TestDatabase; hole: Blackhole; t: TestApp };

/** A daemon on a fresh database that it reaches through a blackhole of the test's, with short store timeouts. */
function behindBlackhole(): BehindBlackhole {
  const setup = {} as BehindBlackhole;
  beforeAll(async () => {
    setup.database = await createTestDatabase();
    const url = new URL(setup.database.url);
    setup.hole = new Blackhole({ host: url.hostname, port: Number(url.port) });
    url.port = String(await setup.hole.listen());
    setup.t = await startTestApp({ database: url.toString(), pgTimeouts: { connectMs: TIMEOUT_MS, queryMs: TIMEOUT_MS } });
  });
  afterAll(async () => {
    // Dropping the silent connections lets the daemon's pool close at once. Each step only if
    // the setup got that far; stop(), not a close, so that the daemon's home goes too.
    await setup.hole?.close();
    await setup.t?.stop();
    await setup.database?.drop();
  });
  return setup;
}

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('PostgreSQL that stops answering mid-transaction'), () => {
  const setup = behindBlackhole();

  it('answers 503 store_unavailable, within its timeouts, to writes and reads alike', async () => {
    const { database, hole, t } = setup;
    const kept = await t.client.createKey('kept');
    hole.swallow();
    const requests = [
      () => t.api('POST', '/v1/keys', { name: 'during-the-partition' }),
      () => t.api('POST', `/v1/keys/${kept.key.id}/deactivate`),
      () => t.api('POST', '/v1/operators', { name: 'during-the-partition', role: 'viewer' }),
      () => t.api('GET', '/v1/keys'),
    ];
    // Pooled connections fail first (their queries time out), then opening new ones does.
    for (let round = 0; round < 3; round++) {
      for (const request of requests) {
        const started = Date.now();
        const res = await request();
        const took = Date.now() - started;
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expect(res.body.error.code).toBe('store_unavailable');
        expect(JSON.stringify(res.body), 'nothing about the connection').not.toMatch(/postgres:|127\.0\.0\.1|timeout|ECONN/i);
        expect(took, 'bounded by the timeouts (a failed query waits once more for its rollback)').toBeLessThan(4 * TIMEOUT_MS + 1000);
      }
    }
    expect(t.logs.filter((l) => /internal error/.test(l)), 'no 500').toEqual([]);
    expect(t.logs.some((l) => /store error on .*cannot get a PostgreSQL connection/.test(l)), 'a transaction could not even open').toBe(true);
    expect((await t.client.verify(kept.secret)).valid, 'verify answers from memory, the refused deactivation changed nothing').toBe(true);
    const [row] = await database.query<{ status: string }>('select status from keys where id = $1', [kept.key.id]);
    expect(row?.status).toBe('active');
  }, 60_000);
});

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('a change feed that goes silent without closing'), () => {
  const setup = behindBlackhole();

  // Another daemon's deactivation travels as a notice on this connection; silent, it would never
  // arrive while this daemon went on renewing its replicas' leases (docs/replicas.md).
  it('is no longer counted live within seconds, with no write to notice it', async () => {
    const { hole, t } = setup;
    const feed = t.daemon.core.store.shared!;
    await expect.poll(() => feed.live).toBe(true);
    hole.swallow();
    const started = Date.now();
    // The probe's period, its 3 s wait for its own notice, and slack; the periodic snapshot alone took 30 s and more.
    await expect.poll(() => feed.live, { timeout: PROBE_MS + 3000 + 4000, interval: 50 }).toBe(false);
    expect(Date.now() - started).toBeLessThan(PROBE_MS + 3000 + 4000);
    await expect.poll(() => t.logs.join('\n')).toMatch(/lost the change feed from PostgreSQL \(no notice back within 3000 ms\)/);
  }, 30_000);
});
