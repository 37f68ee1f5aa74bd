/**
 * Issue 17 (first half): canary keys and tombstones answer verify exactly as an unknown key,
 * and every alert kind is raised from real verify traffic (or the write that reports it),
 * deduplicated per kind, key and caller, counted in memory and written with the flush, listed,
 * acknowledged, streamed, and forgotten with the tombstones a year on. In-process daemons on a
 * real store; time is the test's own clock where hours and days pass.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeywardClient, type StreamEvent } from '../../src/client/client.js';
import type { AlertJson, TombstoneJson } from '../../src/daemon/alerts/schemas.js';
import type { OpenDaemon } from '../../src/daemon/main.js';
import { generateSecret, hashSecret, KEY_PREFIX } from '../../src/daemon/secrets/format.js';
import { startTestApp, storeQuery, type TestDaemon } from '../helpers/daemon.js';
import { manualClock, type ManualClock } from '../helpers/clock.js';

const T0 = Date.parse('2030-05-01T08:00:00Z');
const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

let t: TestDaemon<OpenDaemon>;
let clock: ManualClock;
const stops: AbortController[] = [];

afterEach(async () => {
  for (const ctl of stops.splice(0)) ctl.abort();
  await t?.stop();
});

async function start(): Promise<void> {
  clock = manualClock(T0);
  t = await startTestApp({ clock });
}

async function create(name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string; canary: boolean }> {
  const { status, body } = await t.api('POST', '/v1/keys', { name, ...extra });
  expect(status, JSON.stringify(body)).toBe(201);
  return { id: body.key.id, secret: body.secret, canary: body.key.canary };
}

async function verify(key: string, caller?: string, ip?: string) {
  const { status, body } = await t.api('POST', '/v1/verify', { key, ...(caller && { caller }), ...(ip && { ip }) });
  expect(status).toBe(200);
  return body as unknown as Record<string, unknown>;
}

async function alerts(state: 'open' | 'all' = 'open'): Promise<AlertJson[]> {
  const { status, body } = await t.api('GET', `/v1/alerts?state=${state}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return (body as unknown as { alerts: AlertJson[] }).alerts;
}

async function tombstones(): Promise<TombstoneJson[]> {
  const { body } = await t.api('GET', '/v1/tombstones');
  return (body as unknown as { tombstones: TombstoneJson[] }).tombstones;
}

async function deleted(name: string): Promise<{ id: string; secret: string }> {
  const key = await create(name);
  await t.api('POST', `/v1/keys/${key.id}/deactivate`);
  expect((await t.api('DELETE', `/v1/keys/${key.id}`)).status).toBe(204);
  return key;
}

/** A well-formed key nobody has. */
function stranger(): string {
  return generateSecret(KEY_PREFIX);
}

