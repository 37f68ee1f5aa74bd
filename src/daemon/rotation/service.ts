/**
 * Rotations: start one (new key, secret once), read it with live evidence from usage, and
 * apply the step machine's transitions to the store, the verification index and the event bus.
 * A cut-over scheduled with `at` is carried out by the daemon, also after a restart.
 */
import type { Clock } from '../clock.js';
import { KeywardError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { KeyService } from '../keys/service.js';
import { NAME_MAX } from '../names.js';
import { newId } from '../secrets/format.js';
import type { Actor, CallerRow, KeyRow, RotationChange, RotationRow, Store, UsageBucket } from '../store.js';
import { callerLabel } from '../usage/callers.js';
import type { UsageTracker } from '../usage/tracker.js';
import { isOpen, planAdvance, planCancel, planRollback, type AdvanceRequest, type GuardEvidence, type Transition } from './machine.js';
import { rotationJson, type Evidence, type KeyEvidence, type RotationJson } from './schemas.js';

const RECENT_MS = 15 * 60_000;
const SERIES_MINUTES = 30;
const SYSTEM: Actor = { id: 'system', name: 'system' };

export type RotationServiceDeps = {
  store: Store;
  keys: KeyService;
  usage: UsageTracker;
  events: EventBus;
  now: () => number;
  every: Clock['every'];
  log: (line: string) => void;
};

function sum(buckets: UsageBucket[], fromMinute: number): { ok: number; rejected: number } {
  let ok = 0;
  let rejected = 0;
  for (const b of buckets) {
    if (b.minute < fromMinute) continue;
    ok += b.ok;
    rejected += b.rejected;
  }
  return { ok, rejected };
}

/** `billing` → `billing-2`, `billing-2` → `billing-3`, within the name length limit. */
export async function successorName(oldName: string, taken: (name: string) => Promise<boolean>): Promise<string> {
  const match = /^(.*)-(\d+)$/.exec(oldName);
  const base = match ? match[1]! : oldName;
  const width = match ? match[2]!.length : 1; // `svc-01` → `svc-02`, keeping the zero padding
  for (let n = match ? Number(match[2]) + 1 : 2; ; n++) {
    const suffix = `-${String(n).padStart(width, '0')}`;
    const candidate = [...base].slice(0, NAME_MAX - suffix.length).join('') + suffix;
    if (!(await taken(candidate))) return candidate;
  }
}

export class RotationService {
  private readonly scheduled = new Map<string, number>();
  private stopTimer: (() => void) | undefined;

  constructor(private readonly deps: RotationServiceDeps) {}

  async start(oldKeyId: string, name: string | undefined, actor: Actor): Promise<{ rotation: RotationJson; secret: string }> {
    const { store, keys, now } = this.deps;
    const old = await store.getKey(oldKeyId);
    if (!old) throw new KeywardError('not_found', `No key with id ${oldKeyId}`);
    const newName = name ?? (await successorName(old.name, async (n) => (await store.getKeyByName(n)) !== undefined));
    const { row, secret } = keys.newKeyRow(newName, old.expiresAt, keys.successorFields(old), actor);
    const at = now();
    const rotation: RotationRow = {
      id: newId('rot_'),
      oldKeyId: old.id,
      oldKeyName: old.name,
      newKeyId: row.id,
      newKeyName: row.name,
      step: 'update_systems',
      stepStartedAt: at,
      createdAt: at,
      createdBy: actor.name,
      verifyNewAt: null,
      deactivateOldAt: null,
      deactivateAt: null,
      doubleCheckAt: null,
      deleteOldAt: null,
      endedAt: null,
      outcome: null,
      cutNewOk: null,
      cutNewRejected: null,
      cutOldOk: null,
      cutOldRejected: null,
    };
    await store.createRotation(rotation, row, actor);
    keys.published(row);
    const json = await this.describe(rotation);
    this.deps.events.publish({ type: 'rotation.created', rotation: json });
    return { rotation: json, secret };
  }

  async get(id: string): Promise<RotationJson> {
    return this.describe(await this.require(id));
  }

  async list(openOnly: boolean): Promise<RotationJson[]> {
    const rows = await this.deps.store.listRotations(openOnly);
    return Promise.all(rows.map((r) => this.describe(r)));
  }

  async advance(id: string, request: AdvanceRequest, actor: Actor): Promise<RotationJson> {
    // The guards decide on usage; a flush that fails (a full disk) refuses the advance instead
    // of letting a guard pass on counts that leave out the uses still waiting in memory.
    await this.deps.usage.flush();
    const rotation = await this.require(id);
    const { guard } = await this.evidence(rotation);
    const transition = planAdvance(rotation.step, request, guard, this.deps.now());
    return this.apply(rotation, transition, 'rotation.advance', actor);
  }

  async rollback(id: string, actor: Actor): Promise<RotationJson> {
    const rotation = await this.require(id);
    return this.apply(rotation, planRollback(rotation.step), 'rotation.rollback', actor);
  }

  async cancel(id: string, actor: Actor): Promise<RotationJson> {
    const rotation = await this.require(id);
    return this.apply(rotation, planCancel(rotation.step), 'rotation.cancel', actor);
  }

  /** Loads scheduled cut-overs and checks them every second. */
  async startScheduler(): Promise<void> {
    for (const r of await this.deps.store.listRotations(true)) {
      if (r.step === 'deactivate_old' && r.deactivateAt !== null) this.scheduled.set(r.id, r.deactivateAt);
    }
    this.stopTimer = this.deps.every(1000, () => this.runDue());
    await this.runDue();
  }

  stopScheduler(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  private async runDue(): Promise<void> {
    const now = this.deps.now();
    for (const [id, at] of this.scheduled) {
      if (at > now) continue;
      this.scheduled.delete(id);
      try {
        await this.advance(id, { from: 'deactivate_old' }, SYSTEM);
      } catch (err) {
        // Someone advanced or cancelled it by hand first: nothing left to do.
        if (!(err instanceof KeywardError && (err.code === 'step_changed' || err.code === 'not_found'))) {
          this.scheduled.set(id, at);
          this.deps.log(`scheduled cut-over of rotation ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  }

  private async require(id: string): Promise<RotationRow> {
    const rotation = await this.deps.store.getRotation(id);
    if (!rotation) throw new KeywardError('not_found', `No rotation with id ${id}`);
    return rotation;
  }

  private async apply(rotation: RotationRow, t: Transition, action: string, actor: Actor): Promise<RotationJson> {
    const at = this.deps.now();
    const set: RotationChange['set'] = { step: t.to, stepStartedAt: at };
    if (t.to === 'verify_new') set.verifyNewAt = at;
    if (t.to === 'deactivate_old') {
      set.deactivateOldAt = at;
      set.deactivateAt = t.deactivateAt ?? null;
    }
    if (t.to === 'double_check') {
      set.doubleCheckAt = at;
      set.deactivateAt = at;
      // Everything counted so far is written, so these totals are the exact line between
      // traffic before and after the cut-over.
      await this.deps.usage.flush();
      const [newKey, oldKey] = await Promise.all([this.totals(rotation.newKeyId), this.totals(rotation.oldKeyId)]);
      Object.assign(set, { cutNewOk: newKey.ok, cutNewRejected: newKey.rejected, cutOldOk: oldKey.ok, cutOldRejected: oldKey.rejected });
    }
    if (t.to === 'delete_old') set.deleteOldAt = at;
    // The old key's name as it is now: it may have been edited since the rotation started.
    const takenName = t.takeOldName ? ((await this.deps.store.getKey(rotation.oldKeyId))?.name ?? rotation.oldKeyName) : undefined;
    if (takenName !== undefined) set.newKeyName = takenName;
    if (!isOpen(t.to)) {
      set.endedAt = at;
      set.outcome = t.outcome ?? null;
    }
    const detail: Record<string, unknown> = { from: rotation.step, to: t.to };
    if (t.forced) detail.force = true;
    if (t.deactivateAt) detail.deactivateAt = new Date(t.deactivateAt).toISOString();
    if (t.outcome) detail.outcome = t.outcome;
    if (takenName !== undefined) detail.newKeyName = takenName;
    const updated = await this.deps.store.changeRotation(
      rotation.id,
      {
        expectStep: rotation.step,
        set,
        at,
        oldKeyStatus: t.oldKey === 'deactivate' ? 'inactive' : t.oldKey === 'reactivate' ? 'active' : undefined,
        deleteOldKey: t.oldKey === 'delete',
        renameNewKey: takenName,
        audit: { action, targetType: 'rotation', targetId: rotation.id, targetName: rotation.oldKeyName, detail },
      },
      actor,
    );
    await this.syncOldKey(updated, t);
    if (takenName !== undefined) {
      const renamed = await this.deps.store.getKey(updated.newKeyId);
      if (renamed) await this.deps.keys.renamed(renamed);
    }
    if (updated.step === 'deactivate_old' && updated.deactivateAt !== null) this.scheduled.set(updated.id, updated.deactivateAt);
    else this.scheduled.delete(updated.id);
    const json = await this.describe(updated);
    this.deps.events.publish({ type: 'rotation.updated', rotation: json });
    return json;
  }

  /** A key's verifications over the whole kept history (30 days of buckets). */
  private async totals(keyId: string): Promise<{ ok: number; rejected: number }> {
    return sum(await this.deps.store.usageBuckets(keyId, 0), 0);
  }

  private async syncOldKey(rotation: RotationRow, t: Transition): Promise<void> {
    if (t.oldKey === 'delete') {
      await this.deps.keys.removed(rotation.oldKeyId);
      return;
    }
    if (t.oldKey) {
      const old = await this.deps.store.getKey(rotation.oldKeyId);
      if (old) await this.deps.keys.updated(old);
    }
  }

  private async describe(rotation: RotationRow): Promise<RotationJson> {
    const { evidence } = await this.evidence(rotation);
    return rotationJson(rotation, evidence);
  }

  /** Live evidence for the rotation's current step, and what the guards see. */
  private async evidence(rotation: RotationRow): Promise<{ evidence: Evidence; guard: GuardEvidence }> {
    const { store, usage, now } = this.deps;
    await usage.flushForRead();
    const at = now();
    const cutOver = rotation.step === 'double_check' || rotation.step === 'delete_old';
    const deactivatedAt = rotation.doubleCheckAt ?? at;
    const newSince = cutOver ? deactivatedAt : rotation.createdAt;
    const oldSince = cutOver ? deactivatedAt : at - RECENT_MS;
    const seriesFrom = Math.floor(at / 60_000) - SERIES_MINUTES + 1;
    // After the cut-over, counts are the totals now less the totals recorded at the cut-over
    // (exact); rotations cut over before those were recorded count from the cut-over's minute.
    const cut = cutOver && rotation.cutNewOk !== null ? rotation : undefined;
    const earliest = cut
      ? 0
      : Math.min(Math.floor(newSince / 60_000), Math.floor(oldSince / 60_000), seriesFrom, Math.floor(rotation.createdAt / 60_000));
    const [newKey, oldKey] = await Promise.all([store.getKey(rotation.newKeyId), store.getKey(rotation.oldKeyId)]);
    const [newBuckets, oldBuckets, newCallers, oldCallers] = await Promise.all([
      store.usageBuckets(rotation.newKeyId, earliest),
      store.usageBuckets(rotation.oldKeyId, earliest),
      store.callers(rotation.newKeyId),
      store.callers(rotation.oldKeyId),
    ]);
    const since = (buckets: UsageBucket[], from: number, base: { ok: number | null; rejected: number | null } | undefined) => {
      if (!base) return sum(buckets, Math.floor(from / 60_000));
      const all = sum(buckets, 0);
      return { ok: Math.max(0, all.ok - (base.ok ?? 0)), rejected: Math.max(0, all.rejected - (base.rejected ?? 0)) };
    };
    const newCounts = since(newBuckets, newSince, cut && { ok: cut.cutNewOk, rejected: cut.cutNewRejected });
    const oldCounts = since(oldBuckets, oldSince, cut && { ok: cut.cutOldOk, rejected: cut.cutOldRejected });
    const keyEvidence = (
      id: string,
      name: string,
      row: KeyRow | undefined,
      counts: { ok: number; rejected: number },
      callers: CallerRow[],
      from: number,
    ): KeyEvidence => ({
      id,
      name: row?.name ?? name,
      status: row?.status ?? 'deleted',
      since: new Date(from).toISOString(),
      ...counts,
      lastUsedAt: row?.lastUsedAt ? new Date(row.lastUsedAt).toISOString() : null,
      callers: callers
        .filter((c) => c.lastSeenAt >= from)
        .map((c) => ({ caller: callerLabel(c.caller), lastSeenAt: new Date(c.lastSeenAt).toISOString(), ok: c.ok, rejected: c.rejected })),
    });
    const series = Array.from({ length: SERIES_MINUTES }, (_, i) => {
      const minute = seriesFrom + i;
      const n = newBuckets.find((b) => b.minute === minute);
      const o = oldBuckets.find((b) => b.minute === minute);
      return {
        start: new Date(minute * 60_000).toISOString(),
        newOk: n?.ok ?? 0,
        newRejected: n?.rejected ?? 0,
        oldOk: o?.ok ?? 0,
        oldRejected: o?.rejected ?? 0,
      };
    });
    const guard: GuardEvidence = {
      newKeyOk: cutOver ? sum(newBuckets, 0).ok : newCounts.ok,
      oldKeyRejectedSinceDeactivation: cutOver ? oldCounts.rejected : 0,
    };
    let blockedBy: string | null = null;
    if (isOpen(rotation.step)) {
      try {
        planAdvance(rotation.step, { from: rotation.step }, guard, at);
      } catch (err) {
        blockedBy = err instanceof Error ? err.message : String(err);
      }
    }
    return {
      guard,
      evidence: {
        newKey: keyEvidence(rotation.newKeyId, rotation.newKeyName, newKey, newCounts, newCallers, newSince),
        oldKey: keyEvidence(rotation.oldKeyId, rotation.oldKeyName, oldKey, oldCounts, oldCallers, oldSince),
        series,
        canAdvance: isOpen(rotation.step) && blockedBy === null,
        guard: blockedBy,
      },
    };
  }
}
