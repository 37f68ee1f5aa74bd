/**
 * What a planned transition writes, pure: the rotation's columns for the step it enters, the
 * old key's fate, and the audit event. The service supplies the time and, when the transition
 * cuts over, both keys' verification totals at that moment.
 */
import type { AuditAction } from '../audit/actions.js';
import type { RotationChange, RotationRow } from '../store.js';
import { isOpen, type Transition } from './machine.js';

export type Counts = { ok: number; rejected: number };
/** Both keys' all-time verification counts at the cut-over. */
export type CutTotals = { newKey: Counts; oldKey: Counts };

/** Whether applying `t` needs the keys' totals at the cut-over (see `CutTotals`). */
export function cutsOver(t: Transition): boolean {
  return t.to === 'double_check';
}

/**
 * What the service read for the transition: the totals at a cut-over, and the name the new
 * key takes when it takes the old key's (the old key's name now, read from the store).
 */
export type TransitionReads = { cut?: CutTotals; takenName?: string };

export function transitionChange(rotation: RotationRow, t: Transition, action: AuditAction, at: number, { cut, takenName }: TransitionReads = {}): RotationChange {
  const set: RotationChange['set'] = { step: t.to, stepStartedAt: at };
  if (t.to === 'verify_new') set.verifyNewAt = at;
  if (t.to === 'deactivate_old') {
    set.deactivateOldAt = at;
    set.deactivateAt = t.deactivateAt ?? null;
  }
  if (cutsOver(t)) {
    if (!cut) throw new Error('a cut-over needs the totals at the cut-over');
    Object.assign(set, {
      doubleCheckAt: at,
      deactivateAt: at,
      cutNewOk: cut.newKey.ok,
      cutNewRejected: cut.newKey.rejected,
      cutOldOk: cut.oldKey.ok,
      cutOldRejected: cut.oldKey.rejected,
    });
  }
  if (t.to === 'delete_old') set.deleteOldAt = at;
  if (takenName !== undefined) set.newKeyName = takenName;
  if (!isOpen(t.to)) {
    set.endedAt = at;
    set.outcome = t.outcome ?? null;
  }
  const detail: Record<string, unknown> = { from: rotation.step, to: t.to };
  if (t.forced) detail.force = true;
  if (t.overrode) detail.guard = t.overrode;
  if (t.deactivateAt) detail.deactivateAt = new Date(t.deactivateAt).toISOString();
  if (t.outcome) detail.outcome = t.outcome;
  if (takenName !== undefined) detail.newKeyName = takenName;
  return {
    expectStep: rotation.step,
    at,
    set,
    oldKeyStatus: t.oldKey === 'deactivate' ? 'inactive' : t.oldKey === 'reactivate' ? 'active' : undefined,
    deleteOldKey: t.oldKey === 'delete',
    renameNewKey: takenName,
    audit: { action, targetType: 'rotation', targetId: rotation.id, targetName: rotation.oldKeyName, detail },
  };
}
