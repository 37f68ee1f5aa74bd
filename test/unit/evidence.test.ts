/** The rotation evidence arithmetic, with no daemon: rows in, what each step shows out. */
import { describe, expect, it } from 'vitest';
import { firstMinuteNeeded, rotationEvidence, RECENT_MS, systemsToUpdate, type EvidenceInput } from '../../src/daemon/rotation/evidence.js';
import { transitionChange } from '../../src/daemon/rotation/patch.js';
import { planAdvance } from '../../src/daemon/rotation/machine.js';
import type { CallerRow, KeyRow, RotationRow } from '../../src/daemon/store.js';

const T0 = Date.parse('2026-11-27T12:00:00Z');
const MIN = 60_000;
const minute = (ms: number) => Math.floor(ms / MIN);

function rotation(over: Partial<RotationRow> = {}): RotationRow {
  return {
    id: 'rot_1', oldKeyId: 'key_old', oldKeyName: 'billing', newKeyId: 'key_new', newKeyName: 'billing-2',
    step: 'verify_new', stepStartedAt: T0, createdAt: T0, createdBy: 'admin', watchMs: 10 * MIN,
    verifyNewAt: T0, deactivateOldAt: null, deactivateAt: null, doubleCheckAt: null, deleteOldAt: null, endedAt: null, outcome: null,
    cutNewOk: null, cutNewRejected: null, cutOldOk: null, cutOldRejected: null,
    ...over,
  };
}

const key = (id: string, over: Partial<KeyRow> = {}): KeyRow => ({
  id, name: id, hint: 'kw_…', status: 'active', createdAt: T0, createdBy: 'admin', deactivatedAt: null, deactivationReason: null, expiresAt: null, lastUsedAt: null, canary: false, rotatedOutBy: null,
  description: null, owner: null, meta: null, scopes: null, allowedIps: null, rateLimit: null, quota: null, ...over,
});
const caller = (name: string, lastSeenAt: number, ok = 1, rejected = 0): CallerRow => ({ caller: name, firstSeenAt: lastSeenAt, lastSeenAt, ok, rejected });

function input(r: RotationRow, now: number, over: Partial<EvidenceInput> = {}): EvidenceInput {
  return { rotation: r, now, newKey: key('key_new'), oldKey: key('key_old'), newBuckets: [], oldBuckets: [], newCallers: [], oldCallers: [], ...over };
}