describe('canary keys', () => {
  it('are created marked, never verify, answer as an unknown key does, and raise canary.tripped with caller, ip and time', async () => {
    await start();
    const canary = await create('aws-backup-old', { canary: true });
    expect(canary.canary, 'canary in Key JSON').toBe(true);
    expect((await t.api('GET', `/v1/keys/${canary.id}`)).body.key).toMatchObject({ canary: true, status: 'active' });
    expect((await t.api('PATCH', `/v1/keys/${canary.id}`, { canary: false })).status, 'canary never changes').toBe(400);

    const unknown = await verify(stranger(), 'crawler-7', '203.0.113.9');
    expect(await verify(canary.secret, 'crawler-7', '203.0.113.9'), 'the same answer as an unknown key').toEqual(unknown);
    expect(unknown).toEqual({ valid: false, code: 'not_found' });
    clock.add(5_000);
    await verify(canary.secret, 'crawler-7', '203.0.113.10');

    const [alert, ...more] = await alerts();
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      kind: 'canary.tripped',
      state: 'open',
      keyId: canary.id,
      keyName: 'aws-backup-old',
      caller: 'crawler-7',
      ip: '203.0.113.10',
      count: 2,
      firstSeenAt: new Date(T0).toISOString(),
      lastSeenAt: new Date(T0 + 5_000).toISOString(),
    });
    // A canary's presentations are not uses: it stays unused, and no caller is recorded on it.
    const { body } = await t.api('GET', `/v1/keys/${canary.id}`);
    expect(body.key).toMatchObject({ uses24h: 0, lastUsedAt: null });
    expect((await t.api('GET', `/v1/keys/${canary.id}/usage`)).body.callers).toEqual([]);
  });

  it('answers byte for byte as an unknown key, on the fast path and the full route, in the same timing class', async () => {
    await start();
    const canary = await create('honeypot', { canary: true });
    const unknown = stranger();
    const send = async (key: string, viaFullRoute: boolean) => {
      const started = performance.now();
      // A client-chosen request id sends the request past the fast path to the full route.
      const headers: Record<string, string> = { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json', ...(viaFullRoute && { 'x-request-id': 'req-1' }) };
      const res = await t.fetch(`${t.url}/v1/verify`, { method: 'POST', headers, body: JSON.stringify({ key, caller: 'probe' }) });
      const text = await res.text();
      const elapsed = performance.now() - started;
      const shown = [...res.headers].filter(([name]) => name !== 'x-request-id');
      return { status: res.status, text, headers: shown, elapsed };
    };
    for (const viaFullRoute of [false, true]) {
      const a = await send(canary.secret, viaFullRoute);
      const b = await send(unknown, viaFullRoute);
      expect({ ...a, elapsed: 0 }, viaFullRoute ? 'full route' : 'fast path').toEqual({ ...b, elapsed: 0 });
    }
    // Timing: alternate the two, so whatever else the machine does falls on both alike, and
    // compare the medians coarsely. A canary does the work an unknown key does (checksum, hash,
    // lookup) plus a map update; an early return would show as a far faster canary.
    const times = { canary: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 300; i++) {
      times.canary.push((await send(canary.secret, false)).elapsed);
      times.unknown.push((await send(unknown, false)).elapsed);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const ratio = median(times.canary) / median(times.unknown);
    expect(ratio, `median canary / unknown = ${ratio.toFixed(2)}`).toBeGreaterThan(0.5);
    expect(ratio, `median canary / unknown = ${ratio.toFixed(2)}`).toBeLessThan(2);
    expect((await alerts())[0]).toMatchObject({ kind: 'canary.tripped', count: 302, caller: 'probe' });
  });

  it('is not rotated, and stays a canary (not_found and an alert) after the daemon restarts', async () => {
    await start();
    const canary = await create('bait', { canary: true });
    const refused = await t.api('POST', `/v1/keys/${canary.id}/rotations`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('rotation_guard');
    await t.restart();
    expect(await verify(canary.secret, 'thief')).toEqual({ valid: false, code: 'not_found' });
    expect(await alerts()).toMatchObject([{ kind: 'canary.tripped', caller: 'thief', count: 1 }]);
  });

  it('keep open alerts for 100 callers, not 100 callers for ever: once a flood\'s alerts are acknowledged, a new caller raises its own', async () => {
    await start();
    const canary = await create('sprayed-bait', { canary: true });
    for (let i = 0; i < 130; i++) await verify(canary.secret, `spray-${i}`);
    const flood = await alerts();
    expect(flood).toHaveLength(101);
    for (const a of flood) expect((await t.api('POST', `/v1/alerts/${a.id}/ack`)).status).toBe(200);
    expect(await alerts()).toEqual([]);

    await verify(canary.secret, 'new-caller', '198.51.100.7');
    const open = await alerts();
    expect(open, 'a new alert, not a count on the acknowledged caller-less one').toHaveLength(1);
    expect(open[0]).toMatchObject({ kind: 'canary.tripped', keyId: canary.id, caller: 'new-caller', ip: '198.51.100.7', count: 1, state: 'open' });
  });

  it('keep 100 named callers open when the no-caller alert was raised first: it is not one of them', async () => {
    await start();
    const canary = await create('unnamed-first', { canary: true });
    await verify(canary.secret);
    for (let i = 0; i < 130; i++) await verify(canary.secret, `spray-${i}`);
    const open = await alerts();
    expect(open.filter((a) => a.caller !== null)).toHaveLength(100);
    expect(open.filter((a) => a.caller === null)).toMatchObject([{ count: 31 }]);
  });
});

describe('tombstones', () => {
  it('remember a deleted key: not_found, counted with caller, ip and time, listed with the last presentation', async () => {
    await start();
    const gone = await deleted('billing-2024');
    const [tomb] = await tombstones();
    expect(tomb).toMatchObject({ keyId: gone.id, name: 'billing-2024', deletedAt: new Date(T0).toISOString(), deletedBy: 'admin', presentations: 0, lastPresentedAt: null });
    clock.add(60_000);
    expect(await verify(gone.secret, 'nightly-export', '198.51.100.7')).toEqual({ valid: false, code: 'not_found' });
    expect(await verify(gone.secret, 'nightly-export', '198.51.100.7')).toEqual(await verify(stranger()));
    expect((await tombstones())[0]).toMatchObject({
      keyId: gone.id,
      presentations: 2,
      lastPresentedAt: new Date(T0 + 60_000).toISOString(),
      lastCaller: 'nightly-export',
      lastIp: '198.51.100.7',
      forgetAt: new Date(T0 + 365 * DAY).toISOString(),
    });
    expect(await alerts()).toMatchObject([{ kind: 'deleted_key.presented', keyId: gone.id, keyName: 'billing-2024', caller: 'nightly-export', count: 2 }]);
    // The store keeps the deleted key's hash, id and name, never a secret.
    const rows = await storeQuery<Record<string, unknown>>(t, 'select * from key_tombstones');
    expect(JSON.stringify(rows)).not.toContain(gone.secret);
  });

  /** The timer's flush takes the first of two sightings; the second comes while it writes. */
  async function sightingDuringAFlush() {
    await start();
    const [first, second] = [await deleted('gone-first'), await deleted('gone-second')];
    const { verifier, alerts: service } = t.daemon.core;
    verifier.verify({ key: first.secret }, 'svc');
    const timerFlush = service.flush();
    verifier.verify({ key: second.secret }, 'svc');
    return { service, timerFlush };
  }

  it('are all listed by a read that comes while a flush is under way, the sightings counted since it began included', async () => {
    const { service, timerFlush } = await sightingDuringAFlush();
    const page = await service.list({ openOnly: true, limit: 10 });
    expect(page.alerts.map((a) => a.keyName).sort()).toEqual(['gone-first', 'gone-second']);
    await timerFlush;
  });

  it('are all written by a shutdown that comes while a flush is under way', async () => {
    const { service, timerFlush } = await sightingDuringAFlush();
    await service.stop();
    await timerFlush;
    const rows = await storeQuery<{ key_name: string }>(t, 'select key_name from alerts order by key_name');
    expect(rows.map((r) => r.key_name)).toEqual(['gone-first', 'gone-second']);
  });

  it('raise one alert per key and caller per hour: a flood is one alert, a new caller another, and an acknowledged one comes back after the hour', async () => {
    await start();
    const gone = await deleted('old-partner');
    for (let i = 0; i < 50; i++) await verify(gone.secret, 'cron-a');
    await verify(gone.secret, 'cron-b');
    await verify(gone.secret);
    let open = await alerts();
    expect(Object.fromEntries(open.map((a) => [a.caller ?? '(none)', a.count]))).toEqual({ 'cron-a': 50, 'cron-b': 1, '(none)': 1 });
    expect(open).toHaveLength(3);
    const a = open.find((x) => x.caller === 'cron-a')!;
    const acked = await t.api('POST', `/v1/alerts/${a.id}/ack`);
    expect(acked.status).toBe(200);
    expect(acked.body as unknown).toMatchObject({ alert: { id: a.id, state: 'acknowledged', acknowledgedBy: 'admin', acknowledgedAt: new Date(T0).toISOString() } });
    expect((await t.api('GET', '/v1/audit?limit=1')).body.events[0]).toMatchObject({ action: 'alert.ack', targetId: a.id });

    // Within the hour, cron-a counts on the acknowledged alert: no new one.
    clock.add(30 * 60_000);
    await verify(gone.secret, 'cron-a');
    open = await alerts();
    expect(open.map((x) => x.caller ?? '(none)').sort()).toEqual(['(none)', 'cron-b']);
    expect((await alerts('all')).find((x) => x.id === a.id)).toMatchObject({ count: 51, state: 'acknowledged' });
    // An hour after it was raised, the next presentation raises a new one.
    clock.add(31 * 60_000);
    await verify(gone.secret, 'cron-a');
    open = await alerts();
    expect(open.find((x) => x.caller === 'cron-a')).toMatchObject({ count: 1, state: 'open' });
    expect(open.find((x) => x.caller === 'cron-a')!.id).not.toBe(a.id);
  });

  it('keep a flood of fresh caller names to 100 alerts a key, the rest counted on the one without a caller', async () => {
    await start();
    const gone = await deleted('sprayed');
    for (let i = 0; i < 130; i++) t.daemon.core.verifier.verify({ key: gone.secret }, `caller-${i}`);
    await t.daemon.core.alerts.flush();
    for (let i = 130; i < 160; i++) t.daemon.core.verifier.verify({ key: gone.secret }, `caller-${i}`);
    const open = await alerts();
    expect(open).toHaveLength(101);
    expect(open.find((x) => x.caller === null)).toMatchObject({ count: 60 });
    expect(open.reduce((sum, x) => sum + x.count, 0)).toBe(160);
  });

  it('are written in chunks by the flush, and a chunk the store refuses stays counted for the next flush', async () => {
    await start();
    const keys = [];
    for (let i = 0; i < 8; i++) keys.push(await deleted(`gone-${i}`));
    // 8 keys × 100 callers: 800 sightings, two chunks.
    for (const key of keys) for (let c = 0; c < 100; c++) t.daemon.core.verifier.verify({ key: key.secret }, `c${c}`);
    const { store } = t.daemon.core;
    const original = store.recordSightings.bind(store);
    const record = vi.spyOn(store, 'recordSightings');
    record.mockImplementationOnce(original).mockRejectedValueOnce(Object.assign(new Error('disk full (injected)'), { code: 'SQLITE_FULL' }));
    await expect(t.daemon.core.alerts.flush()).rejects.toThrow('disk full');
    expect(record).toHaveBeenCalledTimes(2);
    expect(record.mock.calls[0]![0]).toHaveLength(500);
    record.mockRestore();
    expect((await alerts()).length, 'the first chunk, then the rest on the next flush').toBe(800);
    expect((await tombstones()).reduce((n, x) => n + x.presentations, 0)).toBe(800);
  });

  it('are forgotten 365 days after the deletion: no longer listed, looked up or noticed', async () => {
    await start();
    const gone = await deleted('ancient');
    const hash = hashSecret(gone.secret);
    const lookup = async () => ((await t.api('POST', '/v1/keys/lookup', { sha256: [hash] })).body as unknown as { results: { state: string }[] }).results[0]!.state;
    expect(await lookup()).toBe('deleted');
    clock.add(364 * DAY);
    await clock.runDue();
    expect(await tombstones()).toHaveLength(1);
    await verify(gone.secret, 'late');
    const [alert] = await alerts();
    await t.api('POST', `/v1/alerts/${alert!.id}/ack`);
    clock.add(2 * DAY);
    await clock.runDue();
    expect(await tombstones()).toEqual([]);
    expect(await lookup()).toBe('unknown');
    expect(await verify(gone.secret, 'later')).toEqual({ valid: false, code: 'not_found' });
    expect(await alerts('all'), 'no new alert: the key is forgotten').toEqual([
      expect.objectContaining({ kind: 'deleted_key.presented', caller: 'late' }),
    ]);
    expect(await alerts()).toEqual([]);
  });
});

describe('rotated-out keys', () => {
  it('count an old key that was already inactive when the rotation cut it over', async () => {
    await start();
    const old = await create('dormant');
    expect((await t.api('POST', `/v1/keys/${old.id}/deactivate`)).status).toBe(200);
    let rotation = (await t.api('POST', `/v1/keys/${old.id}/rotations`, {})).body.rotation;
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) {
      rotation = (await t.api('POST', `/v1/rotations/${rotation.id}/advance`, { from, force: true })).body.rotation;
    }
    expect(rotation.step).toBe('double_check');
    expect(await verify(old.secret, 'late-job')).toEqual({ valid: false, code: 'inactive' });
    expect(await alerts()).toMatchObject([{ kind: 'old_key.presented_after_cutover', keyId: old.id, caller: 'late-job', detail: { rotationId: rotation.id } }]);
  });

  it('raise old_key.presented_after_cutover in double_check (answering inactive) and after the old key is deleted (not_found)', async () => {
    await start();
    const old = await create('orders');
    const started = await t.api('POST', `/v1/keys/${old.id}/rotations`, {});
    let rotation = started.body.rotation;
    await verify(old.secret, 'orders-api');
    expect(await alerts(), 'before the cut-over, the old key is in service').toEqual([]);
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) {
      rotation = (await t.api('POST', `/v1/rotations/${rotation.id}/advance`, { from, force: true })).body.rotation;
    }
    expect(rotation.step).toBe('double_check');
    expect(await verify(old.secret, 'orders-api')).toEqual({ valid: false, code: 'inactive' });
    expect(await alerts()).toMatchObject([{ kind: 'old_key.presented_after_cutover', keyId: old.id, caller: 'orders-api', count: 1, detail: { rotationId: rotation.id } }]);

    rotation = (await t.api('POST', `/v1/rotations/${rotation.id}/advance`, { from: 'double_check', force: true })).body.rotation;
    rotation = (await t.api('POST', `/v1/rotations/${rotation.id}/advance`, { from: 'delete_old' })).body.rotation;
    expect(rotation.step).toBe('completed');
    await t.restart();
    expect(await verify(old.secret, 'orders-api')).toEqual({ valid: false, code: 'not_found' });
    const open = await alerts();
    expect(open.map((a) => a.kind), 'the deleted old key is the rotation\'s, not just any deleted key').toEqual(['old_key.presented_after_cutover']);
    expect(open[0]).toMatchObject({ count: 2, detail: { rotationId: rotation.id, deletedAt: expect.any(String) } });
    expect((await tombstones())[0]).toMatchObject({ keyId: old.id, rotationId: rotation.id, presentations: 1 });
  });

  it('stop alerting once a rollback puts the old key back in service', async () => {
    await start();
    const old = await create('search');
    let rotation = (await t.api('POST', `/v1/keys/${old.id}/rotations`, {})).body.rotation;
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) {
      rotation = (await t.api('POST', `/v1/rotations/${rotation.id}/advance`, { from, force: true })).body.rotation;
    }
    await t.api('POST', `/v1/rotations/${rotation.id}/rollback`);
    expect(await verify(old.secret, 'search-api')).toMatchObject({ valid: true });
    expect(await alerts()).toEqual([]);
  });
});

