/**
 * How often a replica (`keyward/verifier` against a real daemon) acks: at once after a change
 * that takes access away, since a write waits for that ack; a change that widens access waits
 * for the regular ack (every `ackMs`), so creating keys does not cost every replica an ack each.
 * A daemon that does not mark the narrowing changes (no `marksNarrowing` in its hello) gets
 * every change acked at once, as before.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AckInput } from '../../src/daemon/replica/schemas.js';
import type { Hello } from '../../src/replica/wire.js';
import { createVerifier, type Verifier } from '../../src/integration/verifier/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/** Regular acks far apart, so what the test sees is only the acks sent at once. */
const ACK_MS = 10_000;

let t: TestDaemon;
let verifier: Verifier;
/** The `seq` of each ack the daemon took, in order, but for those that report usage (about once a second after a verify). */
const acks: (number | undefined)[] = [];

beforeAll(async () => {
  t = await startTestDaemon({ replicas: { leaseMs: 4 * ACK_MS, ackMs: ACK_MS } });
  const { token } = await t.client.createOperator('orders-api', 'service');
  const hub = t.daemon.core.replicas;
  const take = hub.ack.bind(hub);
  hub.ack = (owner, body: AckInput) => {
    if (!body.usage) acks.push(body.seq);
    return take(owner, body);
  };
  verifier = createVerifier({ url: t.url, token });
  await verifier.ready();
});
afterAll(async () => {
  await verifier.close();
  await t.stop();
});

it('acks widening changes with its regular ack, and a narrowing one at once', async () => {
  // The ack that made the copy ready, then no regular one for ACK_MS.
  expect(acks).toHaveLength(1);
  const made: Awaited<ReturnType<typeof t.client.createKey>>[] = [];
  for (let i = 0; i < 30; i++) made.push(await t.client.createKey(`acks-${i}`));
  // In the copy (a key it lacks would be asked of the daemon: not in the copy yet, no answer now).
  await expect.poll(() => verifier.verifyNow?.(made[29]!.secret)?.valid).toBe(true);
  // Acking each of those changes would have been 30 acks.
  expect(acks).toHaveLength(1);

  const deactivated = performance.now();
  await t.client.deactivateKey(made[0]!.key.id);
  // It waited for an ack of the change, sent at once rather than with the regular ack.
  expect(performance.now() - deactivated).toBeLessThan(ACK_MS / 2);
  expect(acks).toHaveLength(2);
  expect((await verifier.verify(made[0]!.secret)).valid).toBe(false);
});

it('acks every change at once when the daemon does not mark the narrowing ones (an older daemon)', async () => {
  const older = await startTestDaemon({ replicas: { leaseMs: 4 * ACK_MS, ackMs: ACK_MS } });
  try {
    const { token } = await older.client.createOperator('orders-api', 'service');
    const hub = older.daemon.core.replicas;
    // Its hellos as a daemon from before `marksNarrowing` sent them.
    const open = hub.open.bind(hub);
    hub.open = (...args) => {
      const session = open(...args);
      return {
        ...session,
        async *opening() {
          for await (const frame of session.opening()) {
            if ('event' in frame && frame.event === 'hello') {
              const { marksNarrowing: _, ...hello } = JSON.parse(frame.data) as Hello;
              yield { event: 'hello', data: JSON.stringify(hello) };
            } else yield frame;
          }
        },
      };
    };
    const take = hub.ack.bind(hub);
    let immediate = 0;
    hub.ack = (owner, body: AckInput) => {
      if (!body.usage) immediate++;
      return take(owner, body);
    };
    const replica = createVerifier({ url: older.url, token });
    try {
      await replica.ready();
      const before = immediate;
      const made: Awaited<ReturnType<typeof older.client.createKey>>[] = [];
      for (let i = 0; i < 5; i++) made.push(await older.client.createKey(`older-${i}`));
      await expect.poll(() => replica.verifyNow?.(made[4]!.secret)?.valid, { timeout: 5000 }).toBe(true);
      // One ack a change (or a burst of them): none waits for the regular ack, ACK_MS away.
      await expect.poll(() => immediate - before, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    } finally {
      await replica.close();
    }
  } finally {
    await older.stop();
  }
});
