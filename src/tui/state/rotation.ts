/** The rotation stepper's content: the six steps of DESIGN.md §5 as a person reads them. */
import type { RotationJson, RotationStepName } from '../../client/client.js';
import type { RotationCommand } from './keymap.js';
import type { Refusal } from './modes.js';

export type StepInfo = { readonly id: RotationStepName; readonly title: string; readonly detail: string };

export const STEPS: readonly StepInfo[] = [
  { id: 'update_systems', title: 'Update your systems', detail: 'Put the new key wherever the old one is used, then go to the next step.' },
  { id: 'verify_new', title: 'Verify the new key', detail: 'keyward watches for a successful verification with the new key.' },
  { id: 'deactivate_old', title: 'Deactivate the old key', detail: 'The next step deactivates the old key; callers still using it will be refused.' },
  { id: 'double_check', title: 'Double-check traffic', detail: 'Watching for the old key after the cut-over. Roll back (b) if something broke.' },
  { id: 'delete_old', title: 'Delete the old key', detail: 'The next step deletes the old key for good; K finishes and keeps it inactive.' },
  { id: 'completed', title: 'Completed', detail: 'The rotation is finished.' },
];

export type StepState = 'done' | 'current' | 'todo';

export function stepState(rotation: RotationJson, step: RotationStepName): StepState {
  if (rotation.step === 'cancelled') return 'todo';
  const at = STEPS.findIndex((s) => s.id === rotation.step);
  const index = STEPS.findIndex((s) => s.id === step);
  if (rotation.step === 'completed') return 'done';
  return index < at ? 'done' : index === at ? 'current' : 'todo';
}

/** The steps whose evidence panel shows traffic. */
export function showsEvidence(step: RotationStepName): boolean {
  return step === 'verify_new' || step === 'deactivate_old' || step === 'double_check';
}

/** The steps whose advance a guard can refuse (DESIGN.md §5). */
export function isGuarded(step: RotationStepName): boolean {
  return step === 'verify_new' || step === 'double_check';
}

/** The question to ask before an advance that changes a key, or undefined when none changes. */
export function advanceQuestion(rotation: RotationJson): string | undefined {
  if (rotation.step === 'deactivate_old') return `Deactivate the old key "${rotation.oldKeyName}" now? Callers still using it will be refused.`;
  if (rotation.step === 'delete_old') return `Delete the old key "${rotation.oldKeyName}" permanently?`;
  return undefined;
}

export function isOpenRotation(rotation: RotationJson): boolean {
  return rotation.step !== 'completed' && rotation.step !== 'cancelled';
}

/** How an ended rotation finished, in words. */
export function endText(rotation: RotationJson): string {
  if (rotation.step === 'cancelled') return 'Cancelled: both keys were left as they were.';
  return rotation.outcome === 'kept_inactive' ? 'Completed: the old key is kept, inactive.' : 'Completed: the old key is deleted.';
}

/**
 * The refusal still worth showing: one for the step the rotation is at, while the guard still
 * refuses (evidence that arrived since can make it pass).
 */
export function currentRefusal(rotation: RotationJson, refusal: Refusal | undefined): string | undefined {
  return refusal && refusal.step === rotation.step && !rotation.evidence.canAdvance ? refusal.reason : undefined;
}

/** The rotation view's commands that apply now. */
export function rotationCommands(rotation: RotationJson | undefined): RotationCommand[] {
  if (!rotation || !isOpenRotation(rotation)) return ['back'];
  const commands: RotationCommand[] = ['advance'];
  if (isGuarded(rotation.step) && !rotation.evidence.canAdvance) commands.push('force');
  if (rotation.step === 'double_check') commands.push('rollback');
  if (rotation.step === 'delete_old') commands.push('keepOld');
  commands.push('cancel', 'back');
  return commands;
}
