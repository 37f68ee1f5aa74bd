/**
 * Issue 17: `GET /metrics` scraped after real traffic and read with a strict text-format
 * parser: verifications by outcome and their latency from both verify paths, keys by status,
 * replicas, webhook deliveries, store write latency, process metrics; who may scrape; and that
 * neither a secret nor a key's name appears in it.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/daemon/secrets/format.js';
import { startTestApp, testBackend, type TestApp } from '../helpers/daemon.js';
import { parsePrometheusText, sampleValue, type Family } from '../helpers/prom-text.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.stop();
});

async function scrape(token: string | null = t.adminToken): Promise<{ status: number; type: string | null; text: string }> {
  const res = await t.fetch(`${t.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

async function metrics(): Promise<Map<string, Family>> {
  const { status, text } = await scrape();
  expect(status).toBe(200);
  return parsePrometheusText(text);
}

describe('GET /metrics', () => {
  it('counts verifications by outcome, from the fast path and the full route, with their latency', async () => {
    const live = (await t.api('POST', '/v1/keys', { name: 'billing-live' })).body;
    const off = (await t.api('POST', '/v1/keys', { name: 'billing-off' })).body;
    await t.api('POST', `/v1/keys/${off.key.id}/deactivate`);
    for (let i = 0; i < 3; i++) await t.api('POST', '/v1/verify', { key: live.secret });
    await t.api('POST', '/v1/verify', { key: off.secret });
    await t.api('POST', '/v1/verify', { key: generateSecret('kw_') });
    await t.api('POST', '/v1/verify', { key: 'kw_typo' });
    // Not the fast path's plain JSON: the full route answers it.
    const full = await t.fetch(`${t.url}/v1/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/vnd.api+json' },
      body: JSON.stringify({ key: live.secret }),
    });
    expect(await full.json()).toMatchObject({ valid: true });

    const m = await metrics();
    const outcome = (o: string) => sampleValue(m, 'keyward_verifications_total', { outcome: o });
    expect([outcome('valid'), outcome('inactive'), outcome('not_found'), outcome('malformed')]).toEqual([4, 1, 1, 1]);
    expect(sampleValue(m, 'keyward_verify_duration_seconds_count')).toBe(7);
    expect(sampleValue(m, 'keyward_verify_duration_seconds_sum')).toBeGreaterThan(0);
    expect(sampleValue(m, 'keyward_verify_duration_seconds_bucket', { le: '1' })).toBe(7);
    expect(m.get('keyward_verify_duration_seconds')?.type).toBe('histogram');
  });

  it('gives keys by status, store write latency by operation, replicas and webhook deliveries', async () => {
    for (const name of ['a', 'b', 'c']) await t.api('POST', '/v1/keys', { name });
    const { key } = (await t.api('POST', '/v1/keys', { name: 'd' })).body;
    await t.api('POST', `/v1/keys/${key.id}/deactivate`);
    t.daemon.core.metrics.replicasConnected.inc(2);

    const m = await metrics();
    expect(sampleValue(m, 'keyward_keys', { status: 'active' })).toBe(3);
    expect(sampleValue(m, 'keyward_keys', { status: 'inactive' })).toBe(1);
    expect(sampleValue(m, 'keyward_store_write_duration_seconds_count', { operation: 'createKey' })).toBe(4);
    expect(sampleValue(m, 'keyward_store_write_duration_seconds_count', { operation: 'setKeyStatus' })).toBe(1);
    expect(sampleValue(m, 'keyward_replicas_connected')).toBe(2);
    expect(sampleValue(m, 'keyward_store_unreachable'), 'the store answers').toBe(0);
    for (const result of ['delivered', 'failed', 'gave_up']) expect(sampleValue(m, 'keyward_webhook_deliveries_total', { result })).toBe(0);
    // Process metrics, under their usual names.
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(m.has(name), name).toBe(true);
    }
  });

  it('gives the open alerts by kind, every kind, 0 once acknowledged', async () => {
    const open = async () => {
      const m = await metrics();
      return Object.fromEntries(['canary.tripped', 'deleted_key.presented', 'old_key.presented_after_cutover', 'key.expiring', 'key.leaked'].map((kind) => [kind, sampleValue(m, 'keyward_alerts_open', { kind })]));
    };
    expect(Object.values(await open())).toEqual([0, 0, 0, 0, 0]);
    const bait = (await t.api('POST', '/v1/keys', { name: 'bait', canary: true })).body;
    for (const caller of ['crawler-1', 'crawler-2']) await t.api('POST', '/v1/verify', { key: bait.secret, caller });
    const leaky = (await t.api('POST', '/v1/keys', { name: 'leaky' })).body;
    await t.api('POST', `/v1/keys/${leaky.key.id}/deactivate`, { reason: 'leaked: deploy/.env:3' });
    await t.daemon.core.alerts.flushForRead();
    expect(await open()).toMatchObject({ 'canary.tripped': 2, 'key.leaked': 1, 'deleted_key.presented': 0 });
    const { alerts } = (await t.api('GET', '/v1/alerts')).body as unknown as { alerts: { id: string }[] };
    for (const alert of alerts) await t.api('POST', `/v1/alerts/${alert.id}/ack`);
    expect(Object.values(await open())).toEqual([0, 0, 0, 0, 0]);
  });

  it.skipIf(testBackend !== 'postgres')('keeps the last key counts while the shared store cannot count them', async () => {
    await t.api('POST', '/v1/keys', { name: 'a' });
    expect(sampleValue(await metrics(), 'keyward_keys', { status: 'active' })).toBe(1);
    const store = t.daemon.core.store;
    const countKeys = store.countKeys;
    store.countKeys = () => Promise.reject(Object.assign(new Error('connection lost (injected)'), { code: '57P01' }));
    try {
      expect(sampleValue(await metrics(), 'keyward_keys', { status: 'active' })).toBe(1);
    } finally {
      store.countKeys = countKeys;
    }
  });

  it.skipIf(testBackend !== 'sqlite')('says when filtered key lists are read on the event loop because their worker stopped', async () => {
    for (const name of ['list-a', 'list-b', 'other']) await t.api('POST', '/v1/keys', { name });
    expect(sampleValue(await metrics(), 'keyward_key_list_reads_on_event_loop')).toBe(0);
    // The read worker opens the file by name at the first filtered list; the daemon's own
    // connection keeps the file it opened. Moved away, the worker cannot start.
    renameSync(join(t.home, 'keyward.db'), join(t.home, 'keyward.db.moved'));
    const listed = await t.api('GET', '/v1/keys?q=list-');
    expect(listed.status).toBe(200);
    expect(listed.body.keys.map((k) => k.name)).toEqual(['list-a', 'list-b']);
    expect(sampleValue(await metrics(), 'keyward_key_list_reads_on_event_loop')).toBe(1);
    expect(t.logs.filter((line) => line.includes('filtered key lists are read on the daemon'))).toHaveLength(1);
  });

  it.skipIf(testBackend !== 'sqlite')('counts keys by status from the index, deleted keys left out, without asking the store', async () => {
    await t.api('POST', '/v1/keys', { name: 'a' });
    const b = await t.api('POST', '/v1/keys', { name: 'b' });
    const c = await t.api('POST', '/v1/keys', { name: 'c' });
    for (const id of [b.body.key.id, c.body.key.id]) expect((await t.api('POST', `/v1/keys/${id}/deactivate`)).status).toBe(200);
    expect((await t.api('DELETE', `/v1/keys/${c.body.key.id}`)).status).toBe(204);
    const store = t.daemon.core.store;
    const countKeys = store.countKeys;
    // A million keys took the store ~120 ms of the event loop to count, at every scrape.
    store.countKeys = () => Promise.reject(new Error('the store was asked to count (injected)'));
    try {
      const m = await metrics();
      expect(sampleValue(m, 'keyward_keys', { status: 'active' })).toBe(1);
      expect(sampleValue(m, 'keyward_keys', { status: 'inactive' }), 'b; c is deleted, its tombstone not a key').toBe(1);
    } finally {
      store.countKeys = countKeys;
    }
  });

  it('is Prometheus text 0.0.4 for a token with keys:read, 403 without it, 401 with none', async () => {
    const viewer = (await t.api('POST', '/v1/operators', { name: 'grafana', role: 'viewer' })).body.token;
    const service = (await t.api('POST', '/v1/operators', { name: 'svc', role: 'service' })).body.token;
    const asViewer = await scrape(viewer);
    expect(asViewer.status).toBe(200);
    expect(asViewer.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await scrape(service)).status).toBe(403);
    const anonymous = await scrape(null);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text)).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('holds no secret and no key name', async () => {
    const created = (await t.api('POST', '/v1/keys', { name: 'payroll-prod' })).body;
    await t.api('POST', '/v1/verify', { key: created.secret, caller: 'caller-label' });
    const { text } = await scrape();
    for (const secret of [created.secret, t.adminToken, created.key.hint, 'payroll-prod', 'caller-label']) expect(text).not.toContain(secret);
  });
});
