/**
 * The embedded SQLite implementation of `Store`. better-sqlite3 is synchronous, so every write
 * is one synchronous `immediate` transaction that also appends its audit event; the async
 * signatures exist for networked stores. Over 300 lines because it is the whole `Store` for
 * one dialect (see ../dialects.ts): what both dialects share lives there and in ../key-columns.ts.
 */
import { setImmediate as turn } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, lt, ne, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { settle, type StoredQuota } from '../../../decide/quota.js';
import { nextEvent } from '../../audit/chain.js';
import { changedFields, editDetail, stampedAfter } from '../../keys/edit.js';
import { firstClash } from '../../keys/import.js';
import { narrows } from '../../keys/narrowing.js';
import { nameColumns } from '../../names.js';
import { END_STEPS } from '../../rotation/machine.js';
import { CALLERS_KEPT, CALLERS_LISTED, OTHER_CALLERS } from '../../usage/callers.js';
import type { IndexedKey } from '../../../decide/policy.js';
import type {
  Actor,
  AlertChange,
  AlertListQuery,
  AlertRow,
  AlertSighting,
  AuditEvent,
  AuditQuery,
  AuditSigner,
  AuditInput,
  CallerRow,
  ClaimedDelivery,
  DeliveryOutcome,
  DeliveryRow,
  EmergencyCut,
  HashMatch,
  ImportRow,
  LocalIndexReads,
  IndexedOperator,
  KeyCounts,
  KeyEdit,
  KeyListQuery,
  KeyRow,
  KeyStatus,
  KeyView,
  NewWebhook,
  OperatorRow,
  RotationChange,
  RotationRow,
  Store,
  TombstoneRow,
  UsageBucket,
  UsageDelta,
  WebhookRow,
} from '../../store.js';
import { auditOutbound, isLeakReport, type OutboundEvent } from '../../webhooks/events.js';
import { leakReported } from '../../alerts/dedup.js';
import type { AlertKind } from '../../alerts/kinds.js';
import {
  alertAudit,
  auditWhere,
  keyActive,
  keyToDelete,
  importAudit,
  keyAudit,
  lastAdmin,
  operatorMatch,
  reasonDetail,
  nameTaken,
  notFound,
  operatorAudit,
  rotationOpen,
  rotationStartAudit,
  sameNameColumns,
  sameOrLookAlike,
  statusAudit,
  type StatusDetail,
  webhookAudit,
  stepChanged,
  containsText,
} from '../dialects.js';
import { editColumns, expiringWhere, fieldsFromColumns, fieldsToColumns, keyMatch, keyValues, policyColumnsOf, statusColumns, storedQuotas, withFields } from '../key-columns.js';
import type { Db } from './open.js';
import { isOutOfSpace, SpaceReserve } from './reserve.js';
import type { ReserveFile } from './reserve-file.js';
import { prepareImportWrites, type ImportWrites } from './import-writes.js';
import { OffLoopReads, rowsOf, type RenderedQuery } from './off-loop-reads.js';
import { OffLoopWrites, runStepsHere, type WriteStep } from './off-loop-writes.js';
import { entryReads } from './index-reads.js';
import { acknowledge, alertById, alertPage, bury, countOpenAlerts, openAlert, prepareAlertWrites, pruneTombstones, recordSighting, tombstoneMatches, tombstonePage, type AlertWrites } from './trouble.js';
import { allWebhooks, claim, deliveriesOf, finish, insertWebhook, prepareOutbox, prune, removeWebhook, webhookById, type Enqueue } from './webhooks.js';
import { filterText, keyListWhere, keyPaging, matchesText } from '../key-list.js';
import { auditEvents, keyCallers, keys, keyTombstones, operators, rotations, usageBuckets, usageWindow } from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const keyColumns = {
  id: keys.id,
  name: keys.name,
  hint: keys.hint,
  status: keys.status,
  createdAt: keys.createdAt,
  createdBy: keys.createdBy,
  deactivatedAt: keys.deactivatedAt,
  deactivationReason: keys.deactivationReason,
  expiresAt: keys.expiresAt,
  lastUsedAt: keys.lastUsedAt,
  canary: keys.canary,
  rotatedOutBy: keys.rotatedOutBy,
  ...policyColumnsOf(keys),
};

/** Keys as listed, and keys counted by status; their row types are what drizzle's `.all()` gives. */
const listed = { ...keyColumns, uses24h: keys.uses24h };
const listing = (db: Db) => db.select(listed).from(keys);
type ListedRow = ReturnType<ReturnType<typeof listing>['all']>[number];
const counted = { status: keys.status, n: sql<number>`count(*)` };
const counting = (db: Db) => db.select(counted).from(keys);
type CountedRow = ReturnType<ReturnType<typeof counting>['all']>[number];

