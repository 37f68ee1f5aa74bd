/**
 * A rotation's evidence, pure: from both keys' stored usage (per-minute buckets, callers) and
 * the time, what each step shows (docs/rotation.md) and what its guard looks at.
 * The service reads the rows; everything counted is decided here.
 */
import type { CallerRow, KeyRow, RotationRow, UsageBucket } from '../store.js';
import { callerLabel, isOneCaller } from '../usage/callers.js';
import { guardRefusal, isOpen, type GuardEvidence } from './machine.js';
import type { Counts } from './patch.js';
import type { Evidence, KeyEvidence, SystemJson } from './schemas.js';

/** Before the cut-over the old key's traffic is shown over this recent window. */
export const RECENT_MS = 15 * 60_000;
/** Minutes of per-minute traffic in `series`. */
const SERIES_MINUTES = 30;

export type EvidenceInput = {
  rotation: RotationRow;
  now: number;
  newKey: KeyRow | undefined;
  oldKey: KeyRow | undefined;
  /** Buckets from `firstMinuteNeeded(rotation, now)` on. */
  newBuckets: UsageBucket[];
  oldBuckets: UsageBucket[];
  newCallers: CallerRow[];
  oldCallers: CallerRow[];
};

const minuteOf = (ms: number) => Math.floor(ms / 60_000);
const iso = (ms: number) => new Date(ms).toISOString();

export function sumBuckets(buckets: readonly UsageBucket[], fromMinute = 0): Counts {
  let ok = 0;
  let rejected = 0;
  for (const b of buckets) {
    if (b.minute < fromMinute) continue;
    ok += b.ok;
    rejected += b.rejected;
  }
  return { ok, rejected };
}

/** After the cut-over (double_check, delete_old), counts run from the cut-over on. */
function isCutOver(rotation: RotationRow): boolean {
  return (rotation.step === 'double_check' || rotation.step === 'delete_old') && rotation.doubleCheckAt !== null;
}

/**
 * Rotations cut over with the totals recorded count exactly: totals now less totals then.
 * Older ones (cut over before the totals were recorded) count from the cut-over's minute.
 */
function exactCut(rotation: RotationRow): { newKey: Counts; oldKey: Counts } | undefined {
  if (!isCutOver(rotation) || rotation.cutNewOk === null) return undefined;
  return {
    newKey: { ok: rotation.cutNewOk, rejected: rotation.cutNewRejected ?? 0 },
    oldKey: { ok: rotation.cutOldOk ?? 0, rejected: rotation.cutOldRejected ?? 0 },
  };
}

/** Where each key's counting window starts. */
function windows(rotation: RotationRow, now: number): { newSince: number; oldSince: number } {
  if (isCutOver(rotation)) return { newSince: rotation.doubleCheckAt!, oldSince: rotation.doubleCheckAt! };
  return { newSince: rotation.createdAt, oldSince: now - RECENT_MS };
}

/** The first minute of buckets `rotationEvidence` needs (0: all that is kept). */
export function firstMinuteNeeded(rotation: RotationRow, now: number): number {
  if (exactCut(rotation)) return 0;
  const { newSince, oldSince } = windows(rotation, now);
  return Math.min(minuteOf(newSince), minuteOf(oldSince), minuteOf(now) - SERIES_MINUTES + 1, minuteOf(rotation.createdAt));
}

function countSince(buckets: readonly UsageBucket[], from: number, base: Counts | undefined): Counts {
  if (!base) return sumBuckets(buckets, minuteOf(from));
  const all = sumBuckets(buckets);
  return { ok: Math.max(0, all.ok - base.ok), rejected: Math.max(0, all.rejected - base.rejected) };
}

function keyEvidence(id: string, name: string, row: KeyRow | undefined, counts: Counts, callers: readonly CallerRow[], from: number): KeyEvidence {
  return {
    id,
    name: row?.name ?? name,
    status: row?.status ?? 'deleted',
    since: iso(from),
    ...counts,
    lastUsedAt: row?.lastUsedAt ? iso(row.lastUsedAt) : null,
    callers: callers
      .filter((c) => c.lastSeenAt >= from)
      .map((c) => ({ caller: callerLabel(c.caller), lastSeenAt: iso(c.lastSeenAt), ok: c.ok, rejected: c.rejected })),
  };
}

