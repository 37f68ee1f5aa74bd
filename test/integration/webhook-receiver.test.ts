/**
 * Issue 17: `examples/webhook-receiver.mjs` run as users would run it, receiving a daemon's
 * real deliveries: it prints the events whose signature it checked, and refuses a forged
 * signature, a body changed after signing, and a stale timestamp.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { freePort, startTestApp, type TestApp } from '../helpers/daemon.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/webhook-receiver.mjs', import.meta.url));

let t: TestApp;
let receiver: ChildProcess;
let url: string;
let secret: string;
let webhookId: string;
let printed = '';

beforeAll(async () => {
  t = await startTestApp({ webhooks: { pollMs: 20, timeoutMs: 2000, leaseMs: 5000, retry: { baseMs: 50, capMs: 200, windowMs: 60_000 } } });
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  const created = await t.client.createWebhook(url, ['key.*']);
  secret = created.secret;
  webhookId = created.webhook.id;
  receiver = spawn(process.execPath, [EXAMPLE], { env: { ...process.env, KEYWARD_WEBHOOK_SECRET: secret, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  receiver.stdout!.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
  let log = '';
  receiver.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  await vi.waitFor(() => expect(log).toContain('listening'), { timeout: 10_000 });
});

afterAll(async () => {
  receiver.kill();
  await t.stop();
});

async function post(body: string, header: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'keyward-signature': header }, body });
  return res.status;
}

it('prints the signed events a daemon delivers', async () => {
  const { key } = await t.client.createKey('billing');
  await t.client.deactivateKey(key.id, 'leaked: .env:1');
  const lines = await vi.waitFor(() => {
    const events = printed.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; data: { key?: { id: string } } });
    expect(events.length).toBeGreaterThanOrEqual(3);
    return events;
  }, { timeout: 10_000 });
  // Deliveries are attempted several at a time: their order is not promised.
  expect(lines.map((e) => e.type).sort()).toEqual(['key.create', 'key.deactivate', 'key.leaked']);
  expect(lines.find((e) => e.type === 'key.leaked')!.data.key?.id).toBe(key.id);
  // The receiver prints before it answers; the daemon records the answer just after.
  const { deliveries } = await vi.waitFor(async () => {
    const log = await t.client.deliveries(webhookId);
    expect(log.deliveries.map((d) => d.status)).toEqual(log.deliveries.map(() => 'delivered'));
    return log;
  }, { timeout: 5000 });
  expect(deliveries.map((d) => [d.type, d.lastStatus]).sort()).toEqual([
    ['key.create', 204],
    ['key.deactivate', 204],
    ['key.leaked', 204],
  ]);
});

it('refuses a forged signature, a changed body and a stale timestamp', async () => {
  const body = JSON.stringify({ id: 'evt_forged', type: 'key.leaked', at: new Date().toISOString(), data: {} });
  const now = Math.floor(Date.now() / 1000);
  const sign = (t: number, text: string, key = secret) => `t=${t},v1=${createHmac('sha256', key).update(`${t}.${text}`).digest('hex')}`;
  expect(await post(body, sign(now, body, 'whsec_not-the-secret'))).toBe(400);
  expect(await post(body.replace('key.leaked', 'key.create'), sign(now, body))).toBe(400);
  expect(await post(body, sign(now - 3600, body))).toBe(400);
  expect(await post(body, '')).toBe(400);
  expect(await post(body, sign(now, body))).toBe(204);
  expect(printed).toContain('evt_forged'); // the control: the same request, signed, is taken
});