const operatorColumns = {
  id: operators.id,
  name: operators.name,
  role: operators.role,
  createdAt: operators.createdAt,
  disabledAt: operators.disabledAt,
};

const ENDED: RotationRow['step'][] = [...END_STEPS];

/**
 * A usage flush as three set-based statements over JSON arrays (`json_each`), each joined with
 * `keys` so counts for a key deleted since they were made are dropped. One prepared statement
 * run per row took ~12 ms of CPU for 1,000 keys, all of it holding the event loop (and every
 * verify); these take a fraction of that.
 */
function prepareUsageWrites(sqlite: Database.Database, db: Db) {
  const p = {
    keyId: sql.placeholder('keyId'),
    caller: sql.placeholder('caller'),
    at: sql.placeholder('at'),
    firstSeenAt: sql.placeholder('firstSeenAt'),
    ok: sql.placeholder('ok'),
    rejected: sql.placeholder('rejected'),
  };
  return {
    buckets: sqlite.prepare<[string]>(
      `insert into usage_buckets (key_id, minute, ok, rejected)
       select b.value ->> 0, b.value ->> 1, b.value ->> 2, b.value ->> 3
       from json_each(?) b join keys k on k.id = b.value ->> 0 where true
       on conflict (key_id, minute) do update set ok = ok + excluded.ok, rejected = rejected + excluded.rejected`,
    ),
    /** The keys among `[keyId, caller, …]` rows that have a caller the store has not seen yet. */
    keysWithNewCallers: sqlite
      .prepare<[string], string>(
        `select distinct c.value ->> 0 from json_each(?) c join keys k on k.id = c.value ->> 0
         where not exists (select 1 from key_callers kc where kc.key_id = c.value ->> 0 and kc.caller = c.value ->> 1)`,
      )
      .pluck(),
    callers: sqlite.prepare<[string]>(
      `insert into key_callers (key_id, caller, first_seen_at, last_seen_at, ok, rejected)
       select c.value ->> 0, c.value ->> 1, c.value ->> 2, c.value ->> 2, c.value ->> 3, c.value ->> 4
       from json_each(?) c join keys k on k.id = c.value ->> 0 where true
       on conflict (key_id, caller) do update set
         last_seen_at = max(last_seen_at, excluded.last_seen_at), ok = ok + excluded.ok, rejected = rejected + excluded.rejected`,
    ),
    /** Adds `[keyId, minute, ok, rejected]` buckets inside the window to the keys' rolling counts. */
    uses24h: sqlite.prepare<[string]>(
      `update keys set uses_24h = uses_24h + d.n
       from (select b.value ->> 0 as key_id, sum((b.value ->> 2) + (b.value ->> 3)) as n from json_each(?) b
             where b.value ->> 1 >= (select from_minute from usage_window) group by 1) d
       where keys.id = d.key_id`,
    ),
    lastUsed: sqlite.prepare<[string]>(
      `update keys set last_used_at = max(coalesce(last_used_at, 0), u.value ->> 1)
       from json_each(?) u where keys.id = u.value ->> 0`,
    ),
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
  };
}

type UsageWrites = ReturnType<typeof prepareUsageWrites>;

/**
 * Moves the window of `keys.uses_24h` (docs/performance.md) to start at minute `from`. The
 * count of a key is always the sum of its buckets from `usage_window.from_minute` on.
 */
function moveUsesWindow(tx: Tx, from: number): void {
  const current = tx.select().from(usageWindow).get()?.fromMinute;
  if (current === from) return;
  if (current === undefined) {
    tx.run(sql`update keys set uses_24h = 0 where uses_24h <> 0`);
    tx.run(sql`update keys set uses_24h = d.n from (select key_id, sum(ok + rejected) as n from usage_buckets where minute >= ${from} group by key_id) d where keys.id = d.key_id`);
    tx.insert(usageWindow).values({ id: 1, fromMinute: from }).run();
    return;
  }
  const [low, high, sign] = from > current ? [current, from, -1] : [from, current, 1];
  tx.run(
    sql`update keys set uses_24h = uses_24h + ${sign} * d.n
        from (select key_id, sum(ok + rejected) as n from usage_buckets where minute >= ${low} and minute < ${high} group by key_id) d
        where keys.id = d.key_id`,
  );
  tx.update(usageWindow).set({ fromMinute: from }).run();
}

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

/** Every column of an audit event but the store's `seq`, as a placeholder of its own name (an event has them all). */
const AUDIT_VALUES = Object.fromEntries(
  Object.keys(getTableColumns(auditEvents))
    .filter((f) => f !== 'seq')
    .map((f) => [f, sql.placeholder(f)]),
) as unknown as typeof auditEvents.$inferInsert;

