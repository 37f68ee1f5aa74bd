/**
 * The revocation guarantee with replicas in real service processes (issue 14): (a) under a
 * hammer from two services and direct `/v1/verify` callers, no request started after a
 * deactivation answered is accepted anywhere; (b) a frozen replica (SIGSTOP) holds a
 * deactivation up for at most its lease, and once thawed refuses the key first thing; (c) a
 * killed daemon leaves its replicas answering until their leases end, then failing closed,
 * then recovering with the daemon; (d) usage verified by replicas reaches the key's usage,
 * `uses24h` and a rotation's evidence, and a clean stop sends what was left; (e) a canary and
 * a deleted key presented to a replica answer as unknown keys and raise their alerts (issue 17).
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { generateSecret, KEY_PREFIX } from '../../src/daemon/secrets/format.js';
import { startTestDaemon, freePort, tempHome, type TestDaemon } from '../helpers/daemon.js';
import { killLeftoverServices, startService, type ServiceProcess } from '../helpers/service-process.js';
import { killLeftoverDaemons, startChildDaemon } from '../reliability/helpers/child-daemon.js';

const LEASE_MS = 1000;
/** What a write may take beyond a frozen replica's lease: scheduling on a busy two-core box. */
const SLACK_MS = 500;

afterAll(() => {
  killLeftoverServices();
  killLeftoverDaemons();
});

/** Until `service` answers `status` for `key` (a new key reaches a replica's copy within milliseconds). */
const answers = (service: ServiceProcess, key: string, status: number) => vi.waitFor(async () => expect((await service.check(key)).status).toBe(status), { timeout: 5000, interval: 20 });

