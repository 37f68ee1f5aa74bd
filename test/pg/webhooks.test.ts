/**
 * Issue 17: webhook deliveries from several daemons sharing one PostgreSQL outbox. Every
 * daemon polls and claims at once, against a receiver slow enough for their claims to
 * overlap; each delivery must reach the receiver exactly once (never two daemons on one row),
 * and the daemons must share the work. They hold the same `webhook.key`, as docs/webhooks.md
 * says to set them up; a daemon without it leaves the webhook to those that have it.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { homeFiles } from '../../src/home.js';
import { writePrivate } from '../../src/private-files.js';
import { startTestDaemon, tempHome, type TestDaemon } from '../helpers/daemon.js';
import { createTestDatabase, pgTitle, TEST_DATABASE_URL, type TestDatabase } from './database.js';

const DAEMONS = 3;
const KEYS = 40;
const FAST = { pollMs: 10, timeoutMs: 3000, leaseMs: 10_000, concurrency: 4, retry: { baseMs: 50, capMs: 100, windowMs: 60_000 } };

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('webhooks from several daemons on one PostgreSQL outbox'), () => {
  let db: TestDatabase;
  const daemons: TestDaemon[] = [];
  let receiver: Server;
  let url: string;
  const received = new Map<string, number>();
  let overlapping = 0;
  const inFlight = new Set<string>();

  beforeAll(async () => {
    receiver = createServer(async (req, res) => {
      const delivery = String(req.headers['keyward-delivery']);
      if (inFlight.has(delivery)) overlapping++;
      inFlight.add(delivery);
      for await (const chunk of req) void chunk;
      await new Promise((resolve) => setTimeout(resolve, 30));
      received.set(delivery, (received.get(delivery) ?? 0) + 1);
      inFlight.delete(delivery);
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    db = await createTestDatabase();
    const key = randomBytes(32).toString('hex') + '\n';
    for (let i = 0; i < DAEMONS; i++) {
      const home = tempHome();
      try {
        writePrivate(homeFiles(home).webhookKey, key);
        if (i > 0) writePrivate(homeFiles(home).adminToken, daemons[0]!.adminToken + '\n');
        daemons.push(await startTestDaemon({ home, database: db.url, webhooks: FAST }));
      } catch (err) {
        // A start that fails leaves a home it was given where it was: this one is ours to remove.
        rmSync(home, { recursive: true, force: true });
        throw err;
      }
    }
  }, 60_000);

  afterAll(async () => {
    for (const d of daemons) await d.stop();
    await db?.drop();
    await new Promise((resolve) => receiver.close(resolve));
  }, 60_000);

  it('delivers each row exactly once, from whichever daemon claimed it', async () => {
    const [first] = daemons as [TestDaemon];
    const { webhook } = await first.client.createWebhook(url, ['key.create']);
    const signs = await Promise.all(daemons.map(async (d) => (await d.client.webhooks()).webhooks.map((w) => w.canSign)));
    expect(signs).toEqual(daemons.map(() => [true]));
    await Promise.all(Array.from({ length: KEYS }, (_, i) => daemons[i % DAEMONS]!.client.createKey(`k-${i}`)));

    await expect.poll(() => received.size, { timeout: 30_000 }).toBe(KEYS);
    // The receiver counts before it answers; the daemons record the answers just after.
    const { deliveries } = await vi.waitFor(async () => {
      const log = await first.client.deliveries(webhook.id, 1000);
      expect(log.deliveries.map((d) => d.status)).toEqual(log.deliveries.map(() => 'delivered'));
      return log;
    }, { timeout: 10_000 });
    expect(deliveries).toHaveLength(KEYS);
    expect(deliveries.every((d) => d.attempts === 1)).toBe(true);
    expect([...received.values()].every((n) => n === 1), 'no delivery sent twice').toBe(true);
    expect(overlapping).toBe(0);
    const perDaemon = await Promise.all(
      daemons.map(async (d) => (await d.daemon.core.metrics.webhookDeliveries.get()).values.find((v) => v.labels.result === 'delivered')?.value ?? 0),
    );
    expect(perDaemon.reduce((a, b) => a + b, 0)).toBe(KEYS);
    expect(perDaemon.filter((n) => n > 0).length, `deliveries per daemon: ${perDaemon.join(', ')}`).toBeGreaterThan(1);
  });
});
