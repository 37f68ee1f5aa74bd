/**
 * Issue 15 and rotation: the new key inherits the old key's description, labels and policy
 * (a quota with what is left of it); the finished rotation can give the new key the old name;
 * refusals for IP, scope, rate and quota count as rejected uses in the rotation's evidence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
afterEach(async () => {
  await t?.stop();
});

const POLICY = {
  description: 'Checkout',
  owner: 'team-orders',
  meta: { tier: 'gold' },
  scopes: ['orders:*'],
  allowedIps: ['192.0.2.0/24'],
  rateLimit: { limit: 50, windowSeconds: 60 },
  quota: { remaining: 10, refill: { amount: 10, intervalSeconds: 3600 } },
};

const advance = (id: string, body: Record<string, unknown>) => t.api('POST', `/v1/rotations/${id}/advance`, body);

async function rotated() {
  const old = (await t.api('POST', '/v1/keys', { name: 'checkout', ...POLICY })).body;
  for (let i = 0; i < 3; i++) await t.client.verify(old.secret, 'shop', { ip: '192.0.2.7' });
  const started = await t.api('POST', `/v1/keys/${old.key.id}/rotations`, {});
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { old, rotation: started.body.rotation, newSecret: started.body.secret };
}

/** Walks a rotation to delete_old, with one successful use of the new key. */
async function toDeleteOld(rotationId: string, newSecret: string) {
  await advance(rotationId, { from: 'update_systems' });
  expect((await t.client.verify(newSecret, 'shop', { ip: '192.0.2.7' })).valid).toBe(true);
  // Forced past double_check: its watch window is not what these tests are about.
  for (const from of ['verify_new', 'deactivate_old', 'double_check']) expect((await advance(rotationId, { from, force: from === 'double_check' })).status).toBe(200);
}