describe('replicas in two service processes', () => {
  let t: TestDaemon;
  let token: string;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    t = await startTestDaemon();
    token = (await t.client.createOperator('orders-api', 'service')).token;
    [a, b] = await Promise.all([startService({ url: t.url, token }), startService({ url: t.url, token })]);
    await Promise.all([a.replicating(), b.replicating()]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await t?.stop();
  });

  it('(a) accepts no request started after the deactivation answered, in either service or at the daemon', async () => {
    const { key, secret } = await t.client.createKey('hammered');
    await Promise.all([answers(a, secret, 200), answers(b, secret, 200)]);
    const calls: { target: string; started: number; accepted: boolean }[] = [];
    const targets: Record<string, () => Promise<boolean>> = {
      a: async () => (await a.check(secret)).status === 200,
      b: async () => (await b.check(secret)).status === 200,
      daemon: async () => (await t.client.verify(secret)).valid,
    };
    let running = true;
    const loops = Object.entries(targets).flatMap(([target, call]) =>
      Array.from({ length: 4 }, async () => {
        while (running) {
          const started = performance.now();
          calls.push({ target, started, accepted: await call() });
        }
      }),
    );
    let deactivated = Number.POSITIVE_INFINITY;
    try {
      await vi.waitFor(() => expect(calls.length).toBeGreaterThan(600), { timeout: 10_000 });
      await t.client.deactivateKey(key.id);
      deactivated = performance.now();
      await vi.waitFor(() => expect(calls.filter((c) => c.started > deactivated).length).toBeGreaterThan(1500), { timeout: 20_000 });
    } finally {
      running = false;
      await Promise.all(loops);
    }
    const after = calls.filter((c) => c.started > deactivated);
    expect(after.filter((c) => c.accepted), 'accepted after the deactivation answered').toEqual([]);
    for (const target of Object.keys(targets)) {
      expect(calls.some((c) => c.target === target && c.started < deactivated && c.accepted), `${target} accepted the key before`).toBe(true);
      expect(after.some((c) => c.target === target), `${target} was asked after`).toBe(true);
    }
    expect(calls.length).toBeGreaterThan(2000);
  });

  it('(b) waits out a frozen replica’s lease, no longer; thawed, it refuses the key before anything else', async () => {
    const { key, secret } = await t.client.createKey('frozen');
    await Promise.all([answers(a, secret, 200), answers(b, secret, 200)]);
    b.signal('SIGSTOP');
    let thawed = false;
    try {
      const started = performance.now();
      await t.client.deactivateKey(key.id);
      const took = performance.now() - started;
      expect(took, 'the write waited for the frozen replica').toBeGreaterThan(100);
      expect(took, 'but no longer than its lease').toBeLessThan(LEASE_MS + SLACK_MS);
      expect(await a.check(secret), 'the live replica refuses at once').toMatchObject({ status: 401, reason: 'inactive' });
      b.signal('SIGCONT');
      thawed = true;
      expect(await b.check(secret), 'the first answer after the thaw').toMatchObject({ status: 401, reason: 'inactive' });
    } finally {
      if (!thawed) b.signal('SIGCONT');
    }
    await b.replicating();
    const { secret: fresh } = await t.client.createKey('after-the-thaw');
    await answers(b, fresh, 200);
  });

  it('(d) reports the usage it verified to the key’s usage, uses24h and rotation evidence, the rest at a clean stop', async () => {
    const service = await startService({ url: t.url, token });
    await service.replicating();
    const { key: old, secret: oldSecret } = await t.client.createKey('billing-replicated');
    const started = await t.client.startRotation(old.id);
    const rotation = (await t.client.advance(started.rotation.id, { from: 'update_systems' })).rotation;
    await answers(service, started.secret, 200);
    await answers(service, oldSecret, 200);
    for (let i = 0; i < 3; i++) expect((await service.check(started.secret, 'checkout')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await service.check(oldSecret, 'legacy-batch')).status).toBe(200);
    // Right away, before its next report: what it counted goes with its clean stop.
    expect(await service.stop()).toBe(0);

    const newKey = rotation.newKeyId;
    const usage = await t.client.usage(newKey, 5);
    expect(usage.buckets.reduce((n, bucket) => n + bucket.ok, 0)).toBe(4);
    // Every use has a row: the one asked without a label under its own, so the rows add up to the uses.
    expect([...usage.callers].sort((x, y) => x.caller.localeCompare(y.caller))).toEqual([
      expect.objectContaining({ caller: '(no caller label)', ok: 1, rejected: 0 }),
      expect.objectContaining({ caller: 'checkout', ok: 3, rejected: 0 }),
    ]);
    expect((await t.client.getKey(old.id)).key).toMatchObject({ uses24h: 3, lastUsedAt: expect.any(String) });
    const { evidence } = (await t.client.rotation(rotation.id)).rotation;
    expect(evidence.newKey).toMatchObject({ ok: 4, rejected: 0 });
    expect(evidence.newKey.callers.map((c) => c.caller).sort()).toEqual(['(no caller label)', 'checkout']);
    expect(evidence.oldKey.callers.map((c) => c.caller).sort()).toEqual(['(no caller label)', 'legacy-batch']);
    // Unlabelled uses on both keys are nobody in particular: not a system that switched.
    expect(evidence.systems.switched).toEqual([]);
  });

  it('(e) answers a canary and a deleted key as unknown ones and raises their alerts, whether it asks the daemon or reports them itself', async () => {
    const notFoundAtDaemon = () => t.daemon.core.metrics.verify.outcomes().find((o) => o.outcome === 'not_found')?.count ?? 0;
    const canary = await t.client.createKey('planted', { canary: true });
    const { key: gone, secret: goneSecret } = await t.client.createKey('retired');
    await answers(a, goneSecret, 200);
    await t.client.deactivateKey(gone.id);
    await t.client.deleteKey(gone.id);
    const unknown = await a.check(generateSecret(KEY_PREFIX), 'prober');
    expect(unknown).toMatchObject({ status: 401, reason: 'not_found' });

    // More at once than a replica asks the daemon about in a second (unknown keys, canaries and
    // tombstones alike): the rest it answers from its copy, and reports with its acks.
    const presentations = 1000;
    const before = notFoundAtDaemon();
    const seen = await Promise.all(Array.from({ length: presentations }, () => a.check(canary.secret, 'prober')));
    const askedDaemon = notFoundAtDaemon() - before;
    expect(new Set(seen.map((answer) => JSON.stringify(answer))), 'every answer that of an unknown key').toEqual(new Set([JSON.stringify(unknown)]));
    expect(askedDaemon, 'the replica answered some itself').toBeLessThan(presentations / 2);
    expect(await a.check(goneSecret, 'cleanup-job')).toEqual(unknown);

    await vi.waitFor(
      async () => {
        const { alerts } = await t.client.alerts();
        expect(alerts.find((alert) => alert.keyId === canary.key.id)).toMatchObject({ kind: 'canary.tripped', caller: 'prober', ip: expect.stringMatching(/127\.0\.0\.1$/), count: presentations });
        expect(alerts.find((alert) => alert.keyId === gone.id)).toMatchObject({ kind: 'deleted_key.presented', caller: 'cleanup-job', count: 1 });
      },
      { timeout: 5000, interval: 50 },
    );
  });
});

describe('(c) a daemon killed under a replica', () => {
  it('leaves it answering until its lease ends, then failing closed, then recovering with the daemon', async () => {
    const home = tempHome();
    // Runs after the finally below has stopped the daemon, and also when something fails before the try.
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const port = await freePort();
    let daemon = await startChildDaemon(home, { args: ['--port', String(port)] });
    const token = (await daemon.client.createOperator('orders-api', 'service')).token;
    const { key, secret } = await daemon.client.createKey('through-the-outage');
    const service = await startService({ url: daemon.url, token });
    try {
      await service.replicating();
      await answers(service, secret, 200);

      await daemon.stop('SIGKILL');
      const killed = performance.now();
      expect((await service.check(secret)).status, 'from its copy, under its lease').toBe(200);
      await vi.waitFor(async () => expect(await service.check(secret)).toEqual({ status: 503, reason: undefined, retryAfter: '1' }), { timeout: 5000, interval: 20 });
      expect(performance.now() - killed, 'failing closed once the lease ran out').toBeLessThan(LEASE_MS + SLACK_MS);
      expect(await service.state()).toBe('remote');

      daemon = await startChildDaemon(home, { args: ['--port', String(port)] });
      await service.replicating();
      expect((await service.check(secret)).status).toBe(200);
      await daemon.client.deactivateKey(key.id);
      expect(await service.check(secret)).toMatchObject({ status: 401, reason: 'inactive' });
    } finally {
      await service.stop();
      await daemon.stop('SIGTERM');
    }
  });
});
