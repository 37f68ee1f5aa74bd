/**
 * The embedded SQLite implementation of `Store`. better-sqlite3 is synchronous, so every write
 * is one synchronous `immediate` transaction that also appends its audit event; the async
 * signatures exist for networked stores. Over 300 lines because it is the whole `Store` for
 * one dialect (see ../shared.ts): what both dialects share lives there and in ../key-columns.ts.
 */
import type Database from 'better-sqlite3';
import { and, asc, desc, eq, gt, gte, inArray, lt, ne, notInArray, or, sql } from 'drizzle-orm';
import { settle, type StoredQuota } from '../../../decide/quota.js';
import { nextEvent } from '../../audit/chain.js';
import { changedFields, editDetail, stampedAfter } from '../../keys/edit.js';
import { narrows } from '../../keys/narrowing.js';
import { nameColumns } from '../../names.js';
import { END_STEPS } from '../../rotation/machine.js';
import { CALLERS_KEPT, OTHER_CALLERS } from '../../usage/callers.js';
import type {
  Actor,
  AuditEvent,
  AuditSigner,
  AuditInput,
  CallerRow,
  IndexedKey,
  IndexedOperator,
  KeyEdit,
  KeyListQuery,
  KeyRow,
  KeyStatus,
  KeyView,
  OperatorRow,
  RotationChange,
  RotationRow,
  Store,
  UsageBucket,
  UsageDelta,
} from '../../store.js';
import {
  keyActive,
  keyAudit,
  keyListWhere,
  lastAdmin,
  nameTaken,
  notFound,
  operatorAudit,
  rotationOpen,
  rotationStartAudit,
  sameOrLookAlike,
  statusAudit,
  stepChanged,
} from '../shared.js';
import { attachPolicies, editColumns, fieldsFromColumns, fieldsToColumns, HAS_POLICY_SQL, keyValues, policyColumnsOf, storedQuotas, withFields } from '../key-columns.js';
import type { Db } from './open.js';
import { SpaceReserve } from './reserve.js';
import { auditEvents, keyCallers, keys, operators, rotations, usageBuckets } from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const keyColumns = {
  id: keys.id,
  name: keys.name,
  hint: keys.hint,
  status: keys.status,
  createdAt: keys.createdAt,
  createdBy: keys.createdBy,
  deactivatedAt: keys.deactivatedAt,
  expiresAt: keys.expiresAt,
  lastUsedAt: keys.lastUsedAt,
  ...policyColumnsOf(keys),
};

const operatorColumns = {
  id: operators.id,
  name: operators.name,
  role: operators.role,
  createdAt: operators.createdAt,
  disabledAt: operators.disabledAt,
};

const ENDED: RotationRow['step'][] = [...END_STEPS];

/**
 * The statements a usage flush runs once per key, prepared once: building and preparing each
 * through the query builder cost ~0.3 ms a row, so a flush of 1,000 keys held the event loop
 * (and every verify) for ~0.3–1 s; prepared, it takes ~20 ms.
 */
