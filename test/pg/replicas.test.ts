/**
 * Replicas of two daemons on one PostgreSQL database (issue 14 (e)). A deactivation through
 * daemon A answers once A's replicas have it, exactly as with one daemon; B's replicas learn
 * it through B's change feed, and refuse the key within `B_BOUND_MS` of A's answer (the feed's
 * delay plus B's stream: tens of milliseconds here). docs/replicas.md states the bound.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import { killLeftoverServices, startService, type ServiceProcess } from '../helpers/service-process.js';
import { pgTitle, TEST_DATABASE_URL } from './database.js';
import { useDaemonPair } from './shared-daemons.js';

/** How long after A's answer B's replicas may still accept: the bound the two-daemon tests hold B itself to. */
const B_BOUND_MS = 1000;

describe.skipIf(!TEST_DATABASE_URL)(pgTitle('replicas of two daemons on one PostgreSQL database'), () => {
  const pair = useDaemonPair();
  let a: TestDaemon;
  let ofA: ServiceProcess;
  let ofB: ServiceProcess;

  beforeAll(async () => {
    a = pair.a;
    const { token } = await a.client.createOperator('orders-api', 'service');
    // B knows the operator once its feed has it.
    await vi.waitFor(async () => expect((await pair.b.api('GET', '/v1/me', undefined, token)).status).toBe(200));
    [ofA, ofB] = await Promise.all([startService({ url: a.url, token }), startService({ url: pair.b.url, token })]);
    await Promise.all([ofA.replicating(), ofB.replicating()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([ofA?.stop(), ofB?.stop()]);
    killLeftoverServices();
  });

  it('refuses a key deactivated through A in A’s replicas when A answers, in B’s within the bound', async () => {
    const { key, secret } = await a.client.createKey('two-daemon-replicas');
    await vi.waitFor(async () => {
      expect((await ofA.check(secret)).status).toBe(200);
      expect((await ofB.check(secret)).status).toBe(200);
    });
    const calls: { service: 'A' | 'B'; started: number; accepted: boolean }[] = [];
    let running = true;
    const loops = (['A', 'B'] as const).flatMap((service) =>
      Array.from({ length: 3 }, async () => {
        while (running) {
          const started = performance.now();
          calls.push({ service, started, accepted: (await (service === 'A' ? ofA : ofB).check(secret)).status === 200 });
        }
      }),
    );
    let answered = Number.POSITIVE_INFINITY;
    try {
      await vi.waitFor(() => expect(calls.length).toBeGreaterThan(200), { timeout: 10_000 });
      await a.client.deactivateKey(key.id);
      answered = performance.now();
      await vi.waitFor(() => expect(calls.filter((c) => c.started > answered + B_BOUND_MS).length).toBeGreaterThan(200), { timeout: 20_000 });
    } finally {
      running = false;
      await Promise.all(loops);
    }
    const acceptedAfter = (service: 'A' | 'B') => calls.filter((c) => c.service === service && c.accepted && c.started > answered);
    expect(acceptedAfter('A'), 'A’s replica: nothing after A answered').toEqual([]);
    const lastOfB = Math.max(0, ...acceptedAfter('B').map((c) => c.started - answered));
    expect(lastOfB, 'B’s replica: nothing later than the bound').toBeLessThan(B_BOUND_MS);
    for (const service of ['A', 'B'] as const) expect(calls.some((c) => c.service === service && c.accepted), `${service} accepted the key before`).toBe(true);
  });
});