describe('key.expiring', () => {
  it('is raised once per key and expiry, 7 days before, and never for a canary', async () => {
    await start();
    const soon = await create('soon', { expiresAt: new Date(T0 + 8 * DAY).toISOString() });
    await create('bait', { canary: true, expiresAt: new Date(T0 + 8 * DAY).toISOString() });
    await clock.runDue();
    expect(await alerts()).toEqual([]);
    clock.add(DAY + 60_000);
    await clock.runDue();
    const [alert, ...rest] = await alerts();
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({ kind: 'key.expiring', keyId: soon.id, caller: null, count: 1, detail: { expiresAt: new Date(T0 + 8 * DAY).toISOString() } });
    await t.api('POST', `/v1/alerts/${alert!.id}/ack`);
    clock.add(60_000);
    await clock.runDue();
    await t.restart();
    clock.add(60_000);
    await clock.runDue();
    expect(await alerts(), 'once, also across restarts').toEqual([]);
    // A new expiry is a new date to be warned about.
    await t.api('PATCH', `/v1/keys/${soon.id}`, { expiresAt: new Date(T0 + 6 * DAY).toISOString() });
    clock.add(60_000);
    await clock.runDue();
    expect(await alerts()).toMatchObject([{ kind: 'key.expiring', detail: { expiresAt: new Date(T0 + 6 * DAY).toISOString() } }]);
    // Moved back to the expiry it was warned about: the same expiry, not warned about again,
    // by this daemon or (the store deciding) after a restart, or by another daemon on the store.
    const [second] = await alerts();
    await t.api('POST', `/v1/alerts/${second!.id}/ack`);
    await t.restart();
    await t.api('PATCH', `/v1/keys/${soon.id}`, { expiresAt: new Date(T0 + 8 * DAY).toISOString() });
    clock.add(60_000);
    await clock.runDue();
    expect(await alerts(), 'once per expiry, whichever was warned about last').toEqual([]);
  });
});

