/**
 * The lease horizon (src/daemon/replica/horizon.ts, the home's `replica-leases`): a daemon
 * started again lets no narrowing write return before the leases its previous run granted
 * have run out — after a clean stop and after a SIGKILL — and a daemon that cannot write the
 * file grants no lease.
 */
import { mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { createVerifier } from '../../src/integration/verifier/index.js';
import { freePort, startTestApp, startTestDaemon, tempHome, type TestDaemon } from '../helpers/daemon.js';
import { handReplica } from '../helpers/replica-stream.js';
import { killLeftoverDaemons, startChildDaemon } from '../reliability/helpers/child-daemon.js';

const LEASE_MS = 1000;
/** What a write may take beyond a lease: scheduling on a busy two-core box. */
const SLACK_MS = 500;
/** The file holds whole wall-clock milliseconds; the two conversions may each lose one. */
const ROUNDING_MS = 3;

afterAll(() => killLeftoverDaemons());

/** A verifier that says nothing on stderr. */
const quietly = () => {};

describe('a daemon started again under its previous run’s leases', () => {
  it('after a clean stop, holds a deactivation until the last lease granted before the stop has run out', async () => {
    // The same port: the replicas may come back to it, as they would to a restarted daemon.
    const t = await startTestDaemon({ port: await freePort() });
    // Stopped (and its home removed) however far the test got, its own setup included.
    onTestFinished(() => t.stop());
    const token = (await t.client.createOperator('orders-api', 'service')).token;
    const { key, secret } = await t.client.createKey('across-the-restart');
    const verifier = createVerifier({ url: t.url, token, onStateChange: quietly });
    const hand = await handReplica(t, token);
    try {
      await verifier.ready();
      await expect.poll(() => verifier.verifyNow?.(secret)?.valid).toBe(true);
      const { seq } = await hand.next<{ seq: number }>('ready');
      // The hand replica's lease runs from this send, as keyward/verifier counts its own.
      const sentAt = performance.now();
      expect((await hand.ack({ seq })).lease).toBe('granted');

      await t.restart();
      const issued = performance.now();
      expect(issued, 'the new daemon is up while that lease still holds').toBeLessThan(sentAt + LEASE_MS - 100);
      await t.client.deactivateKey(key.id);
      const returned = performance.now();
      // The guarantee: once the write returned, no replica accepts the key.
      expect(verifier.verifyNow?.(secret)?.valid ?? false, 'the verifier accepts the key no more').toBe(false);

      expect(returned, 'the deactivation returned once the old lease had run out').toBeGreaterThanOrEqual(sentAt + LEASE_MS - ROUNDING_MS);
      expect(returned - issued, 'and not much later').toBeLessThan(LEASE_MS + SLACK_MS);
    } finally {
      hand.close();
      await verifier.close();
    }
  });

  it('after a SIGKILL, holds a deactivation for a whole lease from its start', async () => {
    const home = tempHome();
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const killed = await startChildDaemon(home);
    const token = (await killed.client.createOperator('orders-api', 'service')).token;
    const { key, secret } = await killed.client.createKey('across-the-crash');
    const verifier = createVerifier({ url: killed.url, token, onStateChange: quietly });
    let t: TestDaemon | undefined;
    try {
      await verifier.ready();
      await expect.poll(() => verifier.verifyNow?.(secret)?.valid).toBe(true);
      // Written with the grants, a few seconds ahead: a killed daemon never writes it at its stop.
      expect(Number(readFileSync(join(home, 'replica-leases'), 'utf8'))).toBeGreaterThan(Date.now() + LEASE_MS);

      await killed.stop('SIGKILL');
      const killedAt = performance.now();
      // On a port of its own: this replica cannot reach it and keeps answering from its copy.
      t = await startTestDaemon({ home });
      const issued = performance.now();
      expect(verifier.state, 'the replica still answers from its copy under its last lease').toBe('replica');
      expect(verifier.verifyNow?.(secret)?.valid).toBe(true);
      await t.client.deactivateKey(key.id);
      const returned = performance.now();
      // The guarantee: once the write returned, no replica accepts the key.
      expect(verifier.verifyNow?.(secret)?.valid ?? false, 'the verifier accepts the key no more').toBe(false);

      // Its last ack went out before the kill, so its lease ended by killedAt + LEASE_MS.
      expect(returned - killedAt, 'the deactivation outwaited every lease the killed daemon granted').toBeGreaterThanOrEqual(LEASE_MS);
      expect(returned - issued, 'and not much longer than a lease').toBeLessThan(LEASE_MS + SLACK_MS);
    } finally {
      await verifier.close();
      await killed.stop('SIGKILL');
      await t?.stop();
    }
  });
});

describe('a daemon that cannot record its leases', () => {
  it('grants none, and grants again once it can', async () => {
    const t = await startTestApp();
    const obstacle = join(t.home, 'replica-leases');
    try {
      const token = (await t.client.createOperator('orders-api', 'service')).token;
      const { key } = await t.client.createKey('unrecorded');
      // A directory where the file goes: writing it (a rename over it) fails.
      mkdirSync(obstacle);
      const replica = await handReplica(t, token);
      const { seq } = await replica.next<{ seq: number }>('ready');
      expect(await replica.ack({ seq })).toMatchObject({ lease: 'withheld', leaseMs: 0 });
      expect(await replica.ack({ seq })).toMatchObject({ lease: 'withheld', leaseMs: 0 });

      // Without a lease it holds up no narrowing write.
      const started = performance.now();
      await t.client.deactivateKey(key.id);
      expect(performance.now() - started).toBeLessThan(LEASE_MS / 2);
      const change = await replica.next<{ seq: number }>('change');

      rmdirSync(obstacle);
      expect(await replica.ack({ seq: change.seq })).toMatchObject({ lease: 'granted', leaseMs: LEASE_MS });
      expect(Number(readFileSync(obstacle, 'utf8'))).toBeGreaterThan(Date.now() + LEASE_MS);
      replica.close();
    } finally {
      await t.stop();
    }
  });
});
