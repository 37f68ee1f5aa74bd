/**
 * Lease arithmetic (src/replica/lease.ts) and the write barrier of the replica hub, with a
 * clock the test moves by hand: a lease runs from the send on the replica's side and from the
 * grant on the daemon's; a narrowing write waits for every replica with a lease until it acks
 * or its lease runs out; a replica behind a narrowing change is given up, and gets a lease
 * again only once it has caught up.
 */
import { describe, expect, it } from 'vitest';
import { QuotaLedger } from '../../src/decide/quota.js';
import { systemClock } from '../../src/daemon/clock.js';
import { LeaseHorizon } from '../../src/daemon/replica/horizon.js';
import { ReplicaHub, type LeaseClock } from '../../src/daemon/replica/hub.js';
import type { IndexedKey } from '../../src/decide/policy.js';
import { UsageTracker } from '../../src/daemon/usage/tracker.js';
import { KeyIndex } from '../../src/daemon/verify/key-index.js';
import { Lease, renews, type Standing } from '../../src/replica/lease.js';

/** Monotonic time the test moves; timers run when it passes them. */
function handClock() {
  let now = 0;
  const timers = new Set<{ at: number; task: () => void }>();
  const clock: LeaseClock & { add(ms: number): void } = {
    now: () => now,
    after(ms, task) {
      const timer = { at: now + ms, task };
      timers.add(timer);
      return () => void timers.delete(timer);
    },
    add(ms) {
      now += ms;
      for (const timer of [...timers].sort((a, b) => a.at - b.at)) {
        if (timer.at > now || !timers.has(timer)) continue;
        timers.delete(timer);
        timer.task();
      }
    },
  };
  return clock;
}

describe('Lease', () => {
  it('runs from the moment it was counted from, and never shrinks', () => {
    const lease = new Lease();
    expect(lease.holds(0), 'never granted').toBe(false);
    lease.extend(100, 1000);
    expect([lease.holds(1099), lease.holds(1100)]).toEqual([true, false]);
    // The answer to an older ack arrives after a newer one's: the later end stays.
    lease.extend(600, 1000);
    lease.extend(300, 1000);
    expect(lease.endsAt).toBe(1600);
    lease.drop();
    expect(lease.holds(601)).toBe(false);
  });

  it('ends on the replica before it ends on the daemon, however late the answer', () => {
    // The replica sends at 0 (its clock), the daemon grants on receipt 40 ms later, the answer
    // takes 300 ms back. Both clocks tick alike; the replica's view ends 40 ms earlier.
    const replica = new Lease();
    const daemon = new Lease();
    daemon.extend(40, 1000);
    replica.extend(0, 1000);
    for (const t of [0, 500, 999, 1000, 1039]) expect(!replica.holds(t) || daemon.holds(t), `at ${t}`).toBe(true);
  });
});

describe('renews', () => {
  const base: Standing = { streaming: true, acked: 10, floor: 5, leaseHolds: true, behindSince: undefined };

  it('renews a replica that owes no narrowing change', () => {
    expect(renews(base, 10, 0, 250)).toBe(true);
    expect(renews({ ...base, leaseHolds: false }, 8, 0, 250), 'even after a lapse, once caught up').toBe(true);
  });

  it('withholds from one without a stream, or whose copy is older than its stream', () => {
    expect(renews({ ...base, streaming: false }, 0, 0, 250)).toBe(false);
    expect(renews({ ...base, acked: 4 }, 0, 0, 250)).toBe(false);
  });

  it('keeps one that is briefly behind, and gives up on one that stays behind', () => {
    const behind = { ...base, behindSince: 1000 };
    expect(renews(behind, 11, 1249, 250)).toBe(true);
    expect(renews(behind, 11, 1250, 250)).toBe(false);
    expect(renews({ ...behind, leaseHolds: false }, 11, 1001, 250), 'no new lease while it owes one').toBe(false);
  });
});

