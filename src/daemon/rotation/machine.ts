/**
 * The rotation step machine (docs/rotation.md), pure: given a rotation's step and the evidence,
 * say what an action does or why it is refused. The service applies the result to the store.
 */
import { formatElapsed } from '../../duration.js';
import { plural } from '../../thousands.js';
import { KeywardError } from '../errors.js';

export const OPEN_STEPS = ['update_systems', 'verify_new', 'deactivate_old', 'double_check', 'delete_old'] as const;
export const END_STEPS = ['completed', 'cancelled'] as const;
export type OpenStep = (typeof OPEN_STEPS)[number];
export type RotationStep = OpenStep | (typeof END_STEPS)[number];

export function isOpen(step: RotationStep): step is OpenStep {
  return (OPEN_STEPS as readonly string[]).includes(step);
}


/** What the guards look at, computed from live usage by the service. */
export type GuardEvidence = {
  /** Successful verifications of the new key since it was created. */
  newKeyOk: number;
  /** Rejected verifications of the old key since it was deactivated. */
  oldKeyRejectedSinceDeactivation: number;
  /** How long traffic has been watched since the cut-over (0 before it). */
  watchedMs: number;
  /** The watch window chosen when the rotation started. */
  watchMs: number;
  /** The old key verifies (again) after the cut-over: someone activated it by hand. */
  oldKeyActiveAfterCutOver: boolean;
};

export type AdvanceRequest = { from: RotationStep; force?: boolean; keepOld?: boolean; takeOldName?: boolean; at?: number };

export type Transition = {
  to: RotationStep;
  /** What happens to the old key as part of the transition. */
  oldKey?: 'deactivate' | 'reactivate' | 'delete';
  /** Set when entering `deactivate_old` with a later cut-over time. */
  deactivateAt?: number;
  forced: boolean;
  /** When forced: the guard's reason that the force overrode (it goes into the audit detail). */
  overrode?: string;
  outcome?: 'deleted' | 'kept_inactive' | 'cancelled';
  /** The new key takes the old key's name once the old key is deleted. */
  takeOldName?: true;
};

/** Why advancing from `step` needs force, or undefined when its guard passes. */
export function guardRefusal(step: RotationStep, evidence: GuardEvidence): string | undefined {
  if (step === 'verify_new' && evidence.newKeyOk < 1) {
    return 'The new key has not been used successfully yet; update your systems and send traffic with it, or advance with force';
  }
  if (step !== 'double_check') return undefined;
  const reasons: string[] = [];
  // Its uses would then succeed, not be rejected: the watch would see nobody still using it.
  if (evidence.oldKeyActiveAfterCutOver) reasons.push('the old key is active again, so its callers are not refused and cannot be seen; deactivate it (or roll back)');
  const rejected = evidence.oldKeyRejectedSinceDeactivation;
  if (rejected > 0) reasons.push(`the old key was presented ${plural(rejected, 'time')} since it was deactivated; find those callers (or roll back)`);
  if (evidence.watchedMs < evidence.watchMs) {
    const left = formatElapsed(Math.ceil((evidence.watchMs - evidence.watchedMs) / 1000) * 1000);
    reasons.push(`traffic has been watched ${formatElapsed(evidence.watchedMs)} of ${formatElapsed(evidence.watchMs)} since the cut-over; wait ${left} more`);
  }
  if (reasons.length === 0) return undefined;
  const text = reasons.join(', and ');
  return `${text[0]!.toUpperCase()}${text.slice(1)}, or advance with force`;
}

/** The transition `advance` makes from `current`, or why it is refused. */
export function planAdvance(current: RotationStep, request: AdvanceRequest, evidence: GuardEvidence, now: number): Transition {
  if (request.from !== current) {
    throw new KeywardError('step_changed', `The rotation is at step ${current}, not ${request.from}; someone else moved it. Reload and try again`);
  }
  if (!isOpen(current)) throw new KeywardError('rotation_guard', `The rotation has ended (${current}); nothing more to do`);
  if (request.at !== undefined && current !== 'verify_new') {
    throw new KeywardError('invalid_request', '"at" schedules the cut-over and is only accepted when advancing from verify_new');
  }
  if (request.keepOld !== undefined && current !== 'delete_old') {
    throw new KeywardError('invalid_request', '"keepOld" is only accepted when advancing from delete_old');
  }
  if (request.takeOldName !== undefined && current !== 'delete_old') {
    throw new KeywardError('invalid_request', '"takeOldName" is only accepted when advancing from delete_old');
  }
  if (request.takeOldName && request.keepOld) {
    throw new KeywardError('invalid_request', '"takeOldName" needs the old key deleted; with "keepOld" it keeps its name');
  }
  const refusal = guardRefusal(current, evidence);
  if (refusal !== undefined && request.force !== true) throw new KeywardError('rotation_guard', refusal);
  const forced = refusal !== undefined ? { forced: true, overrode: refusal } : { forced: false };
  switch (current) {
    case 'update_systems':
      return { to: 'verify_new', ...forced };
    case 'verify_new':
      if (request.at !== undefined && request.at > now) return { to: 'deactivate_old', deactivateAt: request.at, ...forced };
      return { to: 'deactivate_old', ...forced };
    case 'deactivate_old':
      return { to: 'double_check', oldKey: 'deactivate', ...forced };
    case 'double_check':
      return { to: 'delete_old', ...forced };
    case 'delete_old':
      // Kept inactive as it says: an old key activated again by hand is switched off again.
      if (request.keepOld) return { to: 'completed', ...forced, outcome: 'kept_inactive', ...(evidence.oldKeyActiveAfterCutOver && { oldKey: 'deactivate' as const }) };
      // No force deletes an active key (only an inactive key is ever deleted).
      if (evidence.oldKeyActiveAfterCutOver) throw new KeywardError('key_active', 'The old key is active again; deactivate it before the rotation deletes it, or finish keeping it inactive (keepOld deactivates it)');
      return { to: 'completed', oldKey: 'delete', ...forced, outcome: 'deleted', ...(request.takeOldName && { takeOldName: true as const }) };
  }
}

/**
 * How a rotation of `old` starts. Normally at `update_systems`, both keys working. An
 * `emergency` (the old key is compromised) starts cut over: the new key created and the old one
 * deactivated in one step, at `double_check`, whose guard then watches for callers still
 * presenting the old key and from where `rollback` stays possible. A canary is never rotated:
 * it has no callers to move, only thieves.
 */
export function planStart(old: { canary: boolean }, emergency: boolean): Transition {
  if (old.canary) throw new KeywardError('rotation_guard', 'A canary key is not rotated: it never verifies, so nothing uses it; create another canary instead');
  return emergency ? { to: 'double_check', oldKey: 'deactivate', forced: false } : { to: 'update_systems', forced: false };
}

/** `rollback`: only from double_check; reactivates the old key and returns to verify_new. */
export function planRollback(current: RotationStep): Transition {
  if (current !== 'double_check') {
    throw new KeywardError('rotation_guard', `Rollback is possible only in double_check; the rotation is at ${current}`);
  }
  return { to: 'verify_new', oldKey: 'reactivate', forced: false };
}

/** `cancel`: from any open step; both keys stay as they are. */
export function planCancel(current: RotationStep): Transition {
  if (!isOpen(current)) throw new KeywardError('rotation_guard', `The rotation has already ended (${current})`);
  return { to: 'cancelled', forced: false, outcome: 'cancelled' };
}

