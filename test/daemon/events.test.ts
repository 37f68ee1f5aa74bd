/**
 * Issue 13.4: `/v1/events` streams tell each operator only what its role may read, end when the
 * operator is disabled, are capped per operator and in all, and drop a client that falls behind
 * instead of queueing for it without end. In-process where the app alone decides; over a real
 * socket where the stall is the network's.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeywardClient, type StreamEvent } from '../../src/client/client.js';
import type { Role } from '../../src/daemon/auth/permissions.js';
import { startTestApp, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import type { OpenDaemon } from '../../src/daemon/main.js';

let t: TestDaemon<OpenDaemon>;
const stops: AbortController[] = [];
afterEach(async () => {
  for (const ctl of stops.splice(0)) ctl.abort();
  await t?.stop();
});

async function operator(role: Role, name = `${role}-${Math.random().toString(36).slice(2, 8)}`): Promise<{ id: string; token: string }> {
  const { body } = await t.api('POST', '/v1/operators', { name, role });
  return { id: body.operator.id, token: body.token };
}

/** Follows the stream as `token`; `done` settles when it ends. */
function follow(token: string): { events: StreamEvent[]; done: Promise<unknown> } {
  const ctl = new AbortController();
  stops.push(ctl);
  const events: StreamEvent[] = [];
  const client = new KeywardClient({ url: t.url, token, fetch: t.fetch });
  const done = client.events((e) => events.push(e), ctl.signal).then(
    () => 'ended',
    (err: unknown) => err,
  );
  return { events, done };
}

const names = (events: StreamEvent[]) => events.map((e) => e.event);

describe('what a stream carries', () => {
  it('sends operator events only to operators who may list operators', async () => {
    t = await startTestApp();
    const viewer = await operator('viewer');
    const manager = await operator('manager');
    const streams = { admin: follow(t.adminToken), viewer: follow(viewer.token), manager: follow(manager.token) };
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(3));
    await t.api('POST', '/v1/keys', { name: 'before' });
    await operator('service', 'new-service');
    // Events arrive in order: once "after" is in, an operator event would have been too.
    await t.api('POST', '/v1/keys', { name: 'after' });
    for (const s of Object.values(streams)) await vi.waitFor(() => expect(names(s.events).filter((n) => n === 'key.created')).toHaveLength(2));
    expect(names(streams.admin.events)).toEqual(['key.created', 'operator.created', 'key.created']);
    expect(names(streams.viewer.events)).toEqual(['key.created', 'key.created']);
    expect(names(streams.manager.events)).toEqual(['key.created', 'key.created']);
  });
});

describe('a disabled operator', () => {
  it('has its streams closed at once, not at the next heartbeat', async () => {
    t = await startTestApp({ heartbeatMs: 60_000 });
    const viewer = await operator('viewer', 'leaving');
    const gone = [follow(viewer.token), follow(viewer.token)];
    const staying = follow(t.adminToken);
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(3));
    expect((await t.api('POST', `/v1/operators/${viewer.id}/disable`)).status).toBe(200);
    await Promise.all(gone.map((s) => s.done));
    expect(t.daemon.core.streams.size).toBe(1);
    expect(t.logs).toContain('closed 2 event streams of operator "leaving": the operator was disabled');
    // Nothing reaches it afterwards; the admin's stream goes on.
    await t.api('POST', '/v1/keys', { name: 'after-disable' });
    await vi.waitFor(() => expect(names(staying.events)).toContain('key.created'));
    expect(gone.flatMap((s) => names(s.events))).not.toContain('key.created');
    expect((await t.fetch(`${t.url}/v1/events`, { headers: { authorization: `Bearer ${viewer.token}` } })).status).toBe(401);
  });
});

