/** Issue 4: verification, usage tracking and the event stream. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeywardClient, type StreamEvent } from '../../src/client/client.js';
import { FLUSH_INTERVAL_MS } from '../../src/daemon/usage/tracker.js';
import { manualClock } from '../helpers/clock.js';
import { startTestApp, startTestDaemon, storeQuery, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
afterEach(async () => {
  await t?.stop();
});

describe('POST /v1/verify', () => {
  it('answers valid, malformed, not_found, inactive and expired', async () => {
    const clock = manualClock('2026-11-27T10:00:00Z');
    t = await startTestApp({ clock });
    const svc = (await t.api('POST', '/v1/operators', { name: 'svc', role: 'service' })).body.token;
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'good' })).body;
    const expiring = (await t.api('POST', '/v1/keys', { name: 'soon', expiresAt: '2026-11-27T11:00:00Z' })).body;
    const verify = async (k: string) => (await t.api('POST', '/v1/verify', { key: k }, svc)).body;

    expect(await verify(secret)).toEqual({ valid: true, keyId: key.id, name: 'good', owner: null, meta: null, scopes: null });
    expect(await verify('kw_nope')).toEqual({ valid: false, code: 'malformed' });
    const typo = secret.slice(0, 10) + (secret[10] === 'x' ? 'y' : 'x') + secret.slice(11);
    expect(await verify(typo)).toEqual({ valid: false, code: 'malformed' });
    const other = (await t.api('POST', '/v1/keys', { name: 'other' })).body;
    await t.api('POST', `/v1/keys/${other.key.id}/deactivate`);
    await t.api('DELETE', `/v1/keys/${other.key.id}`);
    expect(await verify(other.secret)).toEqual({ valid: false, code: 'not_found' });
    await t.api('POST', `/v1/keys/${key.id}/deactivate`);
    expect(await verify(secret)).toEqual({ valid: false, code: 'inactive' });
    await t.api('POST', `/v1/keys/${key.id}/activate`);
    expect((await verify(secret)).valid).toBe(true);

    expect((await verify(expiring.secret)).valid).toBe(true);
    clock.set(Date.parse('2026-11-27T11:00:00Z'));
    expect(await verify(expiring.secret)).toEqual({ valid: false, code: 'expired' });
  });

  it('treats invalid JSON, a missing key and wrong types as 400, not a decision', async () => {
    t = await startTestApp();
    for (const body of ['{"key":', {}, { key: 5 }, { key: 'kw_x', caller: 7 }, { key: 'kw_x', caller: 'c'.repeat(129) }, { key: 'k'.repeat(513) }]) {
      const res = await t.api('POST', '/v1/verify', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    // A misspelt field is refused, not dropped with the check it asked for.
    for (const [field, value] of [['scopes', 'orders:write'], ['IP', '192.0.2.1'], ['ips', ['192.0.2.1']]] as const) {
      const res = await t.api('POST', '/v1/verify', { key: 'kw_x', [field]: value });
      expect(res.status, field).toBe(400);
      expect(JSON.stringify(res.body.error), field).toContain(field);
    }
  });

  it('does not let a single success through once deactivate has returned', async () => {
    t = await startTestApp();
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'hammered' })).body;
    let deactivatedAt = Infinity;
    let stop = false;
    const late: number[] = [];
    let sent = 0;
    const hammer = async () => {
      while (!stop) {
        const started = performance.now();
        sent++;
        const res = await t.client.verify(secret);
        if (res.valid && started > deactivatedAt) late.push(started - deactivatedAt);
      }
    };
    const workers = Array.from({ length: 8 }, hammer);
    try {
      await vi.waitFor(() => expect(sent).toBeGreaterThan(50), { timeout: 10_000 });
      await t.client.deactivateKey(key.id);
      deactivatedAt = performance.now();
      const after = sent;
      await vi.waitFor(() => expect(sent).toBeGreaterThan(after + 100), { timeout: 10_000 });
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    expect(late, 'successes after the deactivate response').toEqual([]);
  });
});

describe('usage', () => {
  it('writes verifications to the store within a flush interval, with callers sanitized', async () => {
    const clock = manualClock(Date.now());
    t = await startTestApp({ clock });
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'used' })).body;
    await t.client.verify(secret, 'orders-api \u001b[31m10.0.0.7\u202E');
    await t.client.verify(secret, 'orders-api \u001b[31m10.0.0.7\u202E');
    await t.client.verify(secret, 'billing');
    // Read straight from the store, so this sees the background flush, not a read-time flush.
    const stored = async () =>
      Number((await storeQuery<{ ok: number | string | null }>(t, 'SELECT sum(ok) AS ok FROM usage_buckets WHERE key_id = ?', [key.id]))[0]?.ok ?? 0);
    expect(await stored(), 'before the interval has passed').toBe(0);
    clock.add(FLUSH_INTERVAL_MS);
    await clock.runDue();
    expect(await stored()).toBe(3);
    const usage = await t.client.usage(key.id, 5);
    expect(usage.buckets).toHaveLength(5);
    expect(usage.buckets.reduce((n, b) => n + b.ok, 0)).toBe(3);
    expect(usage.callers.map((c) => [c.caller, c.ok]).sort()).toEqual([
      ['billing', 1],
      ['orders-api [31m10.0.0.7', 2],
    ]);
    const shown = (await t.client.getKey(key.id)).key;
    expect(shown.uses24h).toBe(3);
    expect(shown.lastUsedAt).not.toBeNull();
    expect((await t.client.listKeys()).keys[0]!.uses24h).toBe(3);
  });

  it('counts rejections of an inactive key separately', async () => {
    t = await startTestApp();
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'off' })).body;
    await t.client.deactivateKey(key.id);
    await t.client.verify(secret, 'legacy-cron');
    const usage = await t.client.usage(key.id, 1);
    expect(usage.buckets[0]).toMatchObject({ ok: 0, rejected: 1 });
    expect(usage.callers[0]).toMatchObject({ caller: 'legacy-cron', ok: 0, rejected: 1 });
    expect((await t.client.getKey(key.id)).key.lastUsedAt).toBeNull();
  });

  it('puts uses on either side of a minute boundary into their own buckets', async () => {
    const clock = manualClock('2026-11-27T10:00:59.900Z');
    t = await startTestApp({ clock });
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'edge' })).body;
    await t.client.verify(secret);
    await t.client.verify(secret);
    clock.set(Date.parse('2026-11-27T10:01:00.100Z'));
    await t.client.verify(secret);
    const { buckets } = await t.client.usage(key.id, 2);
    expect(buckets).toEqual([
      { start: '2026-11-27T10:00:00.000Z', ok: 2, rejected: 0 },
      { start: '2026-11-27T10:01:00.000Z', ok: 1, rejected: 0 },
    ]);
  });

  it('prunes buckets older than 30 days', async () => {
    const clock = manualClock('2026-10-01T00:00:00Z');
    t = await startTestApp({ clock });
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'old' })).body;
    await t.client.verify(secret);
    await t.daemon.core.usage.flush();
    clock.add(31 * 24 * 60 * 60 * 1000);
    await t.client.verify(secret);
    await t.daemon.core.usage.flush();
    const rows = await t.daemon.core.store.usageBuckets(key.id, 0);
    expect(rows.map((r) => new Date(r.minute * 60_000).toISOString())).toEqual(['2026-11-01T00:00:00.000Z']);
  });

  it('survives a graceful restart', async () => {
    t = await startTestApp();
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'kept' })).body;
    for (let i = 0; i < 4; i++) await t.client.verify(secret, 'svc');
    await t.restart();
    const usage = await t.client.usage(key.id, 5);
    expect(usage.buckets.reduce((n, b) => n + b.ok, 0)).toBe(4);
    expect(usage.callers[0]).toMatchObject({ caller: 'svc', ok: 4 });
  });

  it('answers 404 for the usage of an unknown key and 400 for a bad window', async () => {
    t = await startTestApp();
    expect((await t.api('GET', '/v1/keys/key_nope/usage')).status).toBe(404);
    const { key } = (await t.api('POST', '/v1/keys', { name: 'w' })).body;
    expect((await t.api('GET', `/v1/keys/${key.id}/usage?minutes=0`)).status).toBe(400);
    expect((await t.api('GET', `/v1/keys/${key.id}/usage?minutes=abc`)).status).toBe(400);
  });
});

describe('GET /v1/events', () => {
  it('streams key changes and usage ticks, and cleans up on disconnect', async () => {
    const clock = manualClock(Date.now());
    t = await startTestDaemon({ heartbeatMs: 50, clock });
    const events: StreamEvent[] = [];
    const ctl = new AbortController();
    const reader = new KeywardClient({ url: t.url, token: t.adminToken });
    const done = reader.events((e) => events.push(e), ctl.signal);
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(1));
    const { key, secret } = (await t.api('POST', '/v1/keys', { name: 'streamed' })).body;
    await t.client.verify(secret);
    await t.client.deactivateKey(key.id);
    clock.add(FLUSH_INTERVAL_MS);
    await clock.runDue();
    await vi.waitFor(() => expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['usage', 'key.updated'])));
    const created = events.find((e) => e.event === 'key.created')!.data as { key: { id: string; name: string } };
    expect(created.key).toMatchObject({ id: key.id, name: 'streamed' });
    const tick = events.find((e) => e.event === 'usage')!.data as { tick: { keys: { id: string; ok: number }[] } };
    expect(tick.tick.keys).toContainEqual({ id: key.id, ok: 1, rejected: 0 });
    expect(JSON.stringify(events)).not.toContain(secret);
    ctl.abort();
    await done;
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(0));
  });

  it('sends heartbeats on a quiet stream', async () => {
    t = await startTestDaemon({ heartbeatMs: 30 });
    const ctl = new AbortController();
    const res = await fetch(`${t.url}/v1/events`, { headers: { authorization: `Bearer ${t.adminToken}` }, signal: ctl.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    expect(text).toContain(': heartbeat');
  });

  it('lets the daemon stop while streams are open', async () => {
    t = await startTestDaemon();
    const ctl = new AbortController();
    const reader = new KeywardClient({ url: t.url, token: t.adminToken });
    const done = reader.events(() => {}, ctl.signal).catch((err: unknown) => err);
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(1));
    await t.daemon.close();
    await done;
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(0));
    await t.restart();
  });
});
