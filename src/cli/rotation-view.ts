/** A rotation as a human reads it in a terminal: the six steps, the evidence, what is next. Pure. */
import type { RotationJson } from '../client/client.js';
import { isOpen, OPEN_STEPS, type OpenStep } from '../daemon/rotation/machine.js';
import type { KeyEvidence, SystemJson } from '../daemon/rotation/schemas.js';
import { ago, formatElapsed } from '../duration.js';
import { shortTime } from './format.js';
import { renderFields, renderTable, type Column } from './output.js';
import { stripUnsafe } from '../sanitize.js';
import { withThousands } from '../thousands.js';

const STEP_HELP: Record<OpenStep, string> = {
  update_systems: 'put the new secret into your systems',
  verify_new: 'wait until the new key carries traffic',
  deactivate_old: 'advancing deactivates the old key',
  double_check: 'watch that nobody still presents the old key',
  delete_old: 'advancing deletes the old key (or --keep-old); --take-old-name also gives the new key its name',
};

/** What the step means for the person driving the rotation; nothing for the end states. */
export function stepHelp(step: RotationJson['step']): string | undefined {
  return isOpen(step) ? STEP_HELP[step] : undefined;
}

function stepper(step: RotationJson['step']): string {
  const current = (OPEN_STEPS as readonly string[]).indexOf(step);
  const done = step === 'completed';
  return OPEN_STEPS.map((s, i) => {
    const mark = done || i < current ? '✓' : i === current ? '›' : ' ';
    return `  ${mark} ${s.padEnd(14)}  ${STEP_HELP[s]}`;
  }).join('\n');
}

function evidenceLine(label: string, e: KeyEvidence, now: number): string {
  const callers = e.callers.length ? e.callers.map((c) => `${stripUnsafe(c.caller)} (${withThousands(c.ok)} ok, ${withThousands(c.rejected)} rejected)`).join(', ') : 'none';
  return `${label} ${stripUnsafe(e.name)} (${e.status}): ${withThousands(e.ok)} ok, ${withThousands(e.rejected)} rejected since ${shortTime(e.since)}; last used ${ago(e.lastUsedAt, now)}; callers: ${callers}`;
}

/** `nightly-cron (last seen 3h ago)`, for the systems still on the old key. */
export function yetToSwitchText(systems: readonly SystemJson[], now: number): string {
  return systems.map((s) => `${stripUnsafe(s.caller)} (last seen ${ago(s.oldLastSeenAt, now)})`).join(', ');
}

/** The old key's callers as the systems to update: one list before the cut-over, then split. */
function systemsLines(r: RotationJson, now: number): string[] {
  const { yetToSwitch, switched } = r.evidence.systems;
  const switchedText = switched.map((s) => `${stripUnsafe(s.caller)} (new key ${ago(s.newLastSeenAt, now)})`).join(', ');
  if (r.step === 'update_systems' || r.step === 'verify_new') {
    const all = [...yetToSwitch, ...switched].sort((a, b) => b.oldLastSeenAt.localeCompare(a.oldLastSeenAt));
    const text = all.map((s) => `${stripUnsafe(s.caller)} (last seen ${ago(s.oldLastSeenAt, now)}${s.newLastSeenAt ? ', on the new key too' : ''})`);
    return [`  systems to update (the old key's callers): ${text.length ? text.join(', ') : 'none seen'}`];
  }
  return [`  yet to switch: ${yetToSwitch.length ? yetToSwitchText(yetToSwitch, now) : 'none'}`, `  switched: ${switched.length ? switchedText : 'none'}`];
}

/** `watched 3m12s of 10m`, or the window still to come before the cut-over. */
function watchText(r: RotationJson): string {
  const { watch } = r.evidence;
  const of = formatElapsed(watch.seconds * 1000);
  if (watch.since === null) return `${of} after the cut-over`;
  const left = watch.passed ? 'done' : `${formatElapsed((watch.seconds - watch.watchedSeconds) * 1000)} left`;
  return `watched ${formatElapsed(watch.watchedSeconds * 1000)} of ${of} (${left})`;
}

export function renderRotation(r: RotationJson, now: number): string {
  const fields: Array<[string, string]> = [
    ['rotation', r.id],
    ['old key', `${r.oldKeyName} (${r.oldKeyId})`],
    ['new key', `${r.newKeyName} (${r.newKeyId})`],
    ['started', `${shortTime(r.createdAt)} by ${r.createdBy}`],
    ['step', `${r.step} since ${shortTime(r.stepStartedAt)}`],
  ];
  if (r.deactivateAt) fields.push(['cut-over', `${shortTime(r.deactivateAt)} (${ago(r.deactivateAt, now)})`]);
  if (r.outcome === null) fields.push(['watch', watchText(r)]);
  if (r.outcome) fields.push(['outcome', r.outcome]);
  const lines = [
    renderFields(fields),
    stepper(r.step),
    '',
    'evidence',
    `  ${evidenceLine('new', r.evidence.newKey, now)}`,
    `  ${evidenceLine('old', r.evidence.oldKey, now)}`,
    ...(r.outcome === null ? systemsLines(r, now) : []),
  ];
  if (r.outcome === null) {
    lines.push('', r.evidence.canAdvance ? `next: keyward rotations advance ${r.id}` : `guard: ${stripUnsafe(r.evidence.guard ?? '')}`);
  }
  return lines.join('\n') + '\n';
}

const columns: Column<RotationJson>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'OLD KEY', value: (r) => r.oldKeyName },
  { header: 'NEW KEY', value: (r) => r.newKeyName },
  { header: 'STEP', value: (r) => r.step },
  { header: 'SINCE', value: (r) => shortTime(r.stepStartedAt) },
  { header: 'READY', value: (r) => (r.outcome !== null ? '—' : r.evidence.canAdvance ? 'yes' : 'no') },
];

export function renderRotationTable(rotations: readonly RotationJson[]): Promise<string> {
  return renderTable(rotations, columns);
}
