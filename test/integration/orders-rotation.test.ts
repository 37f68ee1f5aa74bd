/**
 * Issues 6 and 7: `examples/orders-service`, protected by the keyward middleware, serves two
 * clients while its API key is rotated. Traffic with the old and the new key is the evidence
 * each step shows; deactivating the old key turns its requests into 401s at the service, and
 * the double-check step sees exactly who is still sending it.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationJson } from '../../src/client/client.js';
import { ordersApp } from '../../examples/orders-service/app.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
let server: ServerType;
let ordersUrl: string;
let app: ReturnType<typeof ordersApp>['app'];
let close: () => Promise<void>;
// Evidence is counted in whole minutes; the test moves the daemon's clock ahead a minute
// before each cut-over instead of waiting for the next one.
let offset = 0;

beforeAll(async () => {
  t = await startTestDaemon({ now: () => Date.now() + offset });
  const { token } = await t.client.createOperator('orders-service', 'service');
  // Remote: each request counted at the daemon as it happens, so the evidence is exact at every
  // step (a replica reports about once a second: test/replica/processes.test.ts).
  ({ app, close } = ordersApp({ keywardUrl: t.url, keywardToken: token, mode: 'remote' }));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  ordersUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await close();
  await t.stop();
});

/** One client of the orders service: its name and the API key it is configured with. */
async function order(client: string, key: string): Promise<number> {
  const res = await fetch(`${ordersUrl}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'x-client-name': client, 'content-type': 'application/json' },
    body: JSON.stringify({ item: 'coffee', quantity: 1 }),
  });
  await res.body?.cancel();
  return res.status;
}

async function advance(id: string, from: RotationJson['step'], force = false): Promise<RotationJson> {
  return (await t.client.advance(id, { from, force })).rotation;
}

describe('rotating the orders service key under traffic', () => {
  it('moves both clients to the new key, step by step, on evidence', async () => {
    const { secret: oldKey, key } = await t.client.createKey('orders-clients');
    expect(await order('checkout', oldKey)).toBe(201);
    expect(await order('legacy-batch', oldKey)).toBe(201);

    const started = await t.client.startRotation(key.id);
    const id = started.rotation.id;
    const newKey = started.secret;
    let r = await advance(id, 'update_systems');
    expect(r.step).toBe('verify_new');
    await expect(advance(id, 'verify_new'), 'no traffic on the new key yet').rejects.toMatchObject({ code: 'rotation_guard' });

    // checkout is updated first; legacy-batch keeps the old key for now.
    expect(await order('checkout', newKey)).toBe(201);
    expect(await order('legacy-batch', oldKey)).toBe(201);
    r = (await t.client.rotation(id)).rotation;
    expect(r.evidence.newKey).toMatchObject({ ok: 1, rejected: 0 });
    expect(r.evidence.newKey.callers.map((c) => c.caller)).toEqual(['checkout']);
    expect(r.evidence.oldKey.callers.map((c) => c.caller)).toContain('legacy-batch');
    expect(r.evidence.canAdvance).toBe(true);
    expect(r.evidence.systems.yetToSwitch.map((c) => c.caller)).toEqual(['legacy-batch']);
    expect(r.evidence.systems.switched.map((c) => c.caller)).toEqual(['checkout']);

    r = await advance(id, 'verify_new');
    offset += 60_000;
    r = await advance(id, 'deactivate_old');
    expect(r.step).toBe('double_check');
    expect(await order('checkout', newKey)).toBe(201);
    expect(await order('legacy-batch', oldKey), 'the service refuses the old key at once').toBe(401);

    r = (await t.client.rotation(id)).rotation;
    expect(r.evidence.oldKey).toMatchObject({ status: 'inactive', rejected: 1 });
    expect(r.evidence.oldKey.callers).toEqual([expect.objectContaining({ caller: 'legacy-batch', rejected: 1 })]);
    expect(r.evidence.newKey).toMatchObject({ ok: 1 });
    expect(r.evidence.canAdvance).toBe(false);
    await expect(advance(id, 'double_check'), 'legacy-batch still sends the old key').rejects.toMatchObject({ code: 'rotation_guard' });

    // Roll back so legacy-batch works again while it is updated, then cut over once more.
    r = (await t.client.rollback(id)).rotation;
    expect(r.step).toBe('verify_new');
    expect(await order('legacy-batch', oldKey)).toBe(201);
    offset += 2 * 60_000;
    expect(await order('legacy-batch', newKey)).toBe(201);
    r = await advance(id, 'verify_new');
    offset += 60_000;
    r = await advance(id, 'deactivate_old');
    expect(await order('checkout', newKey)).toBe(201);
    expect(await order('legacy-batch', newKey)).toBe(201);
    r = (await t.client.rotation(id)).rotation;
    expect(r.evidence.oldKey.rejected).toBe(0);
    expect(r.evidence.newKey.ok).toBe(2);
    expect(r.evidence.newKey.callers.map((c) => c.caller).sort()).toEqual(['checkout', 'legacy-batch']);

    expect(r.evidence.systems).toMatchObject({ yetToSwitch: [], switched: [{ caller: 'legacy-batch' }, { caller: 'checkout' }] });
    await expect(advance(id, 'double_check'), 'the watch window has not passed').rejects.toMatchObject({ code: 'rotation_guard' });
    offset += 10 * 60_000;
    r = await advance(id, 'double_check');
    r = await advance(id, 'delete_old');
    expect(r).toMatchObject({ step: 'completed', outcome: 'deleted' });
    expect(await order('legacy-batch', oldKey)).toBe(401);
    expect(await order('checkout', newKey)).toBe(201);
    const { events } = await t.client.audit({ limit: 50 });
    expect(events.filter((e) => e.targetId === id && e.detail.force)).toEqual([]);
  });
});
