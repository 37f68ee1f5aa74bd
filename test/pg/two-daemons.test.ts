/**
 * Two daemons on one PostgreSQL database, as two servers of one service: a change through
 * either is in force on both within a second, usage adds up, rotations and operators are
 * shared, and the audit chain stays one chain under concurrent writers.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { KeywardClient, type StreamEvent } from '../../src/client/client.js';
import type { IndexedKey } from '../../src/decide/policy.js';
import { hashSecret } from '../../src/decide/secret.js';
import type { FollowedKeyIndex } from '../../src/daemon/sync/follower.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { pgTitle, TEST_DATABASE_URL } from './database.js';
import { useDaemonPair, verdict } from './shared-daemons.js';

/** How fast a change through one daemon must be in force on the other. */
const IN_STEP_MS = 1000;

/** Time from now until `d` gives `expected` for `secret`; fails past the limit. */
async function msUntilVerdict(d: TestDaemon, secret: string, expected: string): Promise<number> {
  const started = Date.now();
  await expect.poll(() => verdict(d, secret), { timeout: IN_STEP_MS, interval: 25 }).toBe(expected);
  return Date.now() - started;
}

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('two daemons on one PostgreSQL database'), () => {
  const pair = useDaemonPair();
  let a: TestDaemon;
  let b: TestDaemon;
  beforeEach(() => ({ a, b } = pair));

  it('verifies on B a key created on A, and refuses it on B within 1 s of its deactivation on A', async () => {
    const { key, secret } = await a.client.createKey('billing');
    // A create widens access, so it answers without waiting for the other daemons: B learns of
    // the key through its change feed, within the same bound as any other change.
    await msUntilVerdict(b, secret, 'valid');
    await a.client.deactivateKey(key.id);
    expect(await msUntilVerdict(b, secret, 'inactive'), 'deactivation on A seen by B').toBeLessThan(IN_STEP_MS);
    // An activation widens access too: like the create, it reaches A through the change feed.
    await b.client.activateKey(key.id);
    expect(await msUntilVerdict(a, secret, 'valid'), 'activation on B seen by A').toBeLessThan(IN_STEP_MS);
    await b.client.deactivateKey(key.id);
    await b.client.deleteKey(key.id);
    await msUntilVerdict(a, secret, 'not_found');
    expect((await a.api('GET', `/v1/keys/${key.id}`)).status).toBe(404);
  });

  it('knows on B the tombstones, canaries and cut-overs made on A: not_found or inactive, and an alert on B', async () => {
    const { key, secret } = await a.client.createKey('retired');
    await a.client.deactivateKey(key.id);
    await a.client.deleteKey(key.id);
    const canary = await a.client.createKey('bait', { canary: true });
    const old = await a.client.createKey('orders');
    const emergency = await a.client.startRotation(old.key.id, { emergency: true, reason: 'pasted in chat' });
    expect(emergency.rotation.step).toBe('double_check');
    // B learns of them through its change feed (the writes do not wait for other daemons): a
    // presentation before that would find an unknown key and raise nothing.
    const onB = (s: string) => b.daemon.core.index.lookup(hashSecret(s));
    await expect.poll(() => onB(secret)?.deletedAt, { timeout: IN_STEP_MS }).toBeDefined();
    await expect.poll(() => onB(canary.secret)?.canary, { timeout: IN_STEP_MS }).toBe(true);
    await expect.poll(() => onB(old.secret)?.rotatedOutBy, { timeout: IN_STEP_MS }).toBe(emergency.rotation.id);
    expect(await verdict(b, secret)).toBe('not_found');
    expect(await verdict(b, canary.secret)).toBe('not_found');
    expect(await verdict(b, old.secret)).toBe('inactive');
    const mine = new Set([key.id, canary.key.id, old.key.id]);
    const kinds = (await b.client.alerts()).alerts.filter((x) => mine.has(x.keyId)).map((x) => `${x.kind} ${x.keyName}`).sort();
    expect(kinds).toEqual(['canary.tripped bait', 'deleted_key.presented retired', 'old_key.presented_after_cutover orders']);
    // Forgotten on A a year on (the store's prune, as A's hourly job runs it): forgotten on B too.
    await a.daemon.core.store.pruneTombstones(Date.now() + 1);
    await expect.poll(() => b.daemon.core.index.lookup(hashSecret(secret)), { timeout: IN_STEP_MS }).toBeUndefined();
  });

  it('verifies on B a batch imported on A (announced 100 keys a notice), with one keys.imported event on B', async () => {
    const events: StreamEvent[] = [];
    const ctl = new AbortController();
    await new Promise<void>((resolve) => void b.client.events((e) => events.push(e), ctl.signal, resolve));
    const secrets = Array.from({ length: 250 }, (_, i) => `sk_shared_import_${i}_0123456789`);
    await a.client.importKeys(secrets.map((secret, i) => ({ name: `shared-import-${i}`, secret })));
    for (const secret of [secrets[0]!, secrets[149]!, secrets[249]!]) await msUntilVerdict(b, secret, 'valid');
    await expect.poll(() => events.filter((e) => e.event === 'keys.imported').map((e) => e.data), { timeout: IN_STEP_MS }).toEqual([
      { type: 'keys.imported', count: 250, first: expect.objectContaining({ name: 'shared-import-0' }), last: expect.objectContaining({ name: 'shared-import-249' }) },
    ]);
    ctl.abort();
    expect(events.filter((e) => e.event === 'key.created')).toEqual([]);
  });

  it('adds up usage from both daemons', async () => {
    const { key, secret } = await a.client.createKey('merged-usage');
    // B learns of the new key through its change feed; verifies before that would be not_found.
    await vi.waitFor(() => expect(b.daemon.core.index.lookup(hashSecret(secret))).toBeDefined());
    for (let i = 0; i < 3; i++) await a.client.verify(secret, 'web-a');
    for (let i = 0; i < 2; i++) await b.client.verify(secret, 'web-b');
    // The flushes each daemon runs every second, now.
    await Promise.all([a.daemon.core.usage.flush(), b.daemon.core.usage.flush()]);
    const usage = await a.client.usage(key.id, 5);
    expect(usage.buckets.reduce((n, bucket) => n + bucket.ok, 0)).toBe(5);
    expect(usage.callers.map((c) => c.caller).sort()).toEqual(['web-a', 'web-b']);
    const listed = await b.client.getKey(key.id);
    expect(listed.key.uses24h).toBe(5);
    expect(listed.key.lastUsedAt, 'last use is shared too').not.toBeNull();
  });

  it('shares rotations: advanced on B, seen on A, with evidence from both', async () => {
    const { key: old, secret: oldSecret } = await a.client.createKey('payments');
    const started = await a.client.startRotation(old.id);
    const id = started.rotation.id;
    await a.client.advance(id, { from: 'update_systems' });
    expect(await verdict(b, started.secret), 'the new key is in force on B').toBe('valid');
    // B's own traffic satisfies the verify_new guard when B advances.
    await b.client.advance(id, { from: 'verify_new' });
    const onA = (await a.client.rotation(id)).rotation;
    expect(onA.step).toBe('deactivate_old');
    expect(onA.evidence.newKey.ok, 'A sees the traffic B carried').toBeGreaterThanOrEqual(1);
    await b.client.advance(id, { from: 'deactivate_old' });
    expect(await msUntilVerdict(a, oldSecret, 'inactive'), 'the cut-over on B is in force on A').toBeLessThan(IN_STEP_MS);
    // A refused the old key just now; B's guard counts that rejection once A flushes it.
    await a.daemon.core.usage.flush();
    const blocked = await b.client.rotation(id);
    expect(blocked.rotation.evidence.oldKey.rejected).toBeGreaterThanOrEqual(1);
    expect(blocked.rotation.evidence.canAdvance).toBe(false);
    const refused = await b.api('POST', `/v1/rotations/${id}/advance`, { from: 'double_check' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('rotation_guard');
    expect((await a.api('POST', `/v1/rotations/${id}/advance`, { from: 'deactivate_old' })).body.error.code, 'both daemons see one step').toBe(
      'step_changed',
    );
  });

  it('shares operators: a token made on A works on B, and disabling it on B refuses it on A within 1 s', async () => {
    const { operator, token } = await a.client.createOperator('svc-shared', 'service');
    const { key, secret } = await a.client.createKey('svc-key');
    expect((await b.api('POST', '/v1/verify', { key: secret }, token)).status, 'token made on A accepted by B').toBe(200);
    await b.client.disableOperator(operator.id);
    await expect.poll(async () => (await a.api('POST', '/v1/verify', { key: secret }, token)).status, { timeout: IN_STEP_MS, interval: 25 }).toBe(401);
    await a.client.deactivateKey(key.id);
  });

  it('keeps one audit chain while both daemons write at once', async () => {
    const writes = Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).client.createKey(`burst-${i}`));
    const created = await Promise.all(writes);
    const report = await a.daemon.core.verifyAudit();
    expect(report, 'the chain verifies end to end').toMatchObject({ ok: true });
    // Each daemon signs with its own home's key: A checks its own events, links B's.
    expect(report.signed, 'events A signed').toBeGreaterThan(0);
    expect(report.otherSigners, 'events B signed').toBeGreaterThan(0);
    expect(await b.daemon.core.verifyAudit()).toMatchObject({ ok: true, signed: report.otherSigners, otherSigners: report.signed });
    const events = (await b.client.audit({ limit: 1000 })).events;
    for (const { key } of created) {
      expect(events.filter((e) => e.action === 'key.create' && e.targetId === key.id), key.name).toHaveLength(1);
    }
  });

  it("publishes A's changes on B's event stream", async () => {
    const seen: StreamEvent[] = [];
    const controller = new AbortController();
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const stream = b.client.events((e) => seen.push(e), controller.signal, opened);
    await open;
    const { key } = await a.client.createKey('announced');
    await a.client.deactivateKey(key.id);
    await vi.waitFor(
      () => {
        const events = seen.filter((e) => (e.data as { key?: { id?: string } }).key?.id === key.id).map((e) => e.event);
        expect(events).toEqual(expect.arrayContaining(['key.created', 'key.updated']));
      },
      { timeout: IN_STEP_MS },
    );
    controller.abort();
    await stream.catch(() => {});
  });

  it('closes on B the event streams of an operator disabled on A', async () => {
    const { operator, token } = await a.client.createOperator('roaming-viewer', 'viewer');
    const viewer = new KeywardClient({ url: b.url, token });
    // B learns of the operator from the change feed; until then it refuses the token.
    await vi.waitFor(() => viewer.me(), { timeout: IN_STEP_MS });
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const stream = viewer.events(() => {}, new AbortController().signal, opened).then(
      () => 'ended',
      (err: unknown) => `failed: ${String(err)}`,
    );
    await Promise.race([open, stream]);
    expect(b.daemon.core.streams.size).toBe(1);
    await a.client.disableOperator(operator.id);
    expect(await stream).toMatch(/^(ended|failed: DaemonUnreachable)/);
    expect(b.daemon.core.streams.size).toBe(0);
    expect(b.logs).toContain('closed 1 event stream of operator "roaming-viewer": the operator was disabled');
  });
});

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('a change the feed cannot read'), () => {
  const pair = useDaemonPair();

  it("loses the feed with PostgreSQL's reason on one line, not drizzle's quote of the query, and follows again once it can read", async () => {
    const { a, b } = pair;
    await pair.shared.db.query('alter table key_tombstones rename column name to name_gone');
    try {
      const { secret } = await a.client.createKey('unreadable');
      await expect.poll(() => b.logs.find((l) => l.includes('lost the change feed')), { timeout: 5000 }).toBeDefined();
      const line = b.logs.find((l) => l.includes('lost the change feed'))!;
      expect(line).toMatch(/\(42703: column .*name.* does not exist\)/);
      expect(line).not.toMatch(/Failed query|params:/);
      await pair.shared.db.query('alter table key_tombstones rename column name_gone to name');
      await expect.poll(() => verdict(b, secret), { timeout: 10_000 }).toBe('valid');
    } finally {
      await pair.shared.db.query('alter table key_tombstones rename column name_gone to name').catch(() => undefined);
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('a reconnect slower than a write will wait'), () => {
  const pair = useDaemonPair();

  it('comes back while writes go through it, its snapshot longer than the 3 s a notice may take to arrive', async () => {
    const { a, b } = pair;
    const { key, secret } = await b.client.createKey('while-catching-up');
    await msUntilVerdict(a, secret, 'valid');
    // A's snapshot on reconnecting takes 3.5 s, as a million keys' does.
    const index = a.daemon.core.index as FollowedKeyIndex;
    const follow = index.followAll.bind(index);
    const slow = vi.spyOn(index, 'followAll').mockImplementation(async (pages, settled) => {
      await new Promise((resolve) => setTimeout(resolve, 3500));
      return follow(pages, settled);
    });
    const lostBefore = a.logs.filter((l) => l.includes('lost the change feed')).length;
    // Cut both daemons' feed connections (named apart from their pools'): both reconnect.
    await pair.shared.db.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'keyward change feed'",
    );
    await expect.poll(() => a.logs.filter((l) => l.includes('lost the change feed')).length, { timeout: 5000 }).toBe(lostBefore + 1);
    // Writes through A during its snapshot: each waits for it, none counts the new connection dead.
    const writes = [];
    for (let i = 0; i < 3; i++) {
      writes.push(a.client.createKey(`during-snapshot-${i}`));
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await Promise.all(writes);
    await expect.poll(() => a.logs.some((l) => l.includes('following changes from PostgreSQL again')), { timeout: 10_000 }).toBe(true);
    expect(a.logs.filter((l) => l.includes('lost the change feed')).length, 'lost once, not again for each write').toBe(lostBefore + 1);
    expect(slow, 'one snapshot, not one started over for each write').toHaveBeenCalledTimes(1);
    slow.mockRestore();
    await b.client.deactivateKey(key.id);
    await msUntilVerdict(a, secret, 'inactive');
  });
});

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('what the change feed trusts'), () => {
  const pair = useDaemonPair({ reconcileMs: 300 });
  let a: TestDaemon;
  let b: TestDaemon;
  beforeEach(() => ({ a, b } = pair));

  it('catches a change it was never told of at the next periodic reconcile', async () => {
    const { key, secret } = await a.client.createKey('silent');
    await pair.shared.db.query("update keys set status = 'inactive' where id = $1", [key.id]);
    await msUntilVerdict(b, secret, 'inactive');
    await msUntilVerdict(a, secret, 'inactive');
  });

  it('applies changes while a periodic snapshot runs, and the snapshot, read before a deactivation, does not undo it', async () => {
    const { key, secret } = await a.client.createKey('mid-snapshot');
    await msUntilVerdict(b, secret, 'valid');
    // B's next periodic snapshot is read whole, then held until released: a million keys'
    // snapshot takes seconds, and the deactivation lands in the middle of it.
    const index = b.daemon.core.index as FollowedKeyIndex;
    const follow = index.followAll.bind(index);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let read!: () => void;
    const snapshotRead = new Promise<void>((resolve) => (read = resolve));
    let applied: Promise<void> | undefined;
    vi.spyOn(index, 'followAll').mockImplementationOnce((pages, settled) => {
      applied = (async () => {
        const rows: IndexedKey[][] = [];
        for await (const page of pages) rows.push([...page]);
        read();
        await held;
        await follow(
          (async function* () {
            yield* rows;
          })(),
          settled,
        );
      })();
      return applied;
    });
    await snapshotRead;
    expect((await b.daemon.core.store.getKey(key.id))?.status).toBe('active');
    await a.client.deactivateKey(key.id);
    await msUntilVerdict(b, secret, 'inactive');
    release();
    await applied;
    expect(await verdict(b, secret)).toBe('inactive');
  });

  it('takes state from the tables, never from a notice: a forged notice changes nothing', async () => {
    const { key, secret } = await a.client.createKey('forged');
    const forged = { o: 'attacker', n: 'x', c: [{ t: 'key', id: key.id, e: 'deleted' }] };
    await pair.shared.db.query('select pg_notify($1, $2)', ['keyward_changes', JSON.stringify(forged)]);
    await pair.shared.db.query('select pg_notify($1, $2)', ['keyward_changes', 'not json']);
    await expect.poll(() => b.logs.filter((l) => l.includes('malformed change notice')).length, { timeout: IN_STEP_MS }).toBeGreaterThan(0);
    // The forged notice was read before the malformed one, so it has been applied by now.
    expect(await verdict(b, secret)).toBe('valid');
    expect(await verdict(a, secret)).toBe('valid');
  });
});