/**
 * The statements of the key writes an operator makes most (create, deactivate, activate) and
 * of their answers, prepared once. Built on each call, drizzle renders the SQL and
 * better-sqlite3 compiles it again: ~0.25 ms a query on this box, and a deactivation ran
 * seven, all on the event loop (docs/performance.md).
 */
function prepareHotStatements(db: Db) {
  const value = (name: string) => sql`${sql.placeholder(name)}`;
  return {
    keyById: db.select(keyColumns).from(keys).where(eq(keys.id, sql.placeholder('id'))).prepare(),
    auditHead: db.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1).prepare(),
    appendAudit: db.insert(auditEvents).values(AUDIT_VALUES).returning({ seq: auditEvents.seq }).prepare(),
    /** The columns of `statusColumns`, all of them on every change of status. */
    setStatus: db
      .update(keys)
      .set({ status: value('status'), deactivatedAt: value('deactivatedAt'), deactivationReason: value('deactivationReason'), rotatedOutBy: value('rotatedOutBy') })
      .where(eq(keys.id, sql.placeholder('id')))
      .prepare(),
    /** A key other than `exceptId` (null: any key) with the name's uniqueness columns. */
    nameTaken: db
      .select({ name: keys.name })
      .from(keys)
      .where(and(sameNameColumns(keys, { nameFolded: sql.placeholder('nameFolded'), nameSkeleton: sql.placeholder('nameSkeleton') }), sql`${keys.id} is not ${sql.placeholder('exceptId')}`))
      .prepare(),
    /** A key created with a deleted key's hash takes the tombstone's place. */
    unbury: db.delete(keyTombstones).where(eq(keyTombstones.hash, sql.placeholder('hash'))).prepare(),
    uses24h: db
      .select({ n: sql<number>`coalesce(sum(${usageBuckets.ok} + ${usageBuckets.rejected}), 0)` })
      .from(usageBuckets)
      .where(and(eq(usageBuckets.keyId, sql.placeholder('id')), gte(usageBuckets.minute, sql.placeholder('fromMinute'))))
      .prepare(),
  };
}
type HotStatements = ReturnType<typeof prepareHotStatements>;

export type SqliteStoreOptions = {
  /** Hear once why filtered lists / imports went back to the store's own connection (off-loop-reads.ts, off-loop-writes.ts). */
  readsLost?: (reason: string) => void;
  writesLost?: (reason: string) => void;
  /** The home's reserve file; a store without one (in memory, a test's) has only the reserve kept in the store. */
  reserveFile?: ReserveFile;
};

