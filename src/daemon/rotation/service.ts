/**
 * Rotations: start one (new key, secret once), read it with live evidence from usage, and
 * apply the step machine's transitions to the store, the verification index and the event bus.
 * A cut-over scheduled with `at` is carried out by the daemon, also after a restart.
 */
import type { AuditAction } from '../audit/actions.js';
import type { Clock } from '../clock.js';
import { KeywardError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { KeyService } from '../keys/service.js';
import { WATCH_DEFAULT_SECONDS } from '../limits.js';
import { NAME_MAX } from '../names.js';
import { newId } from '../secrets/format.js';
import type { Actor, EmergencyCut, RotationRow, Store } from '../store.js';
import type { UsageTracker } from '../usage/tracker.js';
import { failureText } from '../db/storage-errors.js';
import { firstMinuteNeeded, rotationEvidence, sumBuckets } from './evidence.js';
import { planAdvance, planCancel, planRollback, planStart, type AdvanceRequest, type Transition } from './machine.js';
import { cutsOver, transitionChange, type CutTotals } from './patch.js';
import { rotationJson, type RotationJson } from './schemas.js';

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

export type StartRotation = { name?: string; watchSeconds?: number };

/** `billing` → `billing-2`, `billing-2` → `billing-3`, within the name length limit. */
async function successorName(oldName: string, taken: (name: string) => Promise<boolean>): Promise<string> {
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

  /**
   * Starts replacing a key; with `emergency` (its reason kept on the old key), cut over at once
   * (see `planStart`): the old key fails verification from the moment this returns.
   */
  async start(oldKeyId: string, { name, watchSeconds = WATCH_DEFAULT_SECONDS }: StartRotation, actor: Actor, emergency?: EmergencyCut): Promise<{ rotation: RotationJson; secret: string }> {
    const { store, keys, now } = this.deps;
    const old = await store.getKey(oldKeyId);
    if (!old) throw new KeywardError('not_found', `No key with id ${oldKeyId}`);
    const plan = planStart(old, emergency !== undefined);
    const newName = name ?? (await successorName(old.name, async (n) => (await store.getKeyByName(n)) !== undefined));
    const { row, secret } = keys.newKeyRow(newName, old.expiresAt, keys.successorFields(old), actor);
    const at = now();
    const fresh: RotationRow = {
      id: newId('rot_'),
      oldKeyId: old.id,
      oldKeyName: old.name,
      newKeyId: row.id,
      newKeyName: row.name,
      step: 'update_systems',
      stepStartedAt: at,
      createdAt: at,
      createdBy: actor.name,
      watchMs: watchSeconds * 1000,
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
    // An emergency starts as if it had just entered double_check, with the totals of that moment.
    const rotation: RotationRow = cutsOver(plan) ? { ...fresh, ...transitionChange(fresh, plan, 'rotation.start', at, { cut: await this.cutTotals(fresh) }).set } : fresh;
    await store.createRotation(rotation, row, actor, emergency);
    keys.published(row);
    const cut = emergency && (await store.getKey(old.id));
    if (cut) await keys.cutOver(cut, emergency.reason, at);
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
          this.deps.log(`scheduled cut-over of rotation ${id} failed: ${failureText(err)}`);
        }
      }
    }
  }

  private async require(id: string): Promise<RotationRow> {
    const rotation = await this.deps.store.getRotation(id);
    if (!rotation) throw new KeywardError('not_found', `No rotation with id ${id}`);
    return rotation;
  }

  private async apply(rotation: RotationRow, t: Transition, action: AuditAction, actor: Actor): Promise<RotationJson> {
    const at = this.deps.now();
    // The old key's name as it is now: it may have been edited since the rotation started.
    const takenName = t.takeOldName ? ((await this.deps.store.getKey(rotation.oldKeyId))?.name ?? rotation.oldKeyName) : undefined;
    const change = transitionChange(rotation, t, action, at, { cut: cutsOver(t) ? await this.cutTotals(rotation) : undefined, takenName });
    const updated = await this.deps.store.changeRotation(rotation.id, change, actor);
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

  /**
   * Both keys' verifications over the whole kept history (30 days of buckets), after a flush:
   * with everything counted so far written, these are the exact line between traffic before
   * and after the cut-over.
   */
  private async cutTotals(rotation: RotationRow): Promise<CutTotals> {
    await this.deps.usage.flush();
    const totals = async (keyId: string) => sumBuckets(await this.deps.store.usageBuckets(keyId, 0));
    const [newKey, oldKey] = await Promise.all([totals(rotation.newKeyId), totals(rotation.oldKeyId)]);
    return { newKey, oldKey };
  }

  private async syncOldKey(rotation: RotationRow, t: Transition): Promise<void> {
    if (t.oldKey === 'delete') {
      await this.deps.keys.removed(rotation.oldKeyId, rotation.stepStartedAt);
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

  /** Reads both keys' usage and hands it to the evidence arithmetic. */
  private async evidence(rotation: RotationRow): Promise<ReturnType<typeof rotationEvidence>> {
    const { store, usage } = this.deps;
    await usage.flushForRead();
    const now = this.deps.now();
    const from = firstMinuteNeeded(rotation, now);
    const [newKey, oldKey, newBuckets, oldBuckets, newCallers, oldCallers] = await Promise.all([
      store.getKey(rotation.newKeyId),
      store.getKey(rotation.oldKeyId),
      store.usageBuckets(rotation.newKeyId, from),
      store.usageBuckets(rotation.oldKeyId, from),
      store.callers(rotation.newKeyId),
      store.callers(rotation.oldKeyId),
    ]);
    return rotationEvidence({ rotation, now, newKey, oldKey, newBuckets, oldBuckets, newCallers, oldCallers });
  }
}