function prepareUsageWrites(db: Db) {
  const p = {
    keyId: sql.placeholder('keyId'),
    minute: sql.placeholder('minute'),
    caller: sql.placeholder('caller'),
    at: sql.placeholder('at'),
    firstSeenAt: sql.placeholder('firstSeenAt'),
    ok: sql.placeholder('ok'),
    rejected: sql.placeholder('rejected'),
  };
  return {
    keyExists: db.select({ id: keys.id }).from(keys).where(eq(keys.id, p.keyId)).prepare(),
    bucket: db
      .insert(usageBuckets)
      .values({ keyId: p.keyId, minute: p.minute, ok: p.ok, rejected: p.rejected })
      .onConflictDoUpdate({
        target: [usageBuckets.keyId, usageBuckets.minute],
        set: { ok: sql`${usageBuckets.ok} + ${p.ok}`, rejected: sql`${usageBuckets.rejected} + ${p.rejected}` },
      })
      .prepare(),
    caller: db
      .insert(keyCallers)
      .values({ keyId: p.keyId, caller: p.caller, firstSeenAt: p.at, lastSeenAt: p.at, ok: p.ok, rejected: p.rejected })
      .onConflictDoUpdate({
        target: [keyCallers.keyId, keyCallers.caller],
        set: {
          lastSeenAt: sql`max(${keyCallers.lastSeenAt}, ${p.at})`,
          ok: sql`${keyCallers.ok} + ${p.ok}`,
          rejected: sql`${keyCallers.rejected} + ${p.rejected}`,
        },
      })
      .returning({ ok: keyCallers.ok, rejected: keyCallers.rejected })
      .prepare(),
    /** A key's callers beyond the most recent `CALLERS_KEPT`. */
    excessCallers: db
      .select({ caller: keyCallers.caller, ok: keyCallers.ok, rejected: keyCallers.rejected, firstSeenAt: keyCallers.firstSeenAt, lastSeenAt: keyCallers.lastSeenAt })
      .from(keyCallers)
      .where(and(eq(keyCallers.keyId, p.keyId), ne(keyCallers.caller, OTHER_CALLERS)))
      .orderBy(desc(keyCallers.lastSeenAt), desc(keyCallers.caller))
      .limit(Number.MAX_SAFE_INTEGER) // all of them: SQLite takes an offset only after a limit
      .offset(CALLERS_KEPT)
      .prepare(),
    others: db
      .insert(keyCallers)
      .values({ keyId: p.keyId, caller: OTHER_CALLERS, firstSeenAt: p.firstSeenAt, lastSeenAt: p.at, ok: p.ok, rejected: p.rejected })
      .onConflictDoUpdate({
        target: [keyCallers.keyId, keyCallers.caller],
        set: {
          firstSeenAt: sql`min(${keyCallers.firstSeenAt}, ${p.firstSeenAt})`,
          lastSeenAt: sql`max(${keyCallers.lastSeenAt}, ${p.at})`,
          ok: sql`${keyCallers.ok} + ${p.ok}`,
          rejected: sql`${keyCallers.rejected} + ${p.rejected}`,
        },
      })
      .prepare(),
    dropCaller: db.delete(keyCallers).where(and(eq(keyCallers.keyId, p.keyId), eq(keyCallers.caller, p.caller))).prepare(),
    lastUsed: db
      .update(keys)
      .set({ lastUsedAt: sql`max(coalesce(${keys.lastUsedAt}, 0), ${p.at})` })
      .where(eq(keys.id, p.keyId))
      .prepare(),
  };
}

type UsageWrites = ReturnType<typeof prepareUsageWrites>;

/** Adds a key's callers beyond the most recent `CALLERS_KEPT` to its others (see `usage/callers.ts`). */
function keepRecentCallers(writes: UsageWrites, keyId: string): void {
  const excess = writes.excessCallers.all({ keyId });
  if (excess.length === 0) return;
  const others = { keyId, firstSeenAt: Infinity, at: 0, ok: 0, rejected: 0 };
  for (const c of excess) {
    others.firstSeenAt = Math.min(others.firstSeenAt, c.firstSeenAt);
    others.at = Math.max(others.at, c.lastSeenAt);
    others.ok += c.ok;
    others.rejected += c.rejected;
    writes.dropCaller.run({ keyId, caller: c.caller });
  }
  writes.others.run(others);
}

