import { describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/daemon/errors.js';
import { planAdvance, planCancel, planRollback, type GuardEvidence } from '../../src/daemon/rotation/machine.js';

const WATCH = 600_000;
const quiet: GuardEvidence = { newKeyOk: 0, oldKeyRejectedSinceDeactivation: 0, watchedMs: 0, watchMs: WATCH, oldKeyActiveAfterCutOver: false };
const used: GuardEvidence = { newKeyOk: 3, oldKeyRejectedSinceDeactivation: 0, watchedMs: WATCH, watchMs: WATCH, oldKeyActiveAfterCutOver: false };

function refusal(fn: () => unknown): KeywardError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KeywardError) return err;
  }
  throw new Error('expected a refusal');
}

describe('rotation step machine', () => {
  it('walks the six steps in order with the guards satisfied', () => {
    expect(planAdvance('update_systems', { from: 'update_systems' }, quiet, 0).to).toBe('verify_new');
    expect(planAdvance('verify_new', { from: 'verify_new' }, used, 0).to).toBe('deactivate_old');
    const cut = planAdvance('deactivate_old', { from: 'deactivate_old' }, used, 0);
    expect(cut).toMatchObject({ to: 'double_check', oldKey: 'deactivate' });
    expect(planAdvance('double_check', { from: 'double_check' }, used, 0).to).toBe('delete_old');
    expect(planAdvance('delete_old', { from: 'delete_old' }, used, 0)).toMatchObject({ to: 'completed', oldKey: 'delete', outcome: 'deleted' });
    expect(planAdvance('delete_old', { from: 'delete_old', keepOld: true }, used, 0)).toMatchObject({ to: 'completed', outcome: 'kept_inactive' });
  });

  it('refuses verify_new without a successful use unless forced, and marks the force', () => {
    const err = refusal(() => planAdvance('verify_new', { from: 'verify_new' }, quiet, 0));
    expect(err.code).toBe('rotation_guard');
    expect(err.message).toMatch(/not been used/);
    expect(planAdvance('verify_new', { from: 'verify_new', force: true }, quiet, 0)).toMatchObject({
      to: 'deactivate_old',
      forced: true,
      overrode: expect.stringMatching(/not been used/),
    });
    expect(planAdvance('verify_new', { from: 'verify_new', force: true }, used, 0).forced).toBe(false);
  });

  it('refuses double_check while the old key is still presented unless forced', () => {
    const ev = { ...used, oldKeyRejectedSinceDeactivation: 2 };
    const err = refusal(() => planAdvance('double_check', { from: 'double_check' }, ev, 0));
    expect(err.code).toBe('rotation_guard');
    expect(err.message).toMatch(/2 time/);
    expect(err.message).not.toMatch(/watched/);
    expect(planAdvance('double_check', { from: 'double_check', force: true }, ev, 0)).toMatchObject({ to: 'delete_old', forced: true, overrode: err.message });
  });

  it('refuses double_check until the watch window has passed, saying how long was watched', () => {
    const early = { ...used, watchedMs: 192_400 };
    const err = refusal(() => planAdvance('double_check', { from: 'double_check' }, early, 0));
    expect(err.code).toBe('rotation_guard');
    expect(err.message).toBe('Traffic has been watched 3m12s of 10m since the cut-over; wait 6m48s more, or advance with force');
    expect(refusal(() => planAdvance('double_check', { from: 'double_check' }, { ...used, watchedMs: WATCH - 1 }, 0)).message).toMatch(/wait 1s more/);
    expect(planAdvance('double_check', { from: 'double_check' }, { ...used, watchedMs: WATCH }, 0)).toMatchObject({ to: 'delete_old', forced: false });
    // Both reasons at once are both named.
    const both = refusal(() => planAdvance('double_check', { from: 'double_check' }, { ...early, oldKeyRejectedSinceDeactivation: 1 }, 0));
    expect(both.message).toMatch(/^The old key was presented 1 time.*, and traffic has been watched 3m12s of 10m/);
    expect(planAdvance('double_check', { from: 'double_check', force: true }, early, 0)).toMatchObject({ forced: true, overrode: err.message });
  });

  it('refuses double_check while the old key is active again, and the delete with any force', () => {
    const active = { ...used, oldKeyActiveAfterCutOver: true };
    expect(refusal(() => planAdvance('double_check', { from: 'double_check' }, active, 0)).message).toMatch(/^The old key is active again/);
    const err = refusal(() => planAdvance('delete_old', { from: 'delete_old', force: true }, active, 0));
    expect(err.code).toBe('key_active');
    expect(planAdvance('delete_old', { from: 'delete_old', keepOld: true }, active, 0)).toMatchObject({ to: 'completed', outcome: 'kept_inactive', oldKey: 'deactivate' });
    expect(planAdvance('delete_old', { from: 'delete_old', keepOld: true }, used, 0).oldKey, 'an inactive old key is left as it is').toBeUndefined();
  });

  it('answers step_changed when the caller saw another step', () => {
    expect(refusal(() => planAdvance('verify_new', { from: 'update_systems' }, used, 0)).code).toBe('step_changed');
  });

  it('schedules the cut-over with a future at, only from verify_new', () => {
    expect(planAdvance('verify_new', { from: 'verify_new', at: 5000 }, used, 1000)).toMatchObject({ to: 'deactivate_old', deactivateAt: 5000 });
    expect(planAdvance('verify_new', { from: 'verify_new', at: 500 }, used, 1000).deactivateAt).toBeUndefined();
    expect(refusal(() => planAdvance('update_systems', { from: 'update_systems', at: 5000 }, used, 0)).code).toBe('invalid_request');
  });

  it('rolls back only from double_check and cancels from any open step', () => {
    expect(planRollback('double_check')).toMatchObject({ to: 'verify_new', oldKey: 'reactivate' });
    expect(refusal(() => planRollback('verify_new')).code).toBe('rotation_guard');
    for (const step of ['update_systems', 'verify_new', 'deactivate_old', 'double_check', 'delete_old'] as const) {
      expect(planCancel(step).to).toBe('cancelled');
    }
    expect(refusal(() => planCancel('completed')).code).toBe('rotation_guard');
    expect(refusal(() => planAdvance('cancelled', { from: 'cancelled' }, used, 0)).code).toBe('rotation_guard');
  });
});
