/**
 * How often a replica (`keyward/verifier` against a real daemon) acks: at once after a change
 * that takes access away, since a write waits for that ack; a change that widens access waits
 * for the regular ack (every `ackMs`), so creating keys does not cost every replica an ack each.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AckInput } from '../../src/daemon/replica/schemas.js';
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