describe('rotation with policy', () => {
  it('gives the new key the old key’s description, labels, policy and what is left of its quota', async () => {
    t = await startTestApp();
    const { old, rotation, newSecret } = await rotated();
    const newKey = (await t.api('GET', `/v1/keys/${rotation.newKeyId}`)).body.key;
    const { quota, ...rest } = POLICY;
    expect(newKey).toMatchObject({ ...rest, name: 'checkout-2', quota: { remaining: 7, refill: quota.refill, nextRefillAt: old.key.quota?.nextRefillAt } });
    expect(await t.client.verify(newSecret, 'shop', { ip: '198.51.100.1' })).toEqual({ valid: false, code: 'ip_not_allowed' });
    expect(await t.client.verify(newSecret, 'shop', { ip: '192.0.2.7', scope: 'billing:read' })).toEqual({ valid: false, code: 'insufficient_scope' });
    expect(await t.client.verify(newSecret, 'shop', { ip: '192.0.2.7', scope: 'orders:read' })).toMatchObject({
      valid: true,
      owner: 'team-orders',
      meta: { tier: 'gold' },
      quota: { remaining: 6 },
    });
    // Each key counts its own uses from there.
    expect((await t.api('GET', `/v1/keys/${old.key.id}`)).body.key.quota?.remaining).toBe(7);
  });

  it('lets the two keys of a rotation use at most twice what was left of the quota, then refuses both', async () => {
    t = await startTestApp();
    const old = (await t.api('POST', '/v1/keys', { name: 'metered', quota: { remaining: 5 } })).body;
    for (let i = 0; i < 2; i++) expect((await t.client.verify(old.secret, 'shop')).valid).toBe(true);
    const started = await t.api('POST', `/v1/keys/${old.key.id}/rotations`, {});
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const outcomes = async (secret: string) => {
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const result = await t.client.verify(secret, 'shop');
        codes.push(result.valid ? 'valid' : result.code);
      }
      return codes;
    };
    // Three were left: each key may spend them, once, and no more (docs/policy.md, "Rotation").
    const spent = ['valid', 'valid', 'valid', 'quota_exhausted'];
    expect(await outcomes(started.body.secret)).toEqual(spent);
    expect(await outcomes(old.secret)).toEqual(spent);
  });

  it('gives the new key the old name when the finishing advance asks for it', async () => {
    t = await startTestApp();
    const { old, rotation, newSecret } = await rotated();
    await toDeleteOld(rotation.id, newSecret);
    const done = await advance(rotation.id, { from: 'delete_old', takeOldName: true });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.rotation).toMatchObject({ step: 'completed', outcome: 'deleted', newKeyName: 'checkout', oldKeyName: 'checkout' });
    expect((await t.api('GET', `/v1/keys/${rotation.newKeyId}`)).body.key).toMatchObject({ name: 'checkout', owner: 'team-orders' });
    expect((await t.api('GET', `/v1/keys/${old.key.id}`)).status).toBe(404);
    expect(await t.client.verify(newSecret, 'shop', { ip: '192.0.2.7' })).toMatchObject({ valid: true, name: 'checkout' });
    const events = (await t.api('GET', '/v1/audit?limit=3')).body.events.map((e) => [e.action, e.targetName, e.detail]);
    expect(events).toEqual([
      ['rotation.advance', 'checkout', expect.objectContaining({ from: 'delete_old', to: 'completed', newKeyName: 'checkout' })],
      ['key.update', 'checkout', { fields: ['name'], name: { from: 'checkout-2', to: 'checkout' }, rotation: rotation.id }],
      ['key.delete', 'checkout', { rotation: rotation.id }],
    ]);
    expect(await t.daemon.core.verifyAudit()).toMatchObject({ ok: true });
  });

  it('takes the old key’s current name, and refuses takeOldName with keepOld or before delete_old', async () => {
    t = await startTestApp();
    const { old, rotation, newSecret } = await rotated();
    expect((await advance(rotation.id, { from: 'update_systems', takeOldName: true })).body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/only accepted when advancing from delete_old/) });
    await toDeleteOld(rotation.id, newSecret);
    expect((await advance(rotation.id, { from: 'delete_old', takeOldName: true, keepOld: true })).body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/needs the old key deleted/) });
    await t.api('PATCH', `/v1/keys/${old.key.id}`, { name: 'checkout-legacy' });
    expect((await advance(rotation.id, { from: 'delete_old', takeOldName: true })).body.rotation.newKeyName).toBe('checkout-legacy');
    expect((await t.api('GET', `/v1/keys/${rotation.newKeyId}`)).body.key.name).toBe('checkout-legacy');
  });

  it('counts IP, scope, rate and quota refusals of the old key as rejected uses in the evidence', async () => {
    t = await startTestApp();
    const old = (await t.api('POST', '/v1/keys', { name: 'metered', allowedIps: ['192.0.2.0/24'], scopes: ['a:read'], rateLimit: { limit: 1, windowSeconds: 3600 }, quota: { remaining: 2 } })).body;
    const started = (await t.api('POST', `/v1/keys/${old.key.id}/rotations`, {})).body;
    await advance(started.rotation.id, { from: 'update_systems' });
    const verify = async (context: { ip: string; scope?: string }) => {
      const r = await t.client.verify(old.secret, 'svc', context);
      return r.valid ? 'valid' : r.code;
    };
    const inside = { ip: '192.0.2.1' };
    expect([await verify(inside), await verify({ ip: '10.0.0.1' }), await verify({ ...inside, scope: 'b:write' }), await verify(inside)]).toEqual([
      'valid',
      'ip_not_allowed',
      'insufficient_scope',
      'rate_limited',
    ]);
    await t.api('PATCH', `/v1/keys/${old.key.id}`, { rateLimit: null });
    expect([await verify(inside), await verify(inside)]).toEqual(['valid', 'quota_exhausted']);
    const evidence = (await t.api('GET', `/v1/rotations/${started.rotation.id}`)).body.rotation.evidence;
    expect(evidence.oldKey).toMatchObject({ ok: 2, rejected: 4, callers: [expect.objectContaining({ caller: 'svc', ok: 2, rejected: 4 })] });
  });
});