describe('the write barrier', () => {
  const key = (id: string, status: IndexedKey['status'] = 'active'): IndexedKey => ({ id, name: id, hash: id.padEnd(64, '0'), status, expiresAt: null });
  const owner = { id: 'op_service', name: 'svc', role: 'service' as const };

  function hub() {
    const clock = handClock();
    const index = new KeyIndex();
    index.load([key('a'), key('b')]);
    const quotas = new QuotaLedger();
    const usage = new UsageTracker({ applyUsage: async () => {}, quotas: async () => [] }, systemClock, () => {}, quotas);
    const replicas = new ReplicaHub({ index, usage, alerts: { sighted: () => {} }, quotas, now: Date.now, following: () => true, isActive: () => true, log: () => {}, horizon: new LeaseHorizon(undefined), clock });
    /** A replica whose snapshot is complete and whose lease was granted. */
    const connect = () => {
      const session = replicas.open(owner);
      const ack = (seq: number | undefined) => replicas.ack(owner, { replicaId: session.id, seq });
      return { session, ack };
    };
    return { clock, index, replicas, connect };
  }

  async function settledWithin(promise: Promise<void>): Promise<boolean> {
    let done = false;
    void promise.then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    return done;
  }

  it('lets a narrowing write return once every replica with a lease has acked it', async () => {
    const { index, replicas, connect } = hub();
    const one = connect();
    const two = connect();
    expect(one.ack(0).lease).toBe('granted');
    expect(two.ack(0).lease).toBe('granted');
    index.setStatus('a', 'inactive');
    const write = replicas.settled();
    expect(await settledWithin(write)).toBe(false);
    expect(one.ack(1).lease).toBe('granted');
    expect(await settledWithin(write), 'one replica still has to ack').toBe(false);
    two.ack(1);
    expect(await settledWithin(write)).toBe(true);
  });

  it('answers a widening write at once, and waits for nobody without a lease', async () => {
    const { index, replicas, connect } = hub();
    const silent = connect();
    index.put(key('c'));
    expect(await settledWithin(replicas.settled()), 'a new key').toBe(true);
    silent.ack(undefined); // a report without a seq grants nothing
    index.remove('c');
    expect(await settledWithin(replicas.settled()), 'no replica holds a lease').toBe(true);
  });

  it('waits out the lease of a replica that falls silent, and no longer', async () => {
    const { clock, index, replicas, connect } = hub();
    const frozen = connect();
    frozen.ack(0);
    clock.add(400);
    index.setStatus('a', 'inactive');
    const write = replicas.settled();
    clock.add(599);
    expect(await settledWithin(write), 'the lease holds 1 ms more').toBe(false);
    clock.add(1);
    expect(await settledWithin(write)).toBe(true);
    // Its acks of what it had before grant nothing now; catching up does.
    expect(frozen.ack(0).lease).toBe('withheld');
    expect(frozen.ack(1).lease).toBe('granted');
  });

  it('gives up on a replica that keeps acking but stays behind', async () => {
    const { clock, index, replicas, connect } = hub();
    const stuck = connect();
    stuck.ack(0);
    index.setStatus('a', 'inactive');
    const write = replicas.settled();
    clock.add(100);
    expect(stuck.ack(0).lease, 'briefly behind: renewed').toBe('granted');
    clock.add(200);
    expect(stuck.ack(0).lease, 'behind for longer than a quarter lease').toBe('withheld');
    clock.add(799);
    expect(await settledWithin(write)).toBe(false);
    clock.add(1);
    expect(await settledWithin(write), 'its last grant ran out 1.1 s after the write').toBe(true);
  });

  it('forgets a replica that says it is closing, without waiting out its lease', async () => {
    const { index, replicas, connect } = hub();
    const leaving = connect();
    leaving.ack(0);
    index.remove('b');
    const write = replicas.settled();
    replicas.ack(owner, { replicaId: leaving.session.id, closing: true });
    expect(await settledWithin(write)).toBe(true);
    expect(leaving.ack(2).lease).toBe('unknown');
  });
});