describe('key.leaked and the emergency', () => {
  it('raises key.leaked from a deactivation whose reason reports a leak, once per location while open', async () => {
    await start();
    const key = await create('ci-deploy');
    const leakedAt = async (reason: string) => {
      clock.add(1000);
      await t.api('POST', `/v1/keys/${key.id}/activate`);
      await t.api('POST', `/v1/keys/${key.id}/deactivate`, { reason });
    };
    await leakedAt('leaked: deploy/.env:3');
    expect(await alerts()).toMatchObject([{ kind: 'key.leaked', keyId: key.id, caller: 'deploy/.env:3', count: 1, detail: { reason: 'leaked: deploy/.env:3' } }]);
    await leakedAt('leaked: deploy/.env:3');
    expect(await alerts()).toMatchObject([{ kind: 'key.leaked', caller: 'deploy/.env:3', count: 2 }]);
    await leakedAt('leaked: gist.txt:1');
    expect(await alerts(), 'another location is another alert').toMatchObject([
      { kind: 'key.leaked', caller: 'gist.txt:1', count: 1, detail: { reason: 'leaked: gist.txt:1' } },
      { kind: 'key.leaked', caller: 'deploy/.env:3', count: 2 },
    ]);
  });

  it('rotates in an emergency: new key, old key off at once with its reason, at double_check, and rollback still possible', async () => {
    await start();
    const old = await create('payments');
    const res = await t.api('POST', `/v1/keys/${old.id}/rotations`, { emergency: true, reason: 'pasted in #general' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { rotation, secret } = res.body;
    expect(rotation).toMatchObject({ step: 'double_check', oldKeyId: old.id, deactivateAt: new Date(T0).toISOString() });
    expect(await verify(old.secret, 'shop')).toEqual({ valid: false, code: 'inactive' });
    expect(await verify(secret, 'shop')).toMatchObject({ valid: true, keyId: rotation.newKeyId });
    expect((await t.api('GET', `/v1/keys/${old.id}`)).body.key).toMatchObject({ status: 'inactive', deactivationReason: 'pasted in #general' });
    const events = (await t.api('GET', '/v1/audit?limit=4')).body.events;
    expect(events.map((e) => e.action)).toEqual(['key.deactivate', 'rotation.start', 'key.create', expect.any(String)]);
    expect(events[0]).toMatchObject({ targetId: old.id, detail: { rotation: rotation.id, reason: 'pasted in #general' } });
    expect(events[1]).toMatchObject({ detail: { emergency: true } });
    expect(await alerts(), 'the old key presented after the cut-over').toMatchObject([{ kind: 'old_key.presented_after_cutover', caller: 'shop' }]);
    // The guard sees the presentation; rollback reactivates.
    expect((await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.evidence.oldKey.rejected).toBe(1);
    expect((await t.api('POST', `/v1/rotations/${rotation.id}/rollback`)).status).toBe(200);
    expect(await verify(old.secret, 'shop')).toMatchObject({ valid: true });
  });

  it('takes the default reason, and refuses a reason without emergency', async () => {
    await start();
    const old = await create('mail');
    expect((await t.api('POST', `/v1/keys/${old.id}/rotations`, { reason: 'why' })).status).toBe(400);
    await t.api('POST', `/v1/keys/${old.id}/rotations`, { emergency: true });
    expect((await t.api('GET', `/v1/keys/${old.id}`)).body.key.deactivationReason).toBe('compromised: emergency rotation');
  });
});

describe('alerts API and stream', () => {
  it('streams alert.raised once and alert.updated as sightings are flushed and when acknowledged', async () => {
    await start();
    const events: StreamEvent[] = [];
    const ctl = new AbortController();
    stops.push(ctl);
    void new KeywardClient({ url: t.url, token: t.adminToken, fetch: t.fetch }).events((e) => events.push(e), ctl.signal).catch(() => undefined);
    await vi.waitFor(() => expect(t.daemon.core.streams.size).toBe(1));
    const canary = await create('bait', { canary: true });
    await verify(canary.secret, 'x');
    await verify(canary.secret, 'x');
    await clock.runDue(); // nothing is due yet: the flush runs once a second
    clock.add(1000);
    await clock.runDue();
    await verify(canary.secret, 'x');
    clock.add(1000);
    await clock.runDue();
    const alertEvents = () => events.filter((e) => e.event.startsWith('alert.'));
    await vi.waitFor(() => expect(alertEvents()).toHaveLength(2));
    expect(alertEvents().map((e) => [e.event, (e.data as { alert: AlertJson }).alert.count])).toEqual([
      ['alert.raised', 2],
      ['alert.updated', 3],
    ]);
    const id = (alertEvents()[0]!.data as { alert: AlertJson }).alert.id;
    await t.api('POST', `/v1/alerts/${id}/ack`);
    await t.api('POST', `/v1/alerts/${id}/ack`);
    await vi.waitFor(() => expect(alertEvents()).toHaveLength(3));
    expect((alertEvents()[2]!.data as { alert: AlertJson }).alert.state).toBe('acknowledged');
  });

  it('refuses an unknown alert, a viewer acknowledging, and pages with a cursor', async () => {
    await start();
    expect((await t.api('POST', '/v1/alerts/alr_0000000000000000000000/ack')).status).toBe(404);
    const gone = await deleted('paged');
    for (let i = 0; i < 3; i++) await verify(gone.secret, `c${i}`);
    const viewer = (await t.api('POST', '/v1/operators', { name: 'looker', role: 'viewer' })).body.token;
    const first = await t.api('GET', '/v1/alerts?limit=2', undefined, viewer);
    expect(first.status).toBe(200);
    const page = first.body as unknown as { alerts: AlertJson[]; nextCursor: string };
    expect(page.alerts).toHaveLength(2);
    const rest = (await t.api('GET', `/v1/alerts?limit=2&cursor=${page.nextCursor}`)).body as unknown as { alerts: AlertJson[]; nextCursor: string | null };
    expect(rest.alerts).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    expect(new Set([...page.alerts, ...rest.alerts].map((a) => a.caller))).toEqual(new Set(['c0', 'c1', 'c2']));
    expect((await t.api('POST', `/v1/alerts/${page.alerts[0]!.id}/ack`, undefined, viewer)).status).toBe(403);
  });

  it('lists the alerts of one key, by its id or by the name they recorded (a deleted key’s too), open or all, paged', async () => {
    await start();
    const bait = await create('bait', { canary: true });
    const gone = await deleted('old-billing');
    for (let i = 0; i < 3; i++) await verify(bait.secret, `crawler-${i}`);
    await verify(gone.secret, 'nightly');
    const of = async (query: string) => {
      const { status, body } = await t.api('GET', `/v1/alerts?${query}`);
      expect(status, JSON.stringify(body)).toBe(200);
      return body as unknown as { alerts: AlertJson[]; nextCursor: string | null };
    };
    expect((await of(`key=${bait.id}`)).alerts.map((a) => a.caller).sort()).toEqual(['crawler-0', 'crawler-1', 'crawler-2']);
    expect((await of('key=bait')).alerts.map((a) => a.keyId)).toEqual([bait.id, bait.id, bait.id]);
    expect((await of('key=old-billing')).alerts, 'a deleted key, by the name its alert recorded').toMatchObject([{ kind: 'deleted_key.presented', keyId: gone.id, caller: 'nightly' }]);
    expect((await of('key=nobody')).alerts).toEqual([]);
    const first = await of(`key=${bait.id}&limit=2`);
    const rest = await of(`key=${bait.id}&limit=2&cursor=${first.nextCursor}`);
    expect([...first.alerts, ...rest.alerts].map((a) => a.keyId), 'a filtered page is full, and the cursor continues it').toEqual([bait.id, bait.id, bait.id]);
    expect(rest.nextCursor).toBeNull();
    await t.api('POST', `/v1/alerts/${first.alerts[0]!.id}/ack`);
    expect((await of(`key=${bait.id}`)).alerts).toHaveLength(2);
    expect((await of(`key=${bait.id}&state=all`)).alerts).toHaveLength(3);
    const tooLong = await t.api('GET', `/v1/alerts?key=${'x'.repeat(65)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ code: 'invalid_request', issues: [{ path: 'key' }] });
    for (const bad of ['bait%1B%5B2J', '%20', 'bait%00']) {
      const res = await t.api('GET', `/v1/alerts?key=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code, bad).toBe('invalid_request');
    }
  });
});
