/**
 * Issue 17: `examples/webhook-receiver.mjs` run as users would run it, receiving a daemon's
 * real deliveries: it prints the events whose signature it checked, and refuses a forged
 * signature, a body changed after signing, and a stale timestamp. Anyone who can reach it can
 * send it anything, so it must also outlive a malformed signature and a request cut off mid-body.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** `parts` written to the receiver's socket a turn of the network apart; the status line it answers, or '' when it closes without one. */
async function raw(parts: Buffer[]): Promise<string> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1').setNoDelay(true);
  let answer = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk));
  socket.on('error', () => {});
  const closed = new Promise((resolve) => socket.on('close', resolve));
  for (const [i, part] of parts.entries()) {
    if (i > 0) await sleep(50);
    socket.write(part);
  }
  const answered = vi.waitFor(() => expect(answer).toContain('\r\n'), { timeout: 3000 }).catch(() => {});
  await Promise.race([closed, answered]);
  socket.destroy();
  return answer.split('\r\n')[0]!;
}

/** A POST's head with `signature` as given, byte for byte. */
const head = (length: number, signature: Buffer) =>
  Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nKeyward-Signature: `), signature, Buffer.from('\r\n\r\n')]);

it('checks the signature over the bytes as sent, even when a chunk ends inside a character', { timeout: 5000 }, async () => {
  const body = Buffer.from(JSON.stringify({ id: 'evt_split', type: 'key.create', at: new Date().toISOString(), data: { target: { name: 'clé' } } }));
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(`t=${now},v1=${createHmac('sha256', secret).update(`${now}.`).update(body).digest('hex')}`);
  const middle = body.indexOf(0xc3) + 1; // between the two bytes of é
  expect(await raw([head(body.length, header), body.subarray(0, middle), body.subarray(middle)])).toBe('HTTP/1.1 204 No Content');
});

it('refuses a signature of another byte length, and outlives a request cut off mid-body', { timeout: 5000 }, async () => {
  const now = Math.floor(Date.now() / 1000);
  // 64 characters, as many as a real v1, in 65 bytes: Node reads the byte 0xe9 as one character.
  const forged = Buffer.concat([Buffer.from(`t=${now},v1=`), Buffer.from([0xe9]), Buffer.from('0'.repeat(63))]);
  expect(await raw([head(2, forged), Buffer.from('{}')])).toBe('HTTP/1.1 400 Bad Request');
  const cut = connect(Number(new URL(url).port), '127.0.0.1');
  cut.on('error', () => {}).resume(); // read what it answers, or the socket never ends
  cut.end(Buffer.concat([head(100, Buffer.from('t=1,v1=0')), Buffer.from('{"id":')]));
  await new Promise((resolve) => cut.on('close', resolve));
  const body = JSON.stringify({ id: 'evt_after', type: 'key.create', at: new Date().toISOString(), data: {} });
  const header = `t=${now},v1=${createHmac('sha256', secret).update(`${now}.${body}`).digest('hex')}`;
  expect(await post(body, header)).toBe(204); // still serving
});