export class SqliteStore implements Store {
  private readonly usageWrites: UsageWrites;
  private readonly alertWrites: AlertWrites;
  /** Queues a change's event for the webhooks that want it, in the change's transaction. */
  private readonly enqueue: Enqueue;
  /** The same queueing as SQL, for a write the write worker runs. */
  private readonly renderedDeliveries: (event: OutboundEvent) => { sql: string; params: unknown[] } | undefined;
  /** Set by `appendAudit` inside a write: the head the write anchors once it commits. */
  private appended: { seq: number; hash: string } | undefined;
  private readonly hot: HotStatements;
  private readonly reserve: SpaceReserve;
  private readonly importWrites: ImportWrites;
  readonly local: LocalIndexReads;
  /** Off the event loop, for a store in a file (an in-memory one has no second connection). */
  private readonly reads: OffLoopReads | undefined;
  private readonly writes: OffLoopWrites | undefined;
  /**
   * Set while the write worker runs an import: no other write starts until it settles. A write
   * runs its transaction in the same synchronous step in which it finds this unset, so nothing
   * can start between the check and the transaction.
   */
  private writesHeld: Promise<void> | undefined;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly db: Db,
    private readonly audit: AuditSigner,
    options: SqliteStoreOptions = {},
  ) {
    this.hot = prepareHotStatements(db);
    this.usageWrites = prepareUsageWrites(sqlite, db);
    const outbox = prepareOutbox(db);
    this.enqueue = outbox.enqueue;
    this.renderedDeliveries = outbox.rendered;
    this.alertWrites = prepareAlertWrites(db, this.enqueue);
    this.reserve = new SpaceReserve(sqlite, options.reserveFile);
    this.importWrites = prepareImportWrites(sqlite);
    this.local = entryReads(sqlite, db);
    this.reads = sqlite.memory ? undefined : new OffLoopReads(sqlite.name, options.readsLost);
    this.writes = sqlite.memory ? undefined : new OffLoopWrites(sqlite.name, options.writesLost);
  }

  /**
   * Runs `start` once no import holds the writes: at once, in this synchronous step, when none
   * does (an `await` would give an import a turn to start in between).
   */
  private whenWritable<T>(start: () => T | Promise<T>): Promise<T> {
    if (this.writesHeld) return this.writesHeld.then(() => this.whenWritable(start));
    try {
      return Promise.resolve(start());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A write that adds to the store (a key, an operator, a rotation, usage): it leaves the
   * reserve alone. `fsync: false` commits without waiting for the disk (usage, see applyUsage).
   */
  private write<T>(fn: (tx: Tx) => T, options: { fsync?: false } = {}): Promise<T> {
    return this.whenWritable(() => {
      this.reserve.keep();
      if (options.fsync !== false) return this.transact(fn);
      this.sqlite.pragma('synchronous = NORMAL');
      try {
        return this.transact(fn);
      } finally {
        this.sqlite.pragma('synchronous = FULL');
      }
    });
  }

  /**
   * A write that takes access away or removes (deactivate, delete, disable, rotation steps): it
   * may use the reserve, and once more with the reserve file's space when the disk was full.
   */
  private narrowing<T>(fn: (tx: Tx) => T): Promise<T> {
    return this.whenWritable(() => {
      this.reserve.release();
      try {
        return this.transact(fn);
      } catch (err) {
        // The failed transaction was rolled back (better-sqlite3 does on any throw): run it anew.
        if (!isOutOfSpace(err) || !this.reserve.spendFile()) throw err;
        return this.transact(fn);
      }
    });
  }

  private transact<T>(fn: (tx: Tx) => T): T {
    this.appended = undefined;
    const value = this.db.transaction(fn, { behavior: 'immediate' });
    if (this.appended) this.audit.anchor(this.appended);
    return value;
  }

  /** Appends the audit event of a change and, in the same transaction, queues it for the webhooks. */
  private appendAudit(tx: Tx, actor: Actor | null, input: AuditInput, at: number): void {
    const last = this.hot.auditHead.get();
    const event = nextEvent(this.audit.key, actor, input, at, last?.hash);
    const { seq } = this.hot.appendAudit.get(event)!;
    this.enqueue(tx, auditOutbound(event));
    this.appended = { seq, hash: event.hash };
  }

  /** Inside a write too: its statement is on the store's one connection, where the transaction is. */
  private keyById(id: string): KeyRow | undefined {
    const row = this.hot.keyById.get({ id });
    return row && withFields(row);
  }

  private requireKey(id: string): KeyRow {
    const key = this.keyById(id);
    if (!key) throw notFound('key', id);
    return key;
  }

  // keys

  /**
   * A page's steps (see keyPaging), in turn until the page is full. A page matched by text (a
   * filter or `q`) is read off the event loop (off-loop-reads.ts), every step in one go: at a
   * million keys it may take a second.
   */
  async listKeys(query: KeyListQuery): Promise<KeyView[]> {
    await this.rollUses24h(Math.floor(query.since24h / 60_000));
    const paging = keyPaging(keys, query);
    const filters = keyListWhere(keys, query, this.filterWhere(query.filter));
    const steps = paging.steps.map((step) => listing(this.db).where(and(filters, step.where)).orderBy(...step.orderBy).limit(query.limit));
    const found: ListedRow[] = [];
    if (matchesText(query)) for (const rows of await this.offLoop(steps)) found.push(...rowsOf<ListedRow>(listed, rows));
    else for (const step of steps) if (found.length < query.limit) found.push(...step.all());
    const rows = found.slice(0, query.limit).map(withFields);
    return paging.flipped ? rows.reverse() : rows;
  }

  async countKeys(query: Omit<KeyListQuery, 'limit' | 'since24h'> = {}): Promise<KeyCounts> {
    const count = counting(this.db)
      .where(keyListWhere(keys, query, this.filterWhere(query.filter)))
      .groupBy(keys.status);
    const rows = matchesText(query) ? rowsOf<CountedRow>(counted, (await this.offLoop([count]))[0]!) : count.all();
    return {
      active: rows.find((r) => r.status === 'active')?.n ?? 0,
      inactive: rows.find((r) => r.status === 'inactive')?.n ?? 0,
    };
  }

  /** `queries` read off the event loop where a worker can read them, else here. */
  private offLoop(queries: readonly (RenderedQuery & { values(): unknown[][] })[]): Promise<unknown[][][]> {
    const here = () => queries.map((query) => query.values());
    return this.reads ? this.reads.read(queries, here) : Promise.resolve(here());
  }

  /**
   * A substring of the name, owner or hint through the FTS5 trigram index (drizzle/0008), or
   * the exact id. Under three characters there is no trigram to look up: those few-letter
   * filters scan, which a page's LIMIT keeps short whenever they match much.
   */
  private filterWhere(filter: string | undefined): SQL | undefined {
    const text = filterText(filter);
    if (text === undefined) return undefined;
    const id = eq(keys.id, filter!.trim());
    if ([...text].length >= 3) {
      const phrase = `"${text.replaceAll('"', '""')}"`;
      return or(sql`${keys}.rowid in (select rowid from keys_filter where keys_filter match ${phrase})`, id);
    }
    return or(containsText(keys.nameFolded, text), containsText(sql`lower(${keys.owner})`, text), containsText(sql`lower(${keys.hint})`, text), id);
  }

  /**
   * Moves the window that `keys.uses_24h` counts to start at minute `from`: the buckets that
   * left it are subtracted, those that entered it added. The first time (a new or migrated
   * store) every count is computed once. Reads alone when the window has not moved.
   */
  private async rollUses24h(from: number): Promise<void> {
    if (this.db.select().from(usageWindow).get()?.fromMinute === from) return;
    // Moving the window is a write, but it serves a read: on a disk down to its reserve the
    // list (and every name lookup, the CLI's deactivate among them) must still answer. The
    // counts then stay where the window last stood, as usage that cannot be written waits.
    await this.write((tx) => moveUsesWindow(tx, from)).catch((err: unknown) => {
      if (!isOutOfSpace(err)) throw err;
    });
  }

  async keyTotal(): Promise<number> {
    return this.db.select({ n: sql<number>`count(*)` }).from(keys).get()?.n ?? 0;
  }

  async getKey(id: string): Promise<KeyRow | undefined> {
    return this.keyById(id);
  }

  /** The key named `name` (ignoring case), or one whose name looks like it. */
  async getKeyByName(name: string): Promise<KeyRow | undefined> {
    const row = this.db.select(keyColumns).from(keys).where(sameOrLookAlike(keys, name)).get();
    return row && withFields(row);
  }

  async uses24h(id: string, since: number): Promise<number> {
    return this.hot.uses24h.get({ id, fromMinute: Math.floor(since / 60_000) })?.n ?? 0;
  }

  /** Writes are immediate transactions, so a name free when checked is still free at the insert. */
  private insertKey(tx: Tx, key: KeyRow & { hash: string }): void {
    this.refuseTakenName(key.name);
    this.hot.unbury.run({ hash: key.hash });
    tx.insert(keys).values({ ...keyValues(key), ...nameColumns(key.name) }).run();
  }

  /** Refuses `name` when a key other than `exceptId` has it, or a name that looks the same. */
  private refuseTakenName(name: string, exceptId?: string): void {
    const taken = this.hot.nameTaken.get({ ...nameColumns(name), exceptId: exceptId ?? null });
    if (taken) throw nameTaken('key', name, taken.name);
  }

  /** Renames or edits `key`, audited; the caller has checked that something changes. */
  private editKey(tx: Tx, key: KeyRow, edit: KeyEdit, changed: (keyof KeyEdit)[], at: number, actor: Actor, detail?: Record<string, unknown>): void {
    if (edit.name !== undefined) this.refuseTakenName(edit.name, key.id);
    tx.update(keys).set(editColumns(edit)).where(eq(keys.id, key.id)).run();
    this.appendAudit(tx, actor, keyAudit('key.update', { id: key.id, name: edit.name ?? key.name }, { ...editDetail(key, edit, changed), ...detail }), at);
  }

  async updateKey(id: string, requested: KeyEdit, at: number, actor: Actor): Promise<{ key: KeyRow & { hash: string }; changed: (keyof KeyEdit)[] }> {
    const update = (tx: Tx) => {
      const key = this.requireKey(id);
      const edit = stampedAfter(key, requested);
      const changed = changedFields(key, edit);
      if (changed.length) this.editKey(tx, key, edit, changed, at, actor);
      const hash = tx.select({ hash: keys.hash }).from(keys).where(eq(keys.id, id)).get()!.hash;
      return { key: { ...this.requireKey(id), hash }, changed };
    };
    return this.whenWritable(() => {
      // Read outside the transaction, but nothing writes in between: this runs synchronously.
      const current = this.keyById(id);
      return current && narrows(current, { ...current, ...stampedAfter(current, requested) }) ? this.narrowing(update) : this.write(update);
    });
  }

  /**
   * A batch's lookups in the read worker and its writes in the write worker (off-loop-writes.ts),
   * with every other write held back meanwhile: the event loop goes on verifying and serving.
   */
  importKeys(rows: ImportRow[], actor: Actor, at: number): Promise<void> {
    return this.whenWritable(() => {
      this.reserve.keep();
      let settled!: () => void;
      this.writesHeld = new Promise((resolve) => (settled = resolve));
      return this.importHeld(rows, actor, at).finally(() => {
        this.writesHeld = undefined;
        settled();
      });
    });
  }

  /** An import, once it holds the writes: what it reads from the store stays true until its steps commit. */
  private async importHeld(rows: ImportRow[], actor: Actor, at: number): Promise<void> {
    const queries = this.importWrites.clashQueries(rows);
    const found = this.reads ? await this.reads.read(queries, () => this.importWrites.clashesHere(rows)) : this.importWrites.clashesHere(rows);
    const clash = firstClash(rows, this.importWrites.clashesOf(found));
    if (clash) throw clash;
    const event = nextEvent(this.audit.key, actor, importAudit(rows), at, this.hot.auditHead.get()?.hash);
    const deliveries = this.renderedDeliveries(auditOutbound(event));
    const steps: WriteStep[] = this.importWrites.steps(rows);
    const appended = steps.push({ ...this.db.insert(auditEvents).values(event).returning({ seq: auditEvents.seq }).toSQL(), get: true }) - 1;
    if (deliveries) steps.push(deliveries);
    const here = () => runStepsHere(this.sqlite, steps);
    const results = this.writes ? await this.writes.run(steps, this.reserve.currentLimit, here) : here();
    this.audit.anchor({ seq: Number(results[appended]!.seq), hash: event.hash });
  }

  async createKey(key: KeyRow & { hash: string }, actor: Actor): Promise<KeyRow> {
    return this.write((tx) => {
      this.insertKey(tx, key);
      this.appendAudit(tx, actor, keyAudit('key.create', key), key.createdAt);
      return this.requireKey(key.id);
    });
  }

  /**
   * A deactivation stamps the rotation that made it (a cut-over), an activation clears it; a
   * deactivation whose reason reports a leak raises `key.leaked` in the same transaction.
   */
  private changeKeyStatus(tx: Tx, key: KeyRow, status: KeyRow['status'], at: number, actor: Actor, detail?: StatusDetail): void {
    this.hot.setStatus.run({ id: key.id, ...statusColumns(status, at, detail) });
    this.appendAudit(tx, actor, statusAudit(status, key, detail), at);
    const reason = detail?.reason;
    if (status === 'inactive' && reason !== undefined && isLeakReport(reason)) recordSighting(tx, this.alertWrites, leakReported(key, reason, at), { id: key.id, name: key.name, hint: key.hint });
  }

  async setKeyStatus(id: string, status: KeyStatus, at: number, actor: Actor, reason?: string): Promise<KeyRow> {
    return this.narrowing((tx) => {
      const key = this.requireKey(id);
      if (key.status === status) return key;
      this.changeKeyStatus(tx, key, status, at, actor, reasonDetail(reason));
      return this.requireKey(id);
    });
  }

  /** Deletes `key`, keeping its tombstone. */
  private removeKey(tx: Tx, key: KeyRow, at: number, actor: Actor, detail?: Record<string, unknown>): void {
    bury(tx, key, at, actor.name);
    tx.delete(keys).where(eq(keys.id, key.id)).run();
    this.appendAudit(tx, actor, keyAudit('key.delete', key, detail), at);
  }

  async deleteKey(id: string, at: number, actor: Actor): Promise<KeyRow> {
    return this.narrowing((tx) => {
      const key = this.requireKey(id);
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

  async *indexedKeys(): AsyncIterable<IndexedKey[]> {
    yield* this.local.pages();
  }

  async quotas(keyIds: string[]): Promise<(StoredQuota & { keyId: string })[]> {
    if (keyIds.length === 0) return [];
    return storedQuotas(this.db.select({ id: keys.id, ...policyColumnsOf(keys) }).from(keys).where(inArray(keys.id, keyIds)).all());
  }

  async findByHashes(hashes: string[], withOperators: boolean): Promise<HashMatch[]> {
    if (hashes.length === 0) return [];
    const found = this.db.select({ hash: keys.hash, id: keys.id, name: keys.name, state: keys.status, canary: keys.canary }).from(keys).where(inArray(keys.hash, hashes)).all();
    const matches: HashMatch[] = [...found.map(keyMatch), ...tombstoneMatches(this.db, hashes)];
    if (withOperators) {
      const ops = this.db.select({ hash: operators.tokenHash, ...operatorColumns }).from(operators).where(inArray(operators.tokenHash, hashes)).all();
      matches.push(...ops.map(operatorMatch));
    }
    return matches;
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

  async listAudit(query: AuditQuery): Promise<AuditEvent[]> {
    return this.db.select().from(auditEvents).where(auditWhere(auditEvents, rotations, query)).orderBy(desc(auditEvents.seq)).limit(query.limit).all();
  }

  async *auditChain(): AsyncIterable<AuditEvent> {
    const page = 1000;
    let after = 0;
    for (;;) {
      const rows = this.db.select().from(auditEvents).where(gt(auditEvents.seq, after)).orderBy(asc(auditEvents.seq)).limit(page).all();
      yield* rows;
      if (rows.length < page) return;
      after = rows[rows.length - 1]!.seq;
      // The reads are synchronous, so without this turn a whole check of the chain (an HMAC an
      // event) would be one task, and every verify would wait for it.
      await turn();
    }
  }

  // usage

  async applyUsage(delta: UsageDelta, pruneBefore: number): Promise<void> {
    const writes = this.usageWrites;
    const callers = JSON.stringify(delta.callers.map((c) => [c.keyId, c.caller, c.at, c.ok, c.rejected]));
    // Usage commits skip the fsync every other write makes (synchronous = NORMAL for them
    // alone): better-sqlite3 waits for it on the event loop, ~5-20 ms a commit here, which every
    // verify waited out too. A crashed or killed daemon still loses nothing committed; a power
    // cut can lose the usage committed since the last fsync (the next key write or checkpoint).
    return this.write(
      (tx) => {
        const buckets = JSON.stringify(delta.buckets.map((b) => [b.keyId, b.minute, b.ok, b.rejected]));
        writes.buckets.run(buckets);
        writes.uses24h.run(buckets);
        const grown = writes.keysWithNewCallers.all(callers);
        writes.callers.run(callers);
        for (const keyId of grown) keepRecentCallers(writes, keyId);
        writes.lastUsed.run(JSON.stringify(delta.lastUsed.map((u) => [u.keyId, u.at])));
        for (const use of delta.quotas ?? []) {
          const row = tx.select({ id: keys.id, ...policyColumnsOf(keys) }).from(keys).where(eq(keys.id, use.keyId)).get();
          const stored = row && fieldsFromColumns(row).quota;
          if (stored) tx.update(keys).set(fieldsToColumns({ quota: settle(stored, use) })).where(eq(keys.id, use.keyId)).run();
        }
        const pruned = Math.floor(pruneBefore / 60_000);
        // Buckets pruned inside the window leave it first, so the counts stay their sums.
        const from = tx.select().from(usageWindow).get()?.fromMinute;
        if (from !== undefined && from < pruned) moveUsesWindow(tx, pruned);
        tx.delete(usageBuckets).where(lt(usageBuckets.minute, pruned)).run();
        tx.delete(keyCallers).where(lt(keyCallers.lastSeenAt, pruneBefore)).run();
      },
      { fsync: false },
    );
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
      .limit(CALLERS_LISTED)
      .all();
  }

  // rotations

  async createRotation(rotation: RotationRow, newKey: KeyRow & { hash: string }, actor: Actor, emergency?: EmergencyCut): Promise<RotationRow> {
    const start = (tx: Tx) => {
      const old = this.requireKey(rotation.oldKeyId);
      this.refuseIfInOpenRotation(tx, old.id, 'rotated again');
      this.insertKey(tx, newKey);
      tx.insert(rotations).values(rotation).run();
      this.appendAudit(tx, actor, keyAudit('key.create', newKey, { rotation: rotation.id }), rotation.createdAt);
      this.appendAudit(tx, actor, rotationStartAudit(rotation, old, emergency), rotation.createdAt);
      if (!emergency) return rotation;
      const detail = { rotation: rotation.id, reason: emergency.reason };
      if (old.status === 'active') this.changeKeyStatus(tx, old, 'inactive', rotation.createdAt, actor, detail);
      else tx.update(keys).set({ rotatedOutBy: rotation.id }).where(eq(keys.id, old.id)).run();
      return rotation;
    };
    // An emergency takes access away, so it may use the space kept for such writes.
    return emergency ? this.narrowing(start) : this.write(start);
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
      const old = this.keyById(current.oldKeyId);
      if (old && change.oldKeyStatus && old.status !== change.oldKeyStatus) this.changeKeyStatus(tx, old, change.oldKeyStatus, at, actor, { rotation: id });
      // An old key already off at the cut-over is still the one this rotation cut over.
      else if (old && change.oldKeyStatus === 'inactive' && old.rotatedOutBy !== id) tx.update(keys).set({ rotatedOutBy: id }).where(eq(keys.id, old.id)).run();
      if (old && change.deleteOldKey) this.removeKey(tx, keyToDelete(old), at, actor, { rotation: id });
      const renamed = change.renameNewKey !== undefined ? this.keyById(current.newKeyId) : undefined;
      if (renamed && renamed.name !== change.renameNewKey) this.editKey(tx, renamed, { name: change.renameNewKey }, ['name'], at, actor, { rotation: id });
      tx.update(rotations).set(change.set).where(eq(rotations.id, id)).run();
      this.appendAudit(tx, actor, change.audit, at);
      return this.rotationById(tx, id)!;
    });
  }

  // webhooks

  async createWebhook(hook: NewWebhook, actor: Actor): Promise<WebhookRow> {
    return this.write((tx) => {
      insertWebhook(tx, hook);
      this.appendAudit(tx, actor, webhookAudit('webhook.create', hook), hook.createdAt);
      return webhookById(tx, hook.id)!;
    });
  }

  async listWebhooks(): Promise<WebhookRow[]> {
    return allWebhooks(this.db);
  }

  async deleteWebhook(id: string, at: number, actor: Actor): Promise<WebhookRow> {
    return this.narrowing((tx) => {
      const hook = webhookById(tx, id);
      if (!hook) throw notFound('webhook', id);
      removeWebhook(tx, id);
      this.appendAudit(tx, actor, webhookAudit('webhook.delete', hook), at);
      return hook;
    });
  }

  async listDeliveries(webhookId: string, limit: number): Promise<DeliveryRow[]> {
    if (!webhookById(this.db, webhookId)) throw notFound('webhook', webhookId);
    return deliveriesOf(this.db, webhookId, limit);
  }

  // The outbox's bookkeeping adds nothing to the store, so a store near full still delivers what it holds.

  async claimDelivery(now: number, leaseUntil: number, keyId: string, busy: readonly string[]): Promise<ClaimedDelivery | undefined> {
    return this.narrowing((tx) => claim(tx, now, leaseUntil, keyId, busy));
  }

  async finishDelivery(id: string, outcome: DeliveryOutcome): Promise<void> {
    return this.narrowing((tx) => finish(tx, id, outcome));
  }

  async pruneDeliveries(before: number): Promise<void> {
    return this.narrowing((tx) => prune(tx, before));
  }

  // tombstones and alerts

  async listTombstones(limit: number, after?: { deletedAt: number; keyId: string }): Promise<TombstoneRow[]> {
    return tombstonePage(this.db, limit, after);
  }

  async pruneTombstones(before: number): Promise<string[]> {
    return this.narrowing((tx) => pruneTombstones(tx, before));
  }

  async recordSightings(sightings: AlertSighting[], _at: number): Promise<AlertChange[]> {
    if (sightings.length === 0) return [];
    return this.write((tx) => sightings.flatMap((s) => recordSighting(tx, this.alertWrites, s) ?? []));
  }

  async listAlerts(query: AlertListQuery): Promise<AlertRow[]> {
    return alertPage(this.db, query);
  }

  async countOpenAlerts(): Promise<Partial<Record<AlertKind, number>>> {
    return countOpenAlerts(this.db);
  }

  async openAlert(kind: AlertKind, keyId: string, caller: string): Promise<AlertRow | undefined> {
    return openAlert(this.alertWrites, kind, keyId, caller);
  }

  async ackAlert(id: string, at: number, actor: Actor): Promise<{ alert: AlertRow; acknowledged: boolean }> {
    return this.write((tx) => {
      const alert = alertById(tx, id);
      if (!alert) throw notFound('alert', id);
      if (alert.ackedAt !== null) return { alert, acknowledged: false };
      acknowledge(tx, id, at, actor.name);
      this.appendAudit(tx, actor, alertAudit(alert), at);
      return { alert: alertById(tx, id)!, acknowledged: true };
    });
  }

  async keysExpiring(from: number, to: number): Promise<Pick<KeyRow, 'id' | 'name' | 'expiresAt'>[]> {
    return this.db
      .select({ id: keys.id, name: keys.name, expiresAt: keys.expiresAt })
      .from(keys)
      .where(expiringWhere(keys, from, to))
      .all();
  }

  /**
   * Fails the reads and writes still waiting at once, then waits for the workers' threads to
   * end. The write worker copies an import's log back after it answers (off-loop-writes.ts), so
   * one closed right after may still be copying; a second checkpoint would not wait for it, it
   * would give up. Once it is done, what is left is copied here and the log emptied: the next
   * start finds no log to read through, and its first write none to copy on the event loop.
   */
  async close(): Promise<void> {
    await Promise.all([this.reads?.close(), this.writes?.close()]);
    try {
      this.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Closing goes on: the log stays valid, and the next checkpoint copies it.
    }
    this.sqlite.close();
  }
}
