/**
 * `GET /v1/replica` and `POST /v1/replica/ack` in-process, driven by hand: what the stream
 * carries (hashes, policy and marks, never a secret), changes in `seq` order, resuming, the
 * bound on a replica that stops reading, a narrowing write (a delete too) waiting for the ack,
 * usage and sightings counted from acks, and a disabled operator's stream. The replica in real processes is in processes.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/daemon/secrets/format.js';
import { OTHER_CALLERS_LABEL } from '../../src/caller-label.js';
import { OTHER_CALLERS } from '../../src/daemon/usage/callers.js';
import { decodeChunk, resumeToken, toWire, type Change, type SnapshotChunk } from '../../src/replica/wire.js';
import { startTestApp, type TestApp } from '../helpers/daemon.js';
import { handReplica } from '../helpers/replica-stream.js';

let t: TestApp;
let service: string;

beforeAll(async () => {
  t = await startTestApp();
  service = (await t.client.createOperator('orders-api', 'service')).token;
});
afterAll(() => t.stop());

/** Whether `promise` has settled once pending I/O has run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
}

const changeOf = (id: string) => (c: Change) => ('key' in c ? c.key.id : c.removed) === id;

describe('the replica stream', () => {
  it('carries the whole index as hashes and policy, never a secret', async () => {
    const made = [
      await t.client.createKey('stream-plain'),
      await t.client.createKey('stream-policy', { scopes: ['orders:*'], allowedIps: ['10.0.0.0/8', '::ffff:192.0.2.0/120'], rateLimit: { limit: 5, windowSeconds: 60 }, quota: { remaining: 9 }, owner: 'team', meta: { tier: 1 } }),
      await t.client.createKey('stream-expiring', new Date(Date.now() + 3_600_000).toISOString()),
    ];
    await t.client.deactivateKey(made[0]!.key.id);
    const replica = await handReplica(t, service);
    const hello = await replica.hello();
    expect(hello).toMatchObject({ leaseMs: 1000, heartbeatMs: 250, ackMs: 250, keys: t.daemon.core.index.size, resumed: false, marksNarrowing: true });
    await replica.next('ready');
    const copy = replica.events.filter((e) => e.event === 'snapshot').flatMap((e) => decodeChunk(e.data as SnapshotChunk));
    expect(copy.map(toWire)).toEqual([...t.daemon.core.index.entries()].map(toWire));
    for (const { secret } of made) {
      expect(replica.text()).not.toContain(secret);
      expect(copy.some((entry) => entry.hash === hashSecret(secret))).toBe(true);
    }
    replica.close();
  });

  it('sends each change after it with a rising seq; a narrowing write answers once the replica acked it', async () => {
    const { key } = await t.client.createKey('stream-changes');
    const replica = await handReplica(t, service);
    const { seq } = await replica.next<{ seq: number }>('ready');
    expect((await replica.ack({ seq })).lease).toBe('granted');

    const deactivating = t.client.deactivateKey(key.id);
    const change = await replica.next<Change>('change', changeOf(key.id));
    expect(change).toMatchObject({ seq: seq + 1, key: { id: key.id, status: 'inactive' }, narrows: true });
    expect(await settled(deactivating), 'waits for the ack').toBe(false);
    await replica.ack({ seq: change.seq });
    await deactivating;

    // Widening: answered without an ack.
    await t.client.activateKey(key.id);
    const widening = await replica.next<Change>('change', (c) => c.seq === seq + 2);
    expect(widening).toMatchObject({ key: { status: 'active' } });
    expect(widening.narrows, 'nothing waits for its ack').toBeUndefined();

    const narrowing = t.client.editKey(key.id, { scopes: ['orders:read'] });
    const edit = await replica.next<Change>('change', (c) => c.seq === seq + 3);
    expect(edit).toMatchObject({ key: { policy: { scopes: ['orders:read'] } }, narrows: true });
    expect(await settled(narrowing)).toBe(false);
    await replica.ack({ seq: edit.seq });
    await narrowing;
    await replica.ack({ closing: true });
    replica.close();
  });

  it('resumes after the last change a replica holds, and sends a snapshot when it cannot', async () => {
    const { key } = await t.client.createKey('stream-resume');
    const first = await handReplica(t, service);
    const hello = await first.hello();
    const { seq } = await first.next<{ seq: number }>('ready');
    await first.ack({ seq, closing: true });
    first.close();
    await t.client.deactivateKey(key.id);

    const resumed = await handReplica(t, service, `?resume=${resumeToken(hello.epoch, seq)}`);
    expect(await resumed.hello()).toMatchObject({ resumed: true, keys: 0, seq: seq + 1 });
    await resumed.next('ready');
    expect(resumed.events.map((e) => e.event)).toEqual(['hello', 'change', 'ready']);
    expect(resumed.events[1]!.data).toMatchObject({ seq: seq + 1, key: { id: key.id, status: 'inactive' } });
    resumed.close();

    const elsewhere = await handReplica(t, service, `?resume=${resumeToken('another-run', seq)}`);
    expect(await elsewhere.hello()).toMatchObject({ resumed: false });
    await elsewhere.next('snapshot');
    elsewhere.close();
  });

  it('counts the usage a replica reports as if verified here, and answers the quotas it used', async () => {
    const { key } = await t.client.createKey('stream-usage', { quota: { remaining: 10 } });
    const { key: gone } = await t.client.createKey('stream-usage-gone');
    await t.client.deactivateKey(gone.id);
    await t.client.deleteKey(gone.id);
    const replica = await handReplica(t, service);
    await replica.next('ready');
    const now = Date.now();
    const minute = Math.floor(now / 60_000);
    const stored = (await t.client.getKey(key.id)).key.quota!;
    const setAt = t.daemon.core.index.get(key.id)!.policy!.quota!.setAt;
    const answer = await replica.ack({
      usage: {
        buckets: [
          { keyId: key.id, minute, ok: 4, rejected: 1 },
          { keyId: key.id, minute: minute - 2 * 24 * 60, ok: 50, rejected: 0 },
          { keyId: gone.id, minute, ok: 7, rejected: 0 },
        ],
        callers: [{ keyId: key.id, caller: 'web\u0007-1 ', at: now, ok: 4, rejected: 1 }],
        lastUsed: [{ keyId: key.id, at: now }],
        quotas: [{ keyId: key.id, setAt, period: setAt, used: 4 }],
      },
    });
    expect(answer, 'a report without seq grants no lease').toMatchObject({ lease: 'withheld', quotas: [{ keyId: key.id, remaining: 6 }] });
    expect(stored.remaining).toBe(10);
    const usage = await t.client.usage(key.id, 5);
    expect(usage.buckets.reduce((n, b) => n + b.ok + b.rejected, 0), 'a bucket older than a day is not taken').toBe(5);
    expect(usage.callers).toEqual([expect.objectContaining({ caller: 'web-1', ok: 4, rejected: 1 })]);
    const listed = (await t.client.getKey(key.id)).key;
    expect(listed).toMatchObject({ uses24h: 5, quota: { remaining: 6 } });
    expect(listed.lastUsedAt).not.toBeNull();
    replica.close();
  });

  it('keeps the callers a replica added up, past the ones it keeps a key, as the daemon keeps its own', async () => {
    const { key } = await t.client.createKey('stream-other-callers');
    const replica = await handReplica(t, service);
    await replica.next('ready');
    const now = Date.now();
    await replica.ack({
      usage: {
        buckets: [{ keyId: key.id, minute: Math.floor(now / 60_000), ok: 7, rejected: 0 }],
        // A replica's tracker adds up the callers past the 1,000 it keeps under the empty label, as the daemon's does.
        callers: [
          { keyId: key.id, caller: 'web-1', at: now, ok: 2, rejected: 0 },
          { keyId: key.id, caller: OTHER_CALLERS, at: now, ok: 5, rejected: 0 },
        ],
        lastUsed: [{ keyId: key.id, at: now }],
        quotas: [],
      },
    });
    const { callers } = await t.client.usage(key.id, 5);
    expect(callers.reduce((n, c) => n + c.ok, 0), 'no use is lost').toBe(7);
    expect(callers).toContainEqual(expect.objectContaining({ caller: OTHER_CALLERS_LABEL, ok: 5 }));
    replica.close();
  });

  it('carries canaries and tombstones; a delete turns the key into its tombstone on the replica once it acked', async () => {
    const canary = await t.api('POST', '/v1/keys', { name: 'stream-canary', canary: true });
    expect(canary.status).toBe(201);
    const { key } = await t.client.createKey('stream-deleted');
    await t.client.deactivateKey(key.id);
    const replica = await handReplica(t, service);
    const { seq } = await replica.next<{ seq: number }>('ready');
    const copy = replica.events.filter((e) => e.event === 'snapshot').flatMap((e) => decodeChunk(e.data as SnapshotChunk));
    expect(copy.find((entry) => entry.id === canary.body.key.id)).toMatchObject({ canary: true, status: 'active' });
    expect(copy.find((entry) => entry.id === key.id)).not.toHaveProperty('deletedAt');
    expect((await replica.ack({ seq })).lease).toBe('granted');

    const deleting = t.client.deleteKey(key.id);
    const change = await replica.next<Change>('change', changeOf(key.id));
    expect(change).toMatchObject({ key: { id: key.id, status: 'inactive', deletedAt: expect.any(Number) } });
    expect(await settled(deleting), 'a delete narrows: it waits for the ack').toBe(false);
    await replica.ack({ seq: change.seq });
    await deleting;
    await replica.ack({ closing: true });
    replica.close();

    const fresh = await handReplica(t, service);
    await fresh.next('ready');
    const again = fresh.events.filter((e) => e.event === 'snapshot').flatMap((e) => decodeChunk(e.data as SnapshotChunk));
    expect(again.find((entry) => entry.id === key.id)).toMatchObject({ status: 'inactive', deletedAt: expect.any(Number) });
    fresh.close();
  });

  it('raises the alerts a replica reports as if verified here, only where the daemon\'s index marks the key so', async () => {
    const canary = (await t.api('POST', '/v1/keys', { name: 'stream-canary-seen', canary: true })).body.key.id as string;
    const { key: plain } = await t.client.createKey('stream-plain-framed');
    const { key: gone } = await t.client.createKey('stream-deleted-seen');
    await t.client.deactivateKey(gone.id);
    await t.client.deleteKey(gone.id);
    const { key: old } = await t.client.createKey('stream-cut-over');
    const { rotation } = await t.client.startRotation(old.id, { emergency: true });
    const replica = await handReplica(t, service);
    await replica.next('ready');
    const at = Date.now() - 2_000;
    const seen = { count: 3, firstSeenAt: at, lastSeenAt: at + 1_000 };
    await replica.ack({
      sightings: [
        { kind: 'canary.tripped', keyId: canary, caller: 'crawler\u001b[31m-9', ip: '203.0.113.9', ...seen },
        { kind: 'deleted_key.presented', keyId: gone.id, ...seen, count: 1 },
        { kind: 'old_key.presented_after_cutover', keyId: old.id, caller: 'legacy-batch', ...seen },
        // Not what the daemon's index says of these keys: no alert.
        { kind: 'canary.tripped', keyId: plain.id, caller: 'framed', ...seen },
        { kind: 'deleted_key.presented', keyId: canary, caller: 'framed', ...seen },
      ],
    });
    const raised = (await t.client.alerts()).alerts.filter((a) => [canary, plain.id, gone.id, old.id].includes(a.keyId));
    expect(raised).toHaveLength(3);
    expect(raised.find((a) => a.keyId === canary)).toMatchObject({
      kind: 'canary.tripped',
      caller: 'crawler[31m-9',
      ip: '203.0.113.9',
      count: 3,
      firstSeenAt: new Date(at).toISOString(),
      lastSeenAt: new Date(at + 1_000).toISOString(),
    });
    expect(raised.find((a) => a.keyId === gone.id)).toMatchObject({ kind: 'deleted_key.presented', caller: null, count: 1 });
    expect(raised.find((a) => a.keyId === old.id)).toMatchObject({ kind: 'old_key.presented_after_cutover', caller: 'legacy-batch', count: 3, detail: { rotationId: rotation.id } });

    // The same dedup as the daemon's own sightings: a second report counts on the open alert.
    await replica.ack({ sightings: [{ kind: 'canary.tripped', keyId: canary, caller: 'crawler\u001b[31m-9', ...seen, count: 2 }] });
    const after = (await t.client.alerts()).alerts;
    expect(after.filter((a) => a.keyId === canary).map((a) => a.count)).toEqual([5]);
    // A replica whose clock is far behind: its times are taken as at most a day old.
    await replica.ack({ sightings: [{ kind: 'deleted_key.presented', keyId: gone.id, caller: 'stale-clock', count: 1, firstSeenAt: 0, lastSeenAt: 0 }] });
    const stale = (await t.client.alerts()).alerts.find((a) => a.keyId === gone.id && a.caller === 'stale-clock')!;
    expect(Date.now() - Date.parse(stale.lastSeenAt)).toBeLessThanOrEqual(86_400_000 + 60_000);
    expect(Date.parse(stale.firstSeenAt)).toBeLessThanOrEqual(Date.parse(stale.lastSeenAt));
    const bad = await t.fetch(`${t.url}/v1/replica/ack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service}`, 'content-type': 'application/json' },
      body: JSON.stringify({ replicaId: 'rep_x', sightings: [{ kind: 'key.leaked', keyId: canary, count: 1, firstSeenAt: at, lastSeenAt: at }] }),
    });
    expect(bad.status).toBe(400);
    replica.close();
  });

  it('caps the callers a replica reports on open alerts only, as the daemon\'s own sightings', async () => {
    const canary = (await t.api('POST', '/v1/keys', { name: 'stream-canary-sprayed', canary: true })).body.key.id as string;
    const replica = await handReplica(t, service);
    await replica.next('ready');
    const at = Date.now() - 1_000;
    const seen = (caller: string) => ({ kind: 'canary.tripped' as const, keyId: canary, caller, count: 1, firstSeenAt: at, lastSeenAt: at });
    await replica.ack({ sightings: Array.from({ length: 130 }, (_, i) => seen(`spray-${i}`)) });
    const flood = (await t.client.alerts()).alerts.filter((a) => a.keyId === canary);
    expect(flood).toHaveLength(101);
    for (const a of flood) await t.client.ackAlert(a.id);

    await replica.ack({ sightings: [seen('new-caller')] });
    const open = (await t.client.alerts()).alerts.filter((a) => a.keyId === canary);
    expect(open).toEqual([expect.objectContaining({ caller: 'new-caller', count: 1, state: 'open' })]);
    replica.close();
  });

  it('counts the replicas connected in /metrics', async () => {
    const connected = async () => {
      const res = await t.fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      return Number(/^keyward_replicas_connected (\d+)$/m.exec(await res.text())?.[1]);
    };
    const before = t.daemon.core.replicas.connected;
    const replica = await handReplica(t, service);
    await replica.next('ready');
    expect(await connected()).toBe(before + 1);
    replica.close();
    await expect.poll(connected).toBe(before);
  });

  it('ends the streams of an operator once it is disabled, and refuses its acks', async () => {
    const { operator, token } = await t.client.createOperator('retired-service', 'service');
    const replica = await handReplica(t, token);
    await replica.next('ready');
    await t.client.disableOperator(operator.id);
    await replica.ended;
    const res = await t.api('POST', '/v1/replica/ack', { replicaId: (await replica.hello()).replicaId, seq: 0 }, token);
    expect(res.status).toBe(401);
  });
});

describe('a replica that stops reading', () => {
  let small: TestApp;
  beforeAll(async () => {
    small = await startTestApp({ replicas: { queueBytes: 4096 } });
  });
  afterAll(() => small.stop());

  it('is cut off instead of buffered, and holds up no write', async () => {
    const token = (await small.client.createOperator('stalled', 'service')).token;
    const abort = new AbortController();
    // Opened and never read.
    const res = await small.fetch(`${small.url}/v1/replica`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    expect(res.status).toBe(200);
    for (let i = 0; i < 40; i++) await small.client.createKey(`stalled-${i}-${'x'.repeat(50)}`);
    expect(small.daemon.core.replicas.connected).toBe(0);
    expect(small.logs.some((line) => /cut off replica rep_\S+ of operator "stalled": it fell more than 4 KiB behind/.test(line))).toBe(true);
    abort.abort();
  });
});
