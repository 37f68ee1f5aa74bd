/**
 * Issue 13.4's attack: a thousand `/v1/events` streams whose clients never read, while the
 * daemon has events to send. Before the caps every stream was accepted and queued without end
 * (RSS 234 → 381 MB, health 1–2 s). Now the caps refuse the excess, each stalled client is
 * dropped once its queue is full, and health keeps answering. The memory and latency numbers
 * are `npm run bench -- streams`'s; this test checks the mechanism, never the clock. Its
 * daemon accepts a quarter of the default 256 streams: each stalled one takes the kernel's
 * socket buffers (megabytes on loopback) before its queue fills, and filling 256 of them was
 * half the suite's busiest file; test/daemon/events.test.ts holds the defaults to the design.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

vi.setConfig({ testTimeout: 120_000 });

const STREAMS = 1_000;
const OPERATORS = 40;
const LIMITS = { perOperator: 16, total: 64 };

let t: TestDaemon | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await t?.stop();
});

/** Sends the request, reads the status line, then stops reading. */
function stalledStream(url: URL, token: string): Promise<number> {
  const socket = connect(Number(url.port), url.hostname);
  sockets.push(socket);
  socket.write(`GET /v1/events HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  return new Promise((resolve) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 0));
    });
    socket.once('close', () => resolve(0));
  });
}

it('refuses streams past the caps, drops every stalled one it accepted, and keeps answering health', async () => {
  t = await startTestDaemon({ streamLimits: LIMITS });
  const daemon = t;
  const viewers: string[] = [];
  for (let i = 0; i < OPERATORS; i++) viewers.push((await daemon.api('POST', '/v1/operators', { name: `viewer-${i}`, role: 'viewer' })).body.token);
  const url = new URL(daemon.url);
  const statuses = await Promise.all(Array.from({ length: STREAMS }, (_, i) => stalledStream(url, viewers[i % OPERATORS]!)));
  const accepted = statuses.filter((s) => s === 200).length;
  expect(accepted, 'the overall cap binds: 40 operators × 16 is more').toBe(LIMITS.total);
  expect(statuses.filter((s) => s === 429).length).toBe(STREAMS - accepted);
  expect(daemon.daemon.core.streams.size).toBe(accepted);

  // Usage ticks of about 100 kB each: what a busy daemon sends every second.
  const tick = { at: Date.now(), keys: Array.from({ length: 2000 }, (_, i) => ({ id: `key_${String(i).padStart(22, '0')}`, ok: i, rejected: 0 })) };
  let published = 0;
  while (daemon.daemon.core.streams.size > 0 && published < 200) {
    daemon.daemon.core.events.publish({ type: 'usage', tick });
    published++;
    await new Promise((resolve) => setImmediate(resolve));
    if (published % 10 === 0) expect((await daemon.api('GET', '/v1/health', undefined, null)).status, `health after ${published} ticks`).toBe(200);
  }
  expect(daemon.daemon.core.streams.size, `open after ${published} ticks of 100 kB`).toBe(0);
  expect(daemon.logs.filter((l) => l.startsWith('dropped an event stream of operator "viewer-'))).toHaveLength(accepted);
  // The places are free again for clients that read.
  expect((await daemon.fetch(`${daemon.url}/v1/health`)).status).toBe(200);
  const fresh = await daemon.fetch(`${daemon.url}/v1/events`, { headers: { authorization: `Bearer ${viewers[0]}` } });
  expect(fresh.status).toBe(200);
  await fresh.body!.cancel();
});