describe('rotation evidence', () => {
  it('counts the new key since the rotation started and the old key over the recent window before the cut-over', () => {
    const now = T0 + 40 * MIN;
    const r = rotation();
    expect(firstMinuteNeeded(r, now)).toBe(minute(T0));
    const { evidence, guard } = rotationEvidence(
      input(r, now, {
        newBuckets: [{ minute: minute(T0) - 1, ok: 9, rejected: 0 }, { minute: minute(T0 + 5 * MIN), ok: 2, rejected: 1 }],
        oldBuckets: [{ minute: minute(T0 + 10 * MIN), ok: 50, rejected: 0 }, { minute: minute(now - RECENT_MS), ok: 4, rejected: 0 }],
      }),
    );
    expect(evidence.newKey).toMatchObject({ ok: 2, rejected: 1, since: new Date(T0).toISOString() });
    expect(evidence.oldKey).toMatchObject({ ok: 4, rejected: 0, since: new Date(now - RECENT_MS).toISOString() });
    expect(guard).toEqual({ newKeyOk: 2, oldKeyRejectedSinceDeactivation: 0, watchedMs: 0, watchMs: 10 * MIN, oldKeyActiveAfterCutOver: false });
    expect(evidence).toMatchObject({ canAdvance: true, guard: null, watch: { seconds: 600, since: null, watchedSeconds: 0, passed: false } });
    expect(evidence.series).toHaveLength(30);
    expect(evidence.series.at(-1)!.start).toBe(new Date(minute(now) * MIN).toISOString());
  });

  it('counts exactly from the totals recorded at the cut-over and watches the window from it', () => {
    const cutAt = T0 + 20 * MIN + 30_000;
    const r = rotation({ step: 'double_check', doubleCheckAt: cutAt, cutNewOk: 10, cutNewRejected: 0, cutOldOk: 100, cutOldRejected: 3 });
    expect(firstMinuteNeeded(r, cutAt + MIN)).toBe(0);
    const buckets = {
      oldKey: { ...key('key_old'), status: 'inactive' as const },
      newBuckets: [{ minute: minute(cutAt), ok: 12, rejected: 0 }],
      oldBuckets: [{ minute: minute(cutAt), ok: 100, rejected: 5 }],
    };
    const early = rotationEvidence(input(r, cutAt + 3 * MIN + 12_000, buckets));
    expect(early.evidence.newKey).toMatchObject({ ok: 2, rejected: 0 });
    expect(early.evidence.oldKey).toMatchObject({ ok: 0, rejected: 2 });
    expect(early.guard).toMatchObject({ newKeyOk: 12, oldKeyRejectedSinceDeactivation: 2, watchedMs: 192_000 });
    expect(early.evidence.watch).toEqual({ seconds: 600, since: new Date(cutAt).toISOString(), watchedSeconds: 192, passed: false });
    expect(early.evidence.canAdvance).toBe(false);
    expect(early.evidence.guard).toMatch(/presented 2 times.*watched 3m12s of 10m/);

    const quiet = { ...buckets, oldBuckets: [{ minute: minute(cutAt), ok: 100, rejected: 3 }] };
    expect(rotationEvidence(input(r, cutAt + 10 * MIN - 1, quiet)).evidence).toMatchObject({ canAdvance: false, watch: { watchedSeconds: 599, passed: false } });
    expect(rotationEvidence(input(r, cutAt + 10 * MIN, quiet)).evidence).toMatchObject({ canAdvance: true, guard: null, watch: { watchedSeconds: 600, passed: true } });
    // Activated again by hand: its uses succeed and would go unseen.
    const reactivated = rotationEvidence(input(r, cutAt + 10 * MIN, { ...quiet, oldKey: key('key_old') }));
    expect(reactivated.guard.oldKeyActiveAfterCutOver).toBe(true);
    expect(reactivated.evidence).toMatchObject({ canAdvance: false, guard: expect.stringMatching(/^The old key is active again/) });
  });

  it('keeps the cut-over evidence on delete_old, so a late caller shows at the moment of deleting', () => {
    const cutAt = T0;
    const r = rotation({ step: 'delete_old', doubleCheckAt: cutAt, deleteOldAt: cutAt + 20 * MIN, cutNewOk: 0, cutNewRejected: 0, cutOldOk: 7, cutOldRejected: 0 });
    const { evidence } = rotationEvidence(
      input(r, cutAt + 30 * MIN, {
        oldKey: key('key_old', { status: 'inactive' }),
        oldBuckets: [{ minute: minute(cutAt + 25 * MIN), ok: 7, rejected: 1 }],
        oldCallers: [caller('nightly-cron', cutAt + 25 * MIN, 7, 1), caller('orders', cutAt - MIN)],
      }),
    );
    expect(evidence.oldKey).toMatchObject({ status: 'inactive', rejected: 1 });
    expect(evidence.oldKey.callers.map((c) => c.caller)).toEqual(['nightly-cron']);
    expect(evidence.watch).toMatchObject({ watchedSeconds: 1800, passed: true });
  });

  it('counts from the cut-over minute for rotations cut over before totals were recorded', () => {
    const cutAt = T0 + 5 * MIN;
    const r = rotation({ step: 'double_check', doubleCheckAt: cutAt });
    expect(firstMinuteNeeded(r, cutAt)).toBe(minute(cutAt) - 29); // the 30-minute series reaches furthest back
    const { evidence } = rotationEvidence(input(r, cutAt + MIN, { oldBuckets: [{ minute: minute(cutAt) - 1, ok: 0, rejected: 4 }, { minute: minute(cutAt), ok: 0, rejected: 1 }] }));
    expect(evidence.oldKey.rejected).toBe(1);
  });

  it("splits the old key's callers into yet to switch and switched, most recent first", () => {
    const split = systemsToUpdate(
      [caller('orders', T0 - MIN), caller('nightly-cron', T0 - 3_600_000), caller('billing-ui', T0)],
      [caller('orders', T0 + MIN), caller('brand-new', T0)],
    );
    expect(split.yetToSwitch).toEqual([
      { caller: 'billing-ui', oldLastSeenAt: new Date(T0).toISOString(), newLastSeenAt: null },
      { caller: 'nightly-cron', oldLastSeenAt: new Date(T0 - 3_600_000).toISOString(), newLastSeenAt: null },
    ]);
    expect(split.switched).toEqual([{ caller: 'orders', oldLastSeenAt: new Date(T0 - MIN).toISOString(), newLastSeenAt: new Date(T0 + MIN).toISOString() }]);
  });

  it('shows the deleted old key as deleted, under the name it had', () => {
    const { evidence } = rotationEvidence(input(rotation({ step: 'completed' }), T0, { oldKey: undefined }));
    expect(evidence.oldKey).toMatchObject({ name: 'billing', status: 'deleted' });
    expect(evidence).toMatchObject({ canAdvance: false, guard: null });
  });
});

