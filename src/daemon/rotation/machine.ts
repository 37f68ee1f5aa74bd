/**
 * The rotation step machine of DESIGN.md §5, pure: given a rotation's step and the evidence,
 * say what an action does or why it is refused. The service applies the result to the store.
 */
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
};

export type AdvanceRequest = { from: RotationStep; force?: boolean; keepOld?: boolean; takeOldName?: boolean; at?: number };

export type Transition = {
  to: RotationStep;
  /** What happens to the old key as part of the transition. */
  oldKey?: 'deactivate' | 'reactivate' | 'delete';
  /** Set when entering `deactivate_old` with a later cut-over time. */
  deactivateAt?: number;
  forced: boolean;
  outcome?: 'deleted' | 'kept_inactive' | 'cancelled';
  /** The new key takes the old key's name once the old key is deleted. */
  takeOldName?: true;
};

/** The transition `advance` makes from `current`, or why it is refused. */
export function planAdvance(current: RotationStep, request: AdvanceRequest, evidence: GuardEvidence, now: number): Transition {
  if (request.from !== current) {
    throw new KeywardError('step_changed', `The rotation is at step ${current}, not ${request.from}; someone else moved it. Reload and try again`);
  }
  if (!isOpen(current)) throw new KeywardError('rotation_guard', `The rotation has ended (${current}); nothing more to do`);
  const forced = request.force === true;
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
  switch (current) {
    case 'update_systems':
      return { to: 'verify_new', forced: false };
    case 'verify_new':
      if (evidence.newKeyOk < 1 && !forced) {
        throw new KeywardError(
          'rotation_guard',
          'The new key has not been used successfully yet; update your systems and send traffic with it, or advance with force',
        );
      }
      if (request.at !== undefined && request.at > now) {
        return { to: 'deactivate_old', deactivateAt: request.at, forced: forced && evidence.newKeyOk < 1 };
      }
      return { to: 'deactivate_old', forced: forced && evidence.newKeyOk < 1 };
    case 'deactivate_old':
      return { to: 'double_check', oldKey: 'deactivate', forced: false };
    case 'double_check':
      if (evidence.oldKeyRejectedSinceDeactivation > 0 && !forced) {
        throw new KeywardError(
          'rotation_guard',
          `The old key was presented ${evidence.oldKeyRejectedSinceDeactivation} time(s) since it was deactivated; find those callers (or roll back), or advance with force`,
        );
      }
      return { to: 'delete_old', forced: forced && evidence.oldKeyRejectedSinceDeactivation > 0 };
    case 'delete_old':
      if (request.keepOld) return { to: 'completed', forced: false, outcome: 'kept_inactive' };
      return { to: 'completed', oldKey: 'delete', forced: false, outcome: 'deleted', ...(request.takeOldName && { takeOldName: true as const }) };
  }
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

