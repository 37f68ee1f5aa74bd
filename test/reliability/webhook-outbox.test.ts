/**
 * Issue 17: the webhook outbox across real processes. A daemon queues events while their
 * receiver is down and is SIGKILLed with deliveries pending (and failing); the receiver comes
 * back while no daemon runs; the restarted daemon delivers every queued event, each signed,
 * none lost. Retries run 100 ms apart here (a hidden daemon flag) instead of seconds.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { freePort } from '../helpers/daemon.js';
import { killLeftoverDaemons, startChildDaemon } from './helpers/child-daemon.js';

const ARGS = ['--webhook-retry-ms', '100'];
const home = mkdtempSync(join(tmpdir(), 'keyward-outbox-'));
let receiver: Server | undefined;

afterAll(async () => {
  killLeftoverDaemons();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  rmSync(home, { recursive: true, force: true });
});

it('delivers every event queued before a SIGKILL and during a receiver outage, signed, once the receiver is back', async () => {
  const port = await freePort();
  let daemon = await startChildDaemon(home, { args: ARGS });
  const { webhook, secret } = await daemon.client.createWebhook(`http://127.0.0.1:${port}/hook`, ['key.*']);

  // Nothing listens on the port: every attempt fails with ECONNREFUSED and is queued again.
  for (let i = 0; i < 12; i++) {
    const { key } = await daemon.client.createKey(`outage-${i}`);
    if (i % 3 === 0) await daemon.client.deactivateKey(key.id, `leaked: notes-${i}.txt:1`);
  }
  const expected = (await daemon.client.audit({ limit: 1000 })).events.filter((e) => e.action.startsWith('key.')).map((e) => e.id);
  expect(expected).toHaveLength(16);
  await vi.waitFor(async () => {
    const ds = (await daemon.client.deliveries(webhook.id, 1000)).deliveries;
    expect(ds).toHaveLength(20);
    expect(ds.filter((d) => d.attempts >= 2 && d.lastError === 'ECONNREFUSED').length).toBeGreaterThanOrEqual(10);
  }, { timeout: 20_000 });
  expect((await daemon.stop('SIGKILL')).signal).toBe('SIGKILL');

  // The receiver comes back while no daemon runs; it checks each signature as a receiver must.
  const got: Array<{ id: string; type: string }> = [];
  const forged: string[] = [];
  receiver = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['keyward-signature'])) ?? [];
    if (v1 !== createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')) forged.push(body);
    else got.push(JSON.parse(body) as { id: string; type: string });
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => receiver!.listen(port, '127.0.0.1', resolve));

  daemon = await startChildDaemon(home, { args: ARGS });
  await expect.poll(() => new Set(got.map((e) => e.id)).size, { timeout: 20_000 }).toBe(20);
  const ids = new Set(got.map((e) => e.id));
  for (const id of expected) expect(ids.has(id), id).toBe(true);
  expect(got.filter((e) => e.type === 'key.leaked')).toHaveLength(4);
  expect(forged).toEqual([]);
  const log = (await daemon.client.deliveries(webhook.id, 1000)).deliveries;
  expect(log.map((d) => d.status)).toEqual(log.map(() => 'delivered'));
  await daemon.stop('SIGTERM');
});