describe('caps', () => {
  async function open(token: string): Promise<Response> {
    return t.fetch(`${t.url}/v1/events`, { headers: { authorization: `Bearer ${token}` } });
  }

  it('refuses streams past the per-operator and the overall cap with 429 too_many_streams', async () => {
    t = await startTestApp({ streamLimits: { perOperator: 2, total: 3 } });
    const viewer = await operator('viewer', 'watcher');
    const first = await open(t.adminToken);
    expect((await open(t.adminToken)).status).toBe(200);
    const third = await open(t.adminToken);
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ error: { code: 'too_many_streams', message: 'Operator "admin" already has 2 event streams open, the limit per operator; close one first' } });
    expect((await open(viewer.token)).status).toBe(200);
    const full = await open(viewer.token);
    expect(full.status).toBe(429);
    expect(await full.json()).toMatchObject({ error: { code: 'too_many_streams', message: 'The daemon already has 3 event streams open, its limit; try again later' } });
    // A stream that ends frees its place.
    await first.body!.cancel();
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(2));
    expect((await open(viewer.token)).status).toBe(200);
  });

  it('by default allows 16 streams an operator and 256 in all, as docs/security.md says', async () => {
    t = await startTestApp();
    const opened: Response[] = [];
    const tokens = [t.adminToken];
    for (let i = 1; i < 17; i++) tokens.push((await operator('viewer', `viewer-${i}`)).token);
    for (let i = 0; i < 16; i++) opened.push(await open(t.adminToken));
    const seventeenth = await open(t.adminToken);
    expect(await seventeenth.json()).toMatchObject({ error: { code: 'too_many_streams', message: expect.stringContaining('already has 16 event streams open') } });
    for (const token of tokens.slice(1, 16)) for (let i = 0; i < 16; i++) opened.push(await open(token));
    expect(opened.map((r) => r.status)).toEqual(opened.map(() => 200));
    const past = await open(tokens[16]!);
    expect(await past.json()).toMatchObject({ error: { code: 'too_many_streams', message: expect.stringContaining('already has 256 event streams open') } });
    await Promise.all(opened.map((r) => r.body!.cancel()));
  });
});

describe('a client that falls behind', () => {
  it('is dropped with a log line once its queue is full; a client that reads gets everything', async () => {
    t = await startTestApp({ streamLimits: { queueBytes: 4096 } });
    const stalled = await t.fetch(`${t.url}/v1/events`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(stalled.status).toBe(200);
    const reading = follow(t.adminToken);
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(2));
    for (let i = 0; i < 40; i++) await t.api('POST', '/v1/keys', { name: `burst-${i}` });
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(1));
    expect(t.logs).toContain('dropped an event stream of operator "admin" (admin): its client fell more than 4 KiB behind');
    await vi.waitFor(() => expect(names(reading.events).filter((n) => n === 'key.created')).toHaveLength(40));
    // The dropped stream ends after what it was given.
    const text = await stalled.text();
    expect(text.startsWith(': connected')).toBe(true);
    expect(text.split('event: key.created').length - 1).toBeLessThan(40);
  });

  it('over a socket that stopped reading: the daemon closes the socket', async () => {
    const daemon = await startTestDaemon({ streamLimits: { queueBytes: 64 * 1024 } });
    t = daemon;
    const url = new URL(daemon.url);
    const socket: Socket = connect(Number(url.port), url.hostname);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(`GET /v1/events HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${daemon.adminToken}\r\n\r\n`);
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.pause();
    // Usage ticks of 100 kB, until the kernel's buffers and the queue are full.
    const tick = { at: Date.now(), keys: Array.from({ length: 2000 }, (_, i) => ({ id: `key_${String(i).padStart(22, '0')}`, ok: i, rejected: 0 })) };
    for (let i = 0; i < 400 && daemon.daemon.core.streams.size > 0; i++) {
      daemon.daemon.core.events.publish({ type: 'usage', tick });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(daemon.daemon.core.streams.size, 'the stream was dropped').toBe(0);
    expect(daemon.logs.some((l) => l.startsWith('dropped an event stream of operator "admin"'))).toBe(true);
    // Reading again drains what the kernel held, then the end the daemon sent.
    socket.on('data', () => {});
    socket.resume();
    await closed;
    expect((await daemon.api('GET', '/v1/health', undefined, null)).status).toBe(200);
  });
});
