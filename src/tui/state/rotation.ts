/**
 * The rotation view's content, pure: the six steps as a person reads them, what each step's
 * evidence says in words, the questions asked before an advance, and the choices offered.
 */
import type { RotationJson, RotationStepName } from '../../client/client.js';
import type { SystemJson } from '../../daemon/rotation/schemas.js';
import { ago, formatElapsed } from '../../duration.js';
import { plural } from '../../thousands.js';
import type { RotationCommand } from './keymap.js';
import type { Refusal } from './modes.js';

export type StepInfo = { readonly id: RotationStepName; readonly title: string; readonly detail: string };

export const STEPS: readonly StepInfo[] = [
  { id: 'update_systems', title: 'Update your systems', detail: 'Put the new key wherever the old one is used, then go to the next step.' },
  { id: 'verify_new', title: 'Verify the new key', detail: 'keyward watches for a successful verification with the new key.' },
  { id: 'deactivate_old', title: 'Deactivate the old key', detail: 'The next step deactivates the old key; callers still using it will be refused.' },
  { id: 'double_check', title: 'Double-check traffic', detail: 'Watching for the old key after the cut-over, for the whole watch window. Roll back (b) if something broke.' },
  { id: 'delete_old', title: 'Delete the old key', detail: 'The next step deletes the old key for good; K finishes and keeps it inactive. Traffic is still watched.' },
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

/** `nightly-cron (3h ago), billing-ui (just now)`: callers with when each was last seen, at most `max`. */
export function callerNames(systems: readonly SystemJson[], now: number, max = 5): string {
  const named = systems.slice(0, max).map((s) => `${s.caller} (last seen ${ago(s.oldLastSeenAt, now)})`);
  if (systems.length > max) named.push(`and ${systems.length - max} more`);
  return named.join(', ');
}

/** The watch window as it stands `elapsedMs` after the evidence was read (the countdown between reads). */
export function watchProgress(rotation: RotationJson, elapsedMs: number): { watchedMs: number; totalMs: number; leftMs: number; started: boolean } {
  const { watch } = rotation.evidence;
  const totalMs = watch.seconds * 1000;
  const started = watch.since !== null;
  // Whole seconds, so what is watched and what is left always add up to the window.
  const watchedMs = started ? Math.floor((watch.watchedSeconds * 1000 + Math.max(0, elapsedMs)) / 1000) * 1000 : 0;
  return { watchedMs, totalMs, leftMs: Math.max(0, totalMs - watchedMs), started };
}

/**
 * After the cut-over the guard holds while the old key is presented: said from the evidence,
 * since the daemon's own reason also counts the window down and would go stale between reads.
 */
export function presentedText(rotation: RotationJson): string | undefined {
  const { rejected } = rotation.evidence.oldKey;
  if (rejected === 0) return undefined;
  const what = `The old key was presented ${plural(rejected, 'time')} since the cut-over`;
  return rotation.step === 'delete_old'
    ? `${what}: something still uses it. K finishes keeping it inactive instead of deleting it.`
    : `${what}: find those callers, or roll back (b); F forces past the guard.`;
}

/** `Watched 3m12s of 10m · 6m48s left`, or what the window will be before the cut-over. */
export function watchText(rotation: RotationJson, elapsedMs: number): string {
  const { watchedMs, totalMs, leftMs, started } = watchProgress(rotation, elapsedMs);
  const of = formatElapsed(totalMs);
  if (!started) return `After the cut-over, traffic is watched for ${of}.`;
  return leftMs > 0 ? `Watched ${formatElapsed(watchedMs)} of ${of} · ${formatElapsed(leftMs)} left` : `Watched ${formatElapsed(watchedMs)} of ${of} ✓`;
}

/** The steps whose advance a guard can refuse (docs/design.md). */
export function isGuarded(step: RotationStepName): boolean {
  return step === 'verify_new' || step === 'double_check';
}

/**
 * The question to ask before an advance that changes a key, or undefined when none changes.
 * Before the cut-over it names who has not switched; before deleting, who still came late.
 */
export function advanceQuestion(rotation: RotationJson, now: number): string | undefined {
  const old = `"${rotation.oldKeyName}"`;
  if (rotation.step === 'deactivate_old') {
    const pending = rotation.evidence.systems.yetToSwitch;
    // Not "never presented it": of the rows keyward adds up (unlabelled uses, callers past 1,000) nobody can tell.
    const who = pending.length
      ? ` Not seen on the new key, and refused from then on if still on the old: ${callerNames(pending, now)}.`
      : rotation.evidence.systems.switched.length
        ? ' Every caller seen on it has switched to the new key.'
        : ' No caller label was seen on it, so keyward cannot tell who still uses it.';
    return `Deactivate the old key ${old} now?${who}`;
  }
  if (rotation.step === 'delete_old') {
    const { rejected, callers } = rotation.evidence.oldKey;
    const late = rejected > 0 ? ` It was presented ${plural(rejected, 'time')} since the cut-over${callers.length ? `, by ${callers.map((c) => `${c.caller} (${ago(c.lastSeenAt, now)})`).join(', ')}` : ''}.` : '';
    return `Delete the old key ${old} permanently?${late}`;
  }
  return undefined;
}

/** One answer of a choice: what it says, and what it means. */
export type Option<T> = { readonly label: string; readonly value: T };

/** The watch windows offered when a rotation starts (seconds); the default is first. */
export const WATCH_OPTIONS: readonly Option<number>[] = [
  { label: '10 minutes (default)', value: 600 },
  { label: '1 hour', value: 3600 },
  { label: '24 hours (daily jobs)', value: 86_400 },
  { label: '7 days (weekly jobs)', value: 604_800 },
  { label: '1 minute', value: 60 },
];

/** When to cut over from verify_new: at the next step, or by the daemon after a grace period (ms). */
export const CUT_OVER_OPTIONS: readonly Option<number | undefined>[] = [
  { label: 'When I confirm it at the next step', value: undefined },
  { label: 'In 15 minutes (the daemon deactivates it)', value: 15 * 60_000 },
  { label: 'In 1 hour', value: 3_600_000 },
  { label: 'In 24 hours', value: 86_400_000 },
];

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
