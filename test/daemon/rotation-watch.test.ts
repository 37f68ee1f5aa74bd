/**
 * Issue 18 items 7 and 8 over the API: the watch window after the cut-over (chosen at the
 * start, shown as it runs, forced past with the guard's reason audited) and the old key's
 * callers as the systems to update, split by who switched. In-process, with the daemon's
 * clock moved by the test instead of waited for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/daemon.js';

let t: TestApp;
let clock = 0;
afterEach(async () => {
  await t?.stop();
});

const S = 1000;
const MIN = 60 * S;

async function setup(body: Record<string, unknown> = {}) {
  clock = Date.parse('2026-11-27T12:00:00Z');
  t = await startTestApp({ now: () => clock });
  const old = (await t.api('POST', '/v1/keys', { name: 'billing' })).body;
  const started = await t.api('POST', `/v1/keys/${old.key.id}/rotations`, body);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { oldSecret: old.secret, rotation: started.body.rotation, newSecret: started.body.secret };
}

const advance = (id: string, body: Record<string, unknown>) => t.api('POST', `/v1/rotations/${id}/advance`, body);
const show = async (id: string) => (await t.api('GET', `/v1/rotations/${id}`)).body.rotation;
const lastAudit = async () => (await t.api('GET', '/v1/audit?limit=1')).body.events[0]!;

async function cutOver(id: string, newSecret: string) {
  await t.client.verify(newSecret, 'orders');
  for (const from of ['update_systems', 'verify_new', 'deactivate_old']) expect((await advance(id, { from })).status).toBe(200);
}

describe('the watch window', () => {
  it('holds double_check until the chosen window has been watched, counting from the cut-over', async () => {
    const { rotation, newSecret } = await setup({ watchSeconds: 120 });
    expect(rotation.watchSeconds).toBe(120);
    expect(rotation.evidence.watch).toEqual({ seconds: 120, since: null, watchedSeconds: 0, passed: false });
    const started = (await t.api('GET', '/v1/audit?action=rotation.start')).body.events[0]!;
    expect(started.detail).toMatchObject({ watchSeconds: 120 });

    clock += 30 * MIN; // time before the cut-over does not count
    await cutOver(rotation.id, newSecret);
    const cutAt = new Date(clock).toISOString();
    expect((await show(rotation.id)).evidence).toMatchObject({ canAdvance: false, watch: { since: cutAt, watchedSeconds: 0, passed: false } });
    clock += 72 * S;
    const watching = await show(rotation.id);
    expect(watching.evidence.watch).toEqual({ seconds: 120, since: cutAt, watchedSeconds: 72, passed: false });
    expect(watching.evidence.guard).toBe('Traffic has been watched 1m12s of 2m since the cut-over; wait 48s more, or advance with force');
    const refused = await advance(rotation.id, { from: 'double_check' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'rotation_guard', message: watching.evidence.guard });
    expect((await show(rotation.id)).step).toBe('double_check');

    clock += 48 * S;
    expect((await show(rotation.id)).evidence).toMatchObject({ canAdvance: true, guard: null, watch: { watchedSeconds: 120, passed: true } });
    const passed = await advance(rotation.id, { from: 'double_check' });
    expect(passed.body.rotation.step).toBe('delete_old');
    expect((await lastAudit()).detail).toEqual({ from: 'double_check', to: 'delete_old' });
  });

  it('defaults to ten minutes and starts again after a rollback', async () => {
    const { rotation, newSecret } = await setup();
    expect(rotation.watchSeconds).toBe(600);
    await cutOver(rotation.id, newSecret);
    clock += 9 * MIN;
    expect((await show(rotation.id)).evidence.guard).toMatch(/watched 9m of 10m.*wait 1m more/);
    expect((await t.api('POST', `/v1/rotations/${rotation.id}/rollback`)).status).toBe(200);
    clock += 5 * MIN;
    for (const from of ['verify_new', 'deactivate_old']) await advance(rotation.id, { from });
    clock += 5 * MIN;
    expect((await show(rotation.id)).evidence.watch).toMatchObject({ watchedSeconds: 300, passed: false });
    clock += 5 * MIN;
    expect((await advance(rotation.id, { from: 'double_check' })).status).toBe(200);
  });

  it("lets force pass early and audits the guard's reason", async () => {
    const { rotation, newSecret, oldSecret } = await setup();
    await cutOver(rotation.id, newSecret);
    await t.client.verify(oldSecret, 'nightly-cron');
    clock += 3 * MIN + 12 * S;
    const { guard } = (await show(rotation.id)).evidence;
    expect(guard).toBe(
      'The old key was presented 1 time since it was deactivated; find those callers (or roll back), and traffic has been watched 3m12s of 10m since the cut-over; wait 6m48s more, or advance with force',
    );
    expect((await advance(rotation.id, { from: 'double_check', force: true })).body.rotation.step).toBe('delete_old');
    expect((await lastAudit()).detail).toEqual({ from: 'double_check', to: 'delete_old', force: true, guard });
  });

  it('audits the reason of a forced verify_new too', async () => {
    const { rotation } = await setup();
    await advance(rotation.id, { from: 'update_systems' });
    await advance(rotation.id, { from: 'verify_new', force: true });
    expect((await lastAudit()).detail).toMatchObject({ force: true, guard: expect.stringMatching(/^The new key has not been used successfully yet/) });
  });

  it('refuses a watch window out of bounds or of the wrong type, creating nothing', async () => {
    t = await startTestApp();
    const { key } = (await t.api('POST', '/v1/keys', { name: 'billing' })).body;
    for (const watchSeconds of [59, 0, -600, 30 * 86_400 + 1, 90.5, '10m', null]) {
      const res = await t.api('POST', `/v1/keys/${key.id}/rotations`, { watchSeconds });
      expect(res.status, JSON.stringify(watchSeconds)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', issues: [expect.objectContaining({ path: 'watchSeconds' })] });
    }
    expect((await t.api('GET', '/v1/rotations?state=all')).body.rotations).toEqual([]);
    expect((await t.api('GET', '/v1/keys')).body.keys).toHaveLength(1);
    expect((await t.api('POST', `/v1/keys/${key.id}/rotations`, { watchSeconds: 30 * 86_400 })).body.rotation.watchSeconds).toBe(30 * 86_400);
  });
});

describe("the old key's callers as the systems to update", () => {
  it('lists them before the cut-over, splits them by who switched, and keeps them visible to the end', async () => {
    const { rotation, oldSecret, newSecret } = await setup();
    await t.client.verify(oldSecret, 'nightly-cron');
    clock += MIN;
    await t.client.verify(oldSecret, 'orders');
    const listed = (await show(rotation.id)).evidence.systems;
    expect(listed.switched).toEqual([]);
    expect(listed.yetToSwitch.map((s) => s.caller)).toEqual(['orders', 'nightly-cron']);
    expect(listed.yetToSwitch[1]).toEqual({ caller: 'nightly-cron', oldLastSeenAt: '2026-11-27T12:00:00.000Z', newLastSeenAt: null });

    await advance(rotation.id, { from: 'update_systems' });
    clock += MIN;
    await t.client.verify(newSecret, 'orders');
    await advance(rotation.id, { from: 'verify_new' });
    const split = (await show(rotation.id)).evidence.systems;
    expect(split.yetToSwitch).toEqual([{ caller: 'nightly-cron', oldLastSeenAt: '2026-11-27T12:00:00.000Z', newLastSeenAt: null }]);
    expect(split.switched).toEqual([{ caller: 'orders', oldLastSeenAt: '2026-11-27T12:01:00.000Z', newLastSeenAt: '2026-11-27T12:02:00.000Z' }]);

    await advance(rotation.id, { from: 'deactivate_old' });
    clock += 10 * MIN;
    await advance(rotation.id, { from: 'double_check' });
    // A late caller on delete_old: it shows at the moment of deleting.
    clock += MIN;
    expect((await t.client.verify(oldSecret, 'nightly-cron')).valid).toBe(false);
    const deleting = await show(rotation.id);
    expect(deleting.step).toBe('delete_old');
    expect(deleting.evidence.oldKey).toMatchObject({ status: 'inactive', rejected: 1, callers: [expect.objectContaining({ caller: 'nightly-cron', rejected: 1 })] });
    expect(deleting.evidence.systems.yetToSwitch[0]).toMatchObject({ caller: 'nightly-cron', oldLastSeenAt: '2026-11-27T12:13:00.000Z' });
  });
});