describe('transition → store change', () => {
  const used = { newKeyOk: 1, oldKeyRejectedSinceDeactivation: 0, watchedMs: 0, watchMs: 10 * MIN, oldKeyActiveAfterCutOver: false };

  it('records the cut-over time and totals when entering double_check', () => {
    const r = rotation({ step: 'deactivate_old' });
    const t = planAdvance('deactivate_old', { from: 'deactivate_old' }, used, T0);
    expect(() => transitionChange(r, t, 'rotation.advance', T0)).toThrow(/totals/);
    const change = transitionChange(r, t, 'rotation.advance', T0, { cut: { newKey: { ok: 3, rejected: 0 }, oldKey: { ok: 9, rejected: 1 } } });
    expect(change).toMatchObject({
      expectStep: 'deactivate_old',
      oldKeyStatus: 'inactive',
      deleteOldKey: false,
      set: { step: 'double_check', stepStartedAt: T0, doubleCheckAt: T0, deactivateAt: T0, cutNewOk: 3, cutNewRejected: 0, cutOldOk: 9, cutOldRejected: 1 },
      audit: { action: 'rotation.advance', targetType: 'rotation', targetId: 'rot_1', targetName: 'billing', detail: { from: 'deactivate_old', to: 'double_check' } },
    });
  });

  it("puts the guard's reason into a forced advance's audit detail", () => {
    const r = rotation({ step: 'double_check', doubleCheckAt: T0 });
    const t = planAdvance('double_check', { from: 'double_check', force: true }, { ...used, watchedMs: 60_000 }, T0);
    const { audit, set } = transitionChange(r, t, 'rotation.advance', T0 + MIN);
    expect(set).toMatchObject({ step: 'delete_old', deleteOldAt: T0 + MIN });
    expect(audit.detail).toEqual({ from: 'double_check', to: 'delete_old', force: true, guard: expect.stringMatching(/^Traffic has been watched 1m of 10m/) });
  });

  it('schedules, ends and rolls back with the right columns', () => {
    const scheduled = transitionChange(rotation(), planAdvance('verify_new', { from: 'verify_new', at: T0 + MIN }, used, T0), 'rotation.advance', T0);
    expect(scheduled.set).toMatchObject({ step: 'deactivate_old', deactivateOldAt: T0, deactivateAt: T0 + MIN });
    expect(scheduled.audit.detail).toMatchObject({ deactivateAt: new Date(T0 + MIN).toISOString() });
    const done = transitionChange(rotation({ step: 'delete_old' }), planAdvance('delete_old', { from: 'delete_old' }, used, T0), 'rotation.advance', T0);
    expect(done).toMatchObject({ deleteOldKey: true, set: { step: 'completed', endedAt: T0, outcome: 'deleted' }, audit: { detail: { outcome: 'deleted' } } });
    expect(done.audit.detail).not.toHaveProperty('force');
    const taking = planAdvance('delete_old', { from: 'delete_old', takeOldName: true }, used, T0);
    const renamed = transitionChange(rotation({ step: 'delete_old' }), taking, 'rotation.advance', T0, { takenName: 'billing' });
    expect(renamed).toMatchObject({ renameNewKey: 'billing', set: { newKeyName: 'billing' }, audit: { detail: { newKeyName: 'billing' } } });
  });
});