/**
 * The old key's callers are the systems to update. One counts as switched once the same
 * caller label has been seen on the new key; most recently seen on the old key first, since a
 * system that used the old key a minute ago matters more than one silent for a month. The
 * callers beyond those kept per key, counted together, and the uses without a label never count
 * as switched: nobody can tell which of them moved.
 */
export function systemsToUpdate(oldCallers: readonly CallerRow[], newCallers: readonly CallerRow[]): { yetToSwitch: SystemJson[]; switched: SystemJson[] } {
  const onNew = new Map(newCallers.filter((c) => isOneCaller(c.caller)).map((c) => [c.caller, c.lastSeenAt]));
  const yetToSwitch: SystemJson[] = [];
  const switched: SystemJson[] = [];
  for (const c of [...oldCallers].sort((a, b) => b.lastSeenAt - a.lastSeenAt || a.caller.localeCompare(b.caller))) {
    const seenNew = onNew.get(c.caller);
    const system = { caller: callerLabel(c.caller), oldLastSeenAt: iso(c.lastSeenAt), newLastSeenAt: seenNew === undefined ? null : iso(seenNew) };
    (seenNew === undefined ? yetToSwitch : switched).push(system);
  }
  return { yetToSwitch, switched };
}

function series(newBuckets: readonly UsageBucket[], oldBuckets: readonly UsageBucket[], now: number): Evidence['series'] {
  const first = minuteOf(now) - SERIES_MINUTES + 1;
  const byMinute = (buckets: readonly UsageBucket[]) => new Map(buckets.map((b) => [b.minute, b]));
  const n = byMinute(newBuckets);
  const o = byMinute(oldBuckets);
  return Array.from({ length: SERIES_MINUTES }, (_, i) => {
    const minute = first + i;
    return {
      start: iso(minute * 60_000),
      newOk: n.get(minute)?.ok ?? 0,
      newRejected: n.get(minute)?.rejected ?? 0,
      oldOk: o.get(minute)?.ok ?? 0,
      oldRejected: o.get(minute)?.rejected ?? 0,
    };
  });
}

/** Live evidence for the rotation's current step, and what the guards see. */
export function rotationEvidence(input: EvidenceInput): { evidence: Evidence; guard: GuardEvidence } {
  const { rotation, now } = input;
  const cutOver = isCutOver(rotation);
  const cut = exactCut(rotation);
  const { newSince, oldSince } = windows(rotation, now);
  const newCounts = countSince(input.newBuckets, newSince, cut?.newKey);
  const oldCounts = countSince(input.oldBuckets, oldSince, cut?.oldKey);
  const watchedMs = cutOver ? Math.max(0, now - rotation.doubleCheckAt!) : 0;
  const guard: GuardEvidence = {
    newKeyOk: cutOver ? sumBuckets(input.newBuckets).ok : newCounts.ok,
    oldKeyRejectedSinceDeactivation: cutOver ? oldCounts.rejected : 0,
    watchedMs,
    watchMs: rotation.watchMs,
    oldKeyActiveAfterCutOver: cutOver && input.oldKey?.status === 'active',
  };
  const refusal = isOpen(rotation.step) ? guardRefusal(rotation.step, guard) : undefined;
  return {
    guard,
    evidence: {
      newKey: keyEvidence(rotation.newKeyId, rotation.newKeyName, input.newKey, newCounts, input.newCallers, newSince),
      oldKey: keyEvidence(rotation.oldKeyId, rotation.oldKeyName, input.oldKey, oldCounts, input.oldCallers, oldSince),
      series: series(input.newBuckets, input.oldBuckets, now),
      systems: systemsToUpdate(input.oldCallers, input.newCallers),
      watch: {
        seconds: Math.round(rotation.watchMs / 1000),
        since: cutOver ? iso(rotation.doubleCheckAt!) : null,
        watchedSeconds: Math.floor(watchedMs / 1000),
        passed: cutOver && watchedMs >= rotation.watchMs,
      },
      canAdvance: isOpen(rotation.step) && refusal === undefined,
      guard: refusal ?? null,
    },
  };
}
