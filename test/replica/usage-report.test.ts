/**
 * What a verifier reports of the usage it answered reaches the daemon however many callers a
 * key had within one report: parts are bounded by size, not by keys alone. Before, a key with
 * ~600 distinct 120-character callers in one second made an ack over the daemon's 64 KiB
 * limit, refused with 413, and every later report waited behind it for good (usage, rotation
 * evidence and quotas lost across replicas).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier } from '../../src/integration/verifier/index.js';
import { freePort, startTestDaemon, storeQuery, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
let verifier: Verifier;

beforeAll(async () => {
  t = await startTestDaemon({ port: await freePort() });
  const token = (await t.client.createOperator('orders-api', 'service')).token;
  verifier = createVerifier({ url: t.url, token, onStateChange: () => {} });
  await verifier.ready();
});
afterAll(async () => {
  await verifier?.close();
  await t?.stop();
});

describe("a verifier's usage reports", () => {
  it('reach the daemon with 1,100 long callers of one key in a second, and the reports after them too', async () => {
    const busy = await t.client.createKey('busy');
    const later = await t.client.createKey('later');
    await expect.poll(() => verifier.verifyNow?.(later.secret)?.valid).toBe(true);
    let uses = 0;
    for (let i = 0; i < 1100; i++, uses++) expect(verifier.verifyNow!(busy.secret, { caller: `${i}-${'c'.repeat(120)}` })?.valid).toBe(true);
    await expect.poll(async () => (await t.client.getKey(busy.key.id)).key.uses24h, { timeout: 10_000 }).toBe(uses);
    for (let i = 0; i < 3; i++) verifier.verifyNow!(later.secret, { caller: 'afterwards' });
    await expect.poll(async () => (await t.client.usage(later.key.id)).callers.find((c) => c.caller === 'afterwards')?.ok, { timeout: 10_000 }).toBe(3);
    expect((await t.client.usage(busy.key.id)).callers, 'the 100 seen most recently').toHaveLength(100);
    // Past the 1,000 callers a key keeps, the rest are added up (by the replica or the daemon): none is lost.
    const counted = async () => (await storeQuery<{ ok: number }>(t, 'select ok from key_callers where key_id = ?', [busy.key.id])).reduce((n, r) => n + Number(r.ok), 0);
    await expect.poll(counted, { timeout: 10_000 }).toBe(uses);
  });
});
