/** Issue 6: the stepwise rotation with live evidence, through HTTP and real verify calls. */
import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/daemon/secrets/format.js';
import { manualClock } from '../helpers/clock.js';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
/** The daemon's clock: tests move it past the watch window instead of waiting for it. */
let clock = manualClock(Date.now());
const WATCH_MS = 10 * 60_000;
afterEach(async () => {
  await t?.stop();
});

async function setup(options: Parameters<typeof startTestApp>[0] = {}) {
  clock = manualClock(Date.now());
  t = await startTestApp(options.clock || options.now ? options : { clock, ...options });
  const old = (await t.api('POST', '/v1/keys', { name: 'billing' })).body;
  const started = await t.api('POST', `/v1/keys/${old.key.id}/rotations`, {});
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { oldKey: old.key, oldSecret: old.secret as string, rotation: started.body.rotation, newSecret: started.body.secret as string };
}

const advance = (id: string, body: Record<string, unknown>) => t.api('POST', `/v1/rotations/${id}/advance`, body);

describe('rotation', () => {
  it('walks the happy path on real traffic and deletes the old key', async () => {
    const { oldKey, oldSecret, rotation, newSecret } = await setup();
    expect(newSecret).toMatch(/^kw_/);
    expect(rotation).toMatchObject({ step: 'update_systems', oldKeyId: oldKey.id, oldKeyName: 'billing', newKeyName: 'billing-2', createdBy: 'admin' });
    expect((await t.client.getKey(rotation.newKeyId)).key).toMatchObject({ name: 'billing-2', status: 'active' });

    await t.client.verify(oldSecret, 'orders');
    expect((await advance(rotation.id, { from: 'update_systems' })).body.rotation.step).toBe('verify_new');

    await t.client.verify(newSecret, 'orders-v2');
    await t.client.verify(newSecret, 'orders-v2');
    const verifying = (await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation;
    expect(verifying.evidence.newKey).toMatchObject({ ok: 2, rejected: 0 });
    expect(verifying.evidence.newKey.callers.map((c) => c.caller)).toEqual(['orders-v2']);
    expect(verifying.evidence.canAdvance).toBe(true);
    expect((await advance(rotation.id, { from: 'verify_new' })).body.rotation.step).toBe('deactivate_old');

    const deactivating = (await advance(rotation.id, { from: 'deactivate_old' })).body.rotation;
    expect(deactivating.step).toBe('double_check');
    expect(deactivating.evidence.oldKey.status).toBe('inactive');
    expect(t.daemon.core.index.lookup(hashSecret(oldSecret))?.status).toBe('inactive');
    expect((await t.client.verify(newSecret)).valid).toBe(true);
    clock.add(WATCH_MS);
    const checking = (await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.evidence;
    expect(checking).toMatchObject({ canAdvance: true, guard: null, oldKey: { rejected: 0 } });

    expect((await advance(rotation.id, { from: 'double_check' })).body.rotation.step).toBe('delete_old');
    const done = (await advance(rotation.id, { from: 'delete_old' })).body.rotation;
    expect(done).toMatchObject({ step: 'completed', outcome: 'deleted' });
    expect(done.endedAt).not.toBeNull();
    expect((await t.api('GET', `/v1/keys/${oldKey.id}`)).status).toBe(404);
    expect(await t.client.verify(oldSecret)).toEqual({ valid: false, code: 'not_found' });
    expect((await t.api('GET', '/v1/rotations')).body.rotations).toEqual([]);
    expect((await t.api('GET', '/v1/rotations?state=all')).body.rotations.map((r) => r.id)).toEqual([rotation.id]);

    const actions = (await t.api('GET', '/v1/audit?limit=100')).body.events.map((e) => e.action).reverse();
    expect(actions).toEqual([
      'operator.create',
      'key.create',
      'key.create',
      'rotation.start',
      'rotation.advance',
      'rotation.advance',
      'key.deactivate',
      'rotation.advance',
      'rotation.advance',
      'key.delete',
      'rotation.advance',
    ]);
    expect(await t.daemon.core.verifyAudit()).toMatchObject({ ok: true });
  });

  it('refuses to leave verify_new without a successful use, then lets force pass and audits it', async () => {
    const { rotation } = await setup();
    await advance(rotation.id, { from: 'update_systems' });
    const refused = await advance(rotation.id, { from: 'verify_new' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('rotation_guard');
    expect(refused.body.error.message).toMatch(/not been used/);
    const shown = (await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.evidence;
    expect(shown.canAdvance).toBe(false);
    expect(shown.guard).toMatch(/not been used/);

    const forced = await advance(rotation.id, { from: 'verify_new', force: true });
    expect(forced.body.rotation.step).toBe('deactivate_old');
    const event = (await t.api('GET', '/v1/audit?limit=1')).body.events[0]!;
    expect(event).toMatchObject({ action: 'rotation.advance', targetId: rotation.id, detail: { from: 'verify_new', to: 'deactivate_old', force: true } });
  });

  it('refuses to leave double_check while the old key is still presented, names the callers, and lets force pass', async () => {
    const { rotation, newSecret, oldSecret } = await setup();
    await t.client.verify(newSecret);
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) await advance(rotation.id, { from });
    await t.client.verify(oldSecret, 'forgotten-cron');
    const evidence = (await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.evidence;
    expect(evidence.oldKey).toMatchObject({ rejected: 1 });
    expect(evidence.oldKey.callers.map((c) => c.caller)).toEqual(['forgotten-cron']);
    const refused = await advance(rotation.id, { from: 'double_check' });
    expect(refused.body.error).toMatchObject({ code: 'rotation_guard' });
    expect(refused.body.error.message).toMatch(/1 time/);
    const forced = await advance(rotation.id, { from: 'double_check', force: true });
    expect(forced.body.rotation.step).toBe('delete_old');
    expect((await t.api('GET', '/v1/audit?limit=1')).body.events[0]!.detail).toMatchObject({ force: true, to: 'delete_old' });
  });

  it('never deletes an old key activated again by hand after the cut-over, not even forced', async () => {
    const { rotation, newSecret, oldSecret, oldKey } = await setup();
    await t.client.verify(newSecret);
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) await advance(rotation.id, { from });
    await t.client.activateKey(oldKey.id);
    // Its uses now succeed: the watch sees no rejection, so only its status can stop the delete.
    expect((await t.client.verify(oldSecret, 'still-using')).valid).toBe(true);
    clock.add(WATCH_MS);
    const refused = await advance(rotation.id, { from: 'double_check' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'rotation_guard', message: expect.stringMatching(/old key is active again/) });
    expect((await advance(rotation.id, { from: 'double_check', force: true })).body.rotation.step).toBe('delete_old');
    const deleting = await advance(rotation.id, { from: 'delete_old' });
    expect(deleting.status).toBe(409);
    expect(deleting.body.error).toMatchObject({ code: 'key_active', message: expect.stringMatching(/deactivate it before the rotation deletes it/) });
    expect((await t.client.getKey(oldKey.id)).key.status, 'still there, still active').toBe('active');
    await t.client.deactivateKey(oldKey.id);
    expect((await advance(rotation.id, { from: 'delete_old' })).body.rotation).toMatchObject({ step: 'completed', outcome: 'deleted' });
  });

  it('finishing with keepOld switches off an old key activated again by hand: kept inactive, as it says', async () => {
    const { rotation, newSecret, oldSecret, oldKey } = await setup();
    await t.client.verify(newSecret);
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) await advance(rotation.id, { from });
    await t.client.activateKey(oldKey.id);
    await advance(rotation.id, { from: 'double_check', force: true });
    const done = await advance(rotation.id, { from: 'delete_old', keepOld: true });
    expect(done.body.rotation).toMatchObject({ step: 'completed', outcome: 'kept_inactive' });
    expect((await t.client.getKey(oldKey.id)).key.status).toBe('inactive');
    expect((await t.client.verify(oldSecret)).valid, 'the old key no longer verifies').toBe(false);
  });

  it('rolls back from double_check by reactivating the old key', async () => {
    const { rotation, newSecret, oldSecret } = await setup();
    await t.client.verify(newSecret);
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) await advance(rotation.id, { from });
    expect((await t.client.verify(oldSecret)).valid).toBe(false);
    const rolled = await t.api('POST', `/v1/rotations/${rotation.id}/rollback`);
    expect(rolled.body.rotation.step).toBe('verify_new');
    expect(rolled.body.rotation.evidence.oldKey.status).toBe('active');
    expect((await t.client.verify(oldSecret)).valid).toBe(true);
    const again = await t.api('POST', `/v1/rotations/${rotation.id}/rollback`);
    expect(again.body.error.code).toBe('rotation_guard');
  });

  it('cancels from any open step, leaving both keys as they are and saying so', async () => {
    const { rotation, oldKey, newSecret } = await setup();
    await t.client.verify(newSecret);
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) await advance(rotation.id, { from });
    const cancelled = await t.api('POST', `/v1/rotations/${rotation.id}/cancel`);
    expect(cancelled.body.rotation).toMatchObject({ step: 'cancelled', outcome: 'cancelled' });
    expect(cancelled.body.message).toMatch(/both keys were left as they are: "billing" is inactive, "billing-2" is active/);
    expect((await t.client.getKey(oldKey.id)).key.status).toBe('inactive');
    expect((await t.client.getKey(rotation.newKeyId)).key.status).toBe('active');
    expect((await t.api('POST', `/v1/rotations/${rotation.id}/cancel`)).body.error.code).toBe('rotation_guard');
    expect((await advance(rotation.id, { from: 'cancelled' })).body.error.code).toBe('rotation_guard');
    // The key is free for a new rotation.
    expect((await t.api('POST', `/v1/keys/${oldKey.id}/rotations`, { name: 'billing-next' })).status).toBe(201);
  });

  it('lets exactly one of two concurrent advances through', async () => {
    const { rotation } = await setup();
    const results = await Promise.all([advance(rotation.id, { from: 'update_systems' }), advance(rotation.id, { from: 'update_systems' })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('step_changed');
    expect((await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.step).toBe('verify_new');
  });

  it('allows one open rotation per key and protects its keys', async () => {
    const { rotation, oldKey } = await setup();
    const second = await t.api('POST', `/v1/keys/${oldKey.id}/rotations`, {});
    expect(second.body.error.code).toBe('rotation_open');
    expect((await t.api('POST', `/v1/keys/${rotation.newKeyId}/rotations`, {})).body.error.code).toBe('rotation_open');
    await t.api('POST', `/v1/keys/${rotation.newKeyId}/deactivate`);
    expect((await t.api('DELETE', `/v1/keys/${rotation.newKeyId}`)).body.error.code).toBe('rotation_open');
    expect((await t.api('GET', '/v1/keys?q=billing')).body.keys).toHaveLength(2);
  });

  it('resumes at the same step after a restart', async () => {
    const { rotation, newSecret } = await setup();
    await t.client.verify(newSecret);
    await advance(rotation.id, { from: 'update_systems' });
    await advance(rotation.id, { from: 'verify_new' });
    await t.restart();
    const resumed = (await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation;
    expect(resumed.step).toBe('deactivate_old');
    expect(resumed.evidence.newKey.ok).toBe(1);
    expect((await advance(rotation.id, { from: 'deactivate_old' })).body.rotation.step).toBe('double_check');
  });

  it('finishes with keepOld leaving the old key inactive', async () => {
    const { rotation, newSecret, oldKey } = await setup();
    await t.client.verify(newSecret);
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) await advance(rotation.id, { from });
    clock.add(WATCH_MS);
    await advance(rotation.id, { from: 'double_check' });
    const done = await advance(rotation.id, { from: 'delete_old', keepOld: true });
    expect(done.body.rotation).toMatchObject({ step: 'completed', outcome: 'kept_inactive' });
    expect((await t.client.getKey(oldKey.id)).key.status).toBe('inactive');
  });

  it('names the new key with a unique suffix or as asked, and validates the name', async () => {
    t = await startTestApp();
    const a = (await t.api('POST', '/v1/keys', { name: 'svc-2' })).body.key;
    await t.api('POST', '/v1/keys', { name: 'svc-3' });
    expect((await t.api('POST', `/v1/keys/${a.id}/rotations`)).body.rotation.newKeyName).toBe('svc-4');
    const b = (await t.api('POST', '/v1/keys', { name: 'other' })).body.key;
    expect((await t.api('POST', `/v1/keys/${b.id}/rotations`, { name: 'svc-3' })).body.error.code).toBe('name_taken');
    expect((await t.api('POST', `/v1/keys/${b.id}/rotations`, { name: 'x\u001b' })).status).toBe(400);
    expect((await t.api('POST', `/v1/keys/${b.id}/rotations`, { name: 'other-next' })).body.rotation.newKeyName).toBe('other-next');
    const padded = (await t.api('POST', '/v1/keys', { name: 'svc-09' })).body.key;
    expect((await t.api('POST', `/v1/keys/${padded.id}/rotations`)).body.rotation.newKeyName).toBe('svc-10');
    const zero = (await t.api('POST', '/v1/keys', { name: 'db-01' })).body.key;
    expect((await t.api('POST', `/v1/keys/${zero.id}/rotations`)).body.rotation.newKeyName).toBe('db-02');
    expect((await t.api('POST', '/v1/keys/key_missing/rotations', {})).status).toBe(404);
  });

  it('carries out a scheduled cut-over at its time, not before, also across a restart', async () => {
    const clock = manualClock('2026-11-27T12:00:00Z');
    const { rotation, newSecret, oldSecret } = await setup({ clock });
    await t.client.verify(newSecret);
    await advance(rotation.id, { from: 'update_systems' });
    const at = '2026-11-27T12:30:00.000Z';
    const scheduled = (await advance(rotation.id, { from: 'verify_new', at })).body.rotation;
    expect(scheduled).toMatchObject({ step: 'deactivate_old', deactivateAt: at });
    await t.restart();
    const step = async () => (await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.step;
    clock.set(Date.parse(at) - 1);
    await clock.runDue();
    expect(await step(), 'a millisecond early').toBe('deactivate_old');
    expect((await t.client.verify(oldSecret)).valid).toBe(true);
    // The scheduler looks once a second: by the next look after its time, it is done.
    clock.add(1000);
    await clock.runDue();
    expect(await step()).toBe('double_check');
    expect((await t.client.verify(oldSecret)).valid).toBe(false);
    expect((await t.api('GET', '/v1/audit?limit=5')).body.events.some((e) => e.operatorName === 'system' && e.action === 'rotation.advance')).toBe(true);
  });

  it('counts evidence after the cut-over exactly, even within the cut-over minute and after a rollback', async () => {
    let now = Date.parse('2026-11-27T12:00:10Z');
    const { rotation, newSecret, oldSecret } = await setup({ now: () => now });
    for (let i = 0; i < 3; i++) await t.client.verify(newSecret);
    await t.client.verify(oldSecret, 'before-cut');
    for (const from of ['update_systems', 'verify_new', 'deactivate_old']) await advance(rotation.id, { from });
    const cut = (await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.evidence;
    expect(cut.newKey).toMatchObject({ ok: 0, rejected: 0 });
    expect(cut.oldKey).toMatchObject({ ok: 0, rejected: 0 });
    await t.client.verify(oldSecret, 'after-cut');
    await t.client.verify(newSecret);
    const after = (await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.evidence;
    expect(after.newKey.ok).toBe(1);
    expect(after.oldKey.rejected).toBe(1);
    expect(after.canAdvance).toBe(false);
    // Roll back and cut over again in the same minute: the earlier rejection no longer counts.
    await t.api('POST', `/v1/rotations/${rotation.id}/rollback`);
    for (const from of ['verify_new', 'deactivate_old']) await advance(rotation.id, { from });
    const again = (await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.evidence;
    expect(again.oldKey).toMatchObject({ rejected: 0 });
    now += WATCH_MS;
    expect((await t.api('GET', `/v1/rotations/${rotation.id}`)).body.rotation.evidence.canAdvance).toBe(true);
    expect((await advance(rotation.id, { from: 'double_check' })).status).toBe(200);
  });

  it('refuses bad advance bodies', async () => {
    const { rotation } = await setup();
    for (const body of [{}, { from: 'nowhere' }, { from: 'update_systems', force: 'yes' }, { from: 'update_systems', at: 'later' }, { from: 'update_systems', extra: 1 }]) {
      const res = await advance(rotation.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await advance(rotation.id, { from: 'update_systems', keepOld: true })).status).toBe(400);
    expect((await advance('rot_missing', { from: 'update_systems' })).status).toBe(404);
  });
});