export class SqliteStore implements Store {
  private readonly usageWrites: UsageWrites;
  /** Set by `appendAudit` inside a write, so the write anchors the new head once it commits. */
  private appended = false;
  private readonly reserve: SpaceReserve;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly db: Db,
    private readonly audit: AuditSigner,
  ) {
    this.usageWrites = prepareUsageWrites(db);
    this.reserve = new SpaceReserve(sqlite);
  }

  /** A write that adds to the store (a key, an operator, a rotation, usage): it leaves the reserve alone. */
  private write<T>(fn: (tx: Tx) => T): T {
    this.reserve.keep();
    return this.transact(fn);
  }

  /** A write that takes access away or removes (deactivate, delete, disable, rotation steps): it may use the reserve. */
  private narrowing<T>(fn: (tx: Tx) => T): T {
    this.reserve.release();
    return this.transact(fn);
  }

  private transact<T>(fn: (tx: Tx) => T): T {
    this.appended = false;
    const value = this.db.transaction(fn, { behavior: 'immediate' });
    if (this.appended) {
      const head = this.db.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1).get();
      if (head) this.audit.anchor(head);
    }
    return value;
  }

  private appendAudit(tx: Tx, actor: Actor | null, input: AuditInput, at: number): void {
    const last = tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1).get();
    tx.insert(auditEvents).values(nextEvent(this.audit.key, actor, input, at, last?.hash)).run();
    this.appended = true;
  }

  private keyById(tx: Tx | Db, id: string): KeyRow | undefined {
    const row = tx.select(keyColumns).from(keys).where(eq(keys.id, id)).get();
    return row && withFields(row);
  }

  private requireKey(tx: Tx, id: string): KeyRow {
    const key = this.keyById(tx, id);
    if (!key) throw notFound('key', id);
    return key;
  }

  // keys

  async listKeys(query: KeyListQuery): Promise<KeyView[]> {
    const since = Math.floor(query.since24h / 60_000);
    const uses = this.db
      .select({
        keyId: usageBuckets.keyId,
        uses: sql<number>`sum(${usageBuckets.ok} + ${usageBuckets.rejected})`.as('uses'),
      })
      .from(usageBuckets)
      .where(gte(usageBuckets.minute, since))
      .groupBy(usageBuckets.keyId)
      .as('uses');
    const rows = this.db
      .select({ ...keyColumns, uses24h: sql<number>`coalesce(${uses.uses}, 0)` })
      .from(keys)
      .leftJoin(uses, eq(uses.keyId, keys.id))
      .where(keyListWhere(keys, query))
      .orderBy(asc(keys.createdAt), asc(keys.id))
      .limit(query.limit)
      .all();
    return rows.map(withFields);
  }

  async countKeys(): Promise<{ active: number; inactive: number }> {
    const rows = this.db.select({ status: keys.status, n: sql<number>`count(*)` }).from(keys).groupBy(keys.status).all();
    return {
      active: rows.find((r) => r.status === 'active')?.n ?? 0,
      inactive: rows.find((r) => r.status === 'inactive')?.n ?? 0,
    };
  }

  async getKey(id: string): Promise<KeyRow | undefined> {
    return this.keyById(this.db, id);
  }

  /** The key named `name` (ignoring case), or one whose name looks like it. */
  async getKeyByName(name: string): Promise<KeyRow | undefined> {
    const row = this.db.select(keyColumns).from(keys).where(sameOrLookAlike(keys, name)).get();
    return row && withFields(row);
  }

  async uses24h(id: string, since: number): Promise<number> {
    const row = this.db
      .select({ n: sql<number>`coalesce(sum(${usageBuckets.ok} + ${usageBuckets.rejected}), 0)` })
      .from(usageBuckets)
      .where(and(eq(usageBuckets.keyId, id), gte(usageBuckets.minute, Math.floor(since / 60_000))))
      .get();
    return row?.n ?? 0;
  }

  /** Writes are immediate transactions, so a name free when checked is still free at the insert. */
  private insertKey(tx: Tx, key: KeyRow & { hash: string }): void {
    this.refuseTakenName(tx, key.name);
    tx.insert(keys).values({ ...keyValues(key), ...nameColumns(key.name) }).run();
  }

  /** Refuses `name` when a key other than `exceptId` has it, or a name that looks the same. */
  private refuseTakenName(tx: Tx, name: string, exceptId?: string): void {
    const sameName = sameOrLookAlike(keys, name);
    const taken = tx.select({ name: keys.name }).from(keys).where(exceptId ? and(sameName, ne(keys.id, exceptId)) : sameName).get();
    if (taken) throw nameTaken('key', name, taken.name);
  }

  /** Renames or edits `key`, audited; the caller has checked that something changes. */
  private editKey(tx: Tx, key: KeyRow, edit: KeyEdit, changed: (keyof KeyEdit)[], at: number, actor: Actor, detail?: Record<string, unknown>): void {
    if (edit.name !== undefined) this.refuseTakenName(tx, edit.name, key.id);
    tx.update(keys).set(editColumns(edit)).where(eq(keys.id, key.id)).run();
    this.appendAudit(tx, actor, keyAudit('key.update', { id: key.id, name: edit.name ?? key.name }, { ...editDetail(key, edit, changed), ...detail }), at);
  }

  async updateKey(id: string, requested: KeyEdit, at: number, actor: Actor): Promise<{ key: KeyRow & { hash: string }; changed: (keyof KeyEdit)[] }> {
    // Read outside the transaction, but nothing writes in between: this runs synchronously.
    const current = this.keyById(this.db, id);
    const update = (tx: Tx) => {
      const key = this.requireKey(tx, id);
      const edit = stampedAfter(key, requested);
      const changed = changedFields(key, edit);
      if (changed.length) this.editKey(tx, key, edit, changed, at, actor);
      const hash = tx.select({ hash: keys.hash }).from(keys).where(eq(keys.id, id)).get()!.hash;
      return { key: { ...this.requireKey(tx, id), hash }, changed };
    };
    return current && narrows(current, { ...current, ...stampedAfter(current, requested) }) ? this.narrowing(update) : this.write(update);
  }

  async createKey(key: KeyRow & { hash: string }, actor: Actor): Promise<KeyRow> {
    return this.write((tx) => {
      this.insertKey(tx, key);
      this.appendAudit(tx, actor, keyAudit('key.create', key), key.createdAt);
      return this.requireKey(tx, key.id);
    });
  }

  async setKeyStatus(id: string, status: KeyStatus, at: number, actor: Actor): Promise<KeyRow> {
    return this.narrowing((tx) => {
      const key = this.requireKey(tx, id);
      if (key.status === status) return key;
      this.changeKeyStatus(tx, key, status, at, actor);
      return this.requireKey(tx, id);
    });
  }

  private changeKeyStatus(tx: Tx, key: KeyRow, status: KeyRow['status'], at: number, actor: Actor, detail?: Record<string, unknown>): void {
    tx.update(keys)
      .set({ status, deactivatedAt: status === 'inactive' ? at : null })
      .where(eq(keys.id, key.id))
      .run();
    this.appendAudit(tx, actor, statusAudit(status, key, detail), at);
  }

  private removeKey(tx: Tx, key: KeyRow, at: number, actor: Actor, detail?: Record<string, unknown>): void {
    tx.delete(keys).where(eq(keys.id, key.id)).run();
    this.appendAudit(tx, actor, keyAudit('key.delete', key, detail), at);
  }

  async deleteKey(id: string, at: number, actor: Actor): Promise<KeyRow> {
    return this.narrowing((tx) => {
      const key = this.requireKey(tx, id);
      if (key.status === 'active') throw keyActive(key);
      this.refuseIfInOpenRotation(tx, id, 'deleted');
      this.removeKey(tx, key, at, actor);
      return key;
    });
  }

  private refuseIfInOpenRotation(tx: Tx, keyId: string, verb: string): void {
    const open = tx
      .select({ id: rotations.id })
      .from(rotations)
      .where(and(or(eq(rotations.oldKeyId, keyId), eq(rotations.newKeyId, keyId)), notInArray(rotations.step, ENDED)))
      .get();
    if (open) throw rotationOpen(open.id, verb);
  }

  async indexedKeys(): Promise<IndexedKey[]> {
    // better-sqlite3's own row objects: with 100,000 keys, drizzle's per-row mapping was a fifth
    // of the daemon's startup and left ~15 MB more in the heap.
    const plain = this.sqlite.prepare<[], IndexedKey>('select id, name, hash, status, expires_at as expiresAt from keys').all();
    const withPolicy = this.db
      .select({ id: keys.id, ...policyColumnsOf(keys) })
      .from(keys)
      .where(sql.raw(HAS_POLICY_SQL))
      .all();
    return attachPolicies(plain, withPolicy);
  }

  async quotas(keyIds: string[]): Promise<(StoredQuota & { keyId: string })[]> {
    if (keyIds.length === 0) return [];
    return storedQuotas(this.db.select({ id: keys.id, ...policyColumnsOf(keys) }).from(keys).where(inArray(keys.id, keyIds)).all());
  }

  // operators

  async countOperators(): Promise<number> {
    return this.db.select({ n: sql<number>`count(*)` }).from(operators).get()?.n ?? 0;
  }

  async listOperators(): Promise<OperatorRow[]> {
    return this.db.select(operatorColumns).from(operators).orderBy(asc(operators.createdAt), asc(operators.id)).all();
  }

  async indexedOperators(): Promise<IndexedOperator[]> {
    return this.db.select({ ...operatorColumns, tokenHash: operators.tokenHash }).from(operators).all();
  }

  async createOperator(op: OperatorRow & { tokenHash: string }, actor: Actor | null): Promise<OperatorRow> {
    return this.write((tx) => {
      const taken = tx.select({ name: operators.name }).from(operators).where(sameOrLookAlike(operators, op.name)).get();
      if (taken) throw nameTaken('operator', op.name, taken.name);
      // Any other unique violation (a token-hash clash) is not the caller's doing: it stays an internal error.
      tx.insert(operators).values({ ...op, ...nameColumns(op.name) }).run();
      this.appendAudit(tx, actor, operatorAudit('operator.create', op, { role: op.role }), op.createdAt);
      return { id: op.id, name: op.name, role: op.role, createdAt: op.createdAt, disabledAt: op.disabledAt };
    });
  }

  async disableOperator(id: string, at: number, actor: Actor): Promise<OperatorRow> {
    return this.narrowing((tx) => {
      const op = tx.select(operatorColumns).from(operators).where(eq(operators.id, id)).get();
      if (!op) throw notFound('operator', id);
      if (op.disabledAt !== null) return op;
      if (op.role === 'admin') {
        const admins = tx
          .select({ n: sql<number>`count(*)` })
          .from(operators)
          .where(and(eq(operators.role, 'admin'), sql`${operators.disabledAt} is null`))
          .get();
        if ((admins?.n ?? 0) <= 1) throw lastAdmin(op);
      }
      tx.update(operators).set({ disabledAt: at }).where(eq(operators.id, id)).run();
      this.appendAudit(tx, actor, operatorAudit('operator.disable', op), at);
      return { ...op, disabledAt: at };
    });
  }

  // audit

  async listAudit(limit: number, beforeSeq?: number): Promise<AuditEvent[]> {
    return this.db
      .select()
      .from(auditEvents)
      .where(beforeSeq === undefined ? undefined : lt(auditEvents.seq, beforeSeq))
      .orderBy(desc(auditEvents.seq))
      .limit(limit)
      .all();
  }

  async *auditChain(): AsyncIterable<AuditEvent> {
    const page = 1000;
    let after = 0;
    for (;;) {
      const rows = this.db.select().from(auditEvents).where(gt(auditEvents.seq, after)).orderBy(asc(auditEvents.seq)).limit(page).all();
      yield* rows;
      if (rows.length < page) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  // usage

  async applyUsage(delta: UsageDelta, pruneBefore: number): Promise<void> {
    this.write((tx) => {
      const { keyExists, bucket, caller, lastUsed } = this.usageWrites;
      const live = new Set([...new Set(delta.buckets.map((b) => b.keyId))].filter((keyId) => keyExists.get({ keyId })));
      for (const b of delta.buckets) {
        if (live.has(b.keyId)) bucket.run(b); // else deleted since it was counted
      }
      const grown = new Set<string>();
      for (const c of delta.callers) {
        const row = live.has(c.keyId) ? caller.get(c) : undefined;
        // Counts that are this flush's alone belong to a row just inserted: a new caller.
        if (row && row.ok + row.rejected === c.ok + c.rejected) grown.add(c.keyId);
      }
      for (const keyId of grown) keepRecentCallers(this.usageWrites, keyId);
      for (const u of delta.lastUsed) lastUsed.run(u);
      for (const use of delta.quotas ?? []) {
        const row = tx.select({ id: keys.id, ...policyColumnsOf(keys) }).from(keys).where(eq(keys.id, use.keyId)).get();
        const stored = row && fieldsFromColumns(row).quota;
        if (stored) tx.update(keys).set(fieldsToColumns({ quota: settle(stored, use) })).where(eq(keys.id, use.keyId)).run();
      }
      tx.delete(usageBuckets).where(lt(usageBuckets.minute, Math.floor(pruneBefore / 60_000))).run();
      tx.delete(keyCallers).where(lt(keyCallers.lastSeenAt, pruneBefore)).run();
    });
  }

  async usageBuckets(keyId: string, fromMinute: number): Promise<UsageBucket[]> {
    return this.db
      .select({ minute: usageBuckets.minute, ok: usageBuckets.ok, rejected: usageBuckets.rejected })
      .from(usageBuckets)
      .where(and(eq(usageBuckets.keyId, keyId), gte(usageBuckets.minute, fromMinute)))
      .orderBy(asc(usageBuckets.minute))
      .all();
  }

  async callers(keyId: string): Promise<CallerRow[]> {
    return this.db
      .select({
        caller: keyCallers.caller,
        firstSeenAt: keyCallers.firstSeenAt,
        lastSeenAt: keyCallers.lastSeenAt,
        ok: keyCallers.ok,
        rejected: keyCallers.rejected,
      })
      .from(keyCallers)
      .where(eq(keyCallers.keyId, keyId))
      .orderBy(desc(keyCallers.lastSeenAt))
      .limit(100)
      .all();
  }

  // rotations

  async createRotation(rotation: RotationRow, newKey: KeyRow & { hash: string }, actor: Actor): Promise<RotationRow> {
    return this.write((tx) => {
      const old = this.requireKey(tx, rotation.oldKeyId);
      this.refuseIfInOpenRotation(tx, old.id, 'rotated again');
      this.insertKey(tx, newKey);
      tx.insert(rotations).values(rotation).run();
      this.appendAudit(tx, actor, keyAudit('key.create', newKey, { rotation: rotation.id }), rotation.createdAt);
      this.appendAudit(tx, actor, rotationStartAudit(rotation, old), rotation.createdAt);
      return rotation;
    });
  }

  private rotationById(tx: Tx | Db, id: string): RotationRow | undefined {
    return tx.select().from(rotations).where(eq(rotations.id, id)).get();
  }

  async getRotation(id: string): Promise<RotationRow | undefined> {
    return this.rotationById(this.db, id);
  }

  async listRotations(openOnly: boolean): Promise<RotationRow[]> {
    return this.db
      .select()
      .from(rotations)
      .where(openOnly ? notInArray(rotations.step, ENDED) : undefined)
      .orderBy(desc(rotations.createdAt))
      .all();
  }

  async changeRotation(id: string, change: RotationChange, actor: Actor): Promise<RotationRow> {
    return this.narrowing((tx) => {
      const current = this.rotationById(tx, id);
      if (!current) throw notFound('rotation', id);
      if (current.step !== change.expectStep) throw stepChanged(current.step, change.expectStep);
      const { at } = change;
      const old = this.keyById(tx, current.oldKeyId);
      if (old && change.oldKeyStatus && old.status !== change.oldKeyStatus) this.changeKeyStatus(tx, old, change.oldKeyStatus, at, actor, { rotation: id });
      if (old && change.deleteOldKey) this.removeKey(tx, old, at, actor, { rotation: id });
      const renamed = change.renameNewKey !== undefined ? this.keyById(tx, current.newKeyId) : undefined;
      if (renamed && renamed.name !== change.renameNewKey) this.editKey(tx, renamed, { name: change.renameNewKey }, ['name'], at, actor, { rotation: id });
      tx.update(rotations).set(change.set).where(eq(rotations.id, id)).run();
      this.appendAudit(tx, actor, change.audit, at);
      return this.rotationById(tx, id)!;
    });
  }

  async backup(file: string): Promise<void> {
    await this.sqlite.backup(file);
  }

  close(): void {
    this.sqlite.close();
  }
}
