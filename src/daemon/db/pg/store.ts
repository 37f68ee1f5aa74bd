/**
 * The PostgreSQL implementation of `Store`, for several daemons sharing one database. Each
 * write is one transaction that first takes the audit advisory lock (so writes from all
 * daemons happen one at a time, as SQLite's immediate transactions do on one machine, and the
 * audit chain stays linear), makes its change, appends its audit events and NOTIFYs the other
 * daemons; it returns once this daemon's change feed has applied it. Usage is merged with
 * atomic upserts, so the counts of every daemon add up. Over 300 lines because it is the whole
 * `Store` for one dialect (see ../dialects.ts): what both dialects share lives there and in
 * ../key-columns.ts.
 */
import { and, asc, count, desc, eq, gt, gte, lt, ne, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { settle, type StoredQuota } from '../../../decide/quota.js';
import { nextEvent } from '../../audit/chain.js';
import { KeywardError, StoreUnreachable } from '../../errors.js';
import { changedFields, editDetail, stampedAfter } from '../../keys/edit.js';
import { firstClash } from '../../keys/import.js';
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
import { auditOutbound, isLeakReport } from '../../webhooks/events.js';
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
  sameOrLookAlike,
  statusAudit,
  type StatusDetail,
  webhookAudit,
  stepChanged,
  containsText,
} from '../dialects.js';
import { editColumns, expiringWhere, keyMatch, keyValues, policyColumnsOf, statusColumns, storedQuotas, withFields } from '../key-columns.js';
import { ChangeFeed, CHANNEL, type ChangeNote } from './change-feed.js';
import { anyOf, unnest } from './arrays.js';
import { insertImported, storedClashes } from './import-writes.js';
import { indexedKeyPages } from './indexed-keys.js';
import { LOCKS, lockKey } from './locks.js';
import { clientConfig, openPgDatabase, type PgDb, type PgTimeouts } from './open.js';
import { filterText, keyListWhere, keyPaging } from '../key-list.js';
import { auditEvents, keyCallers, keys, operators, rotations, usageBuckets, usageWindow } from './schema.js';
import { acknowledge, alertById, alertPage, bury, countOpenAlerts, openAlert, pruneTombstones, recordSighting, tombstoneMatches, tombstonePage, unbury } from './trouble.js';
import { allWebhooks, claim, deliveriesOf, enqueue, finish, insertWebhook, prune, removeWebhook, webhookById } from './webhooks.js';

/** Notes a notice carries: 100 key notes are ~5.5 KB of the 8,000 bytes a payload may be. */
const NOTES_PER_NOTICE = 100;

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

const ENDED: RotationRow['step'][] = [...END_STEPS];
/** Deadlocks and serialization failures are retried; the transaction is re-run from the start. */
const ATTEMPTS = 3;
/** The listening connection also runs the feed's reads; a read that hangs this long means it is dead. */
const FEED_QUERY_TIMEOUT_MS = 10_000;

/** The start of the `keys.uses_24h` window, its row locked for this transaction; undefined before the first list. */
async function lockUsesWindow(tx: Tx): Promise<number | undefined> {
  const [row] = await tx.select().from(usageWindow).for('update');
  return row?.fromMinute;
}

/**
 * Moves the window of `keys.uses_24h` (docs/performance.md) to start at minute `from`. The
 * count of a key is always the sum of its buckets from `usage_window.from_minute` on.
 */
async function moveUsesWindow(tx: Tx, from: number): Promise<void> {
  const inserted = await tx.insert(usageWindow).values({ id: 1, fromMinute: from }).onConflictDoNothing().returning({ id: usageWindow.id });
  if (inserted.length) {
    // The first window (a new or migrated store): every count computed once.
    await tx.execute(sql`update ${keys} set uses_24h = 0 where uses_24h <> 0`);
    await tx.execute(
      sql`update ${keys} set uses_24h = d.n from (select key_id, sum(ok + rejected) as n from ${usageBuckets} where minute >= ${from} group by key_id) d where ${keys.id} = d.key_id`,
    );
    return;
  }
  const [row] = await tx.select().from(usageWindow).for('update');
  const current = row!.fromMinute;
  if (current === from) return;
  const [low, high, sign] = from > current ? [current, from, -1] : [from, current, 1];
  await tx.execute(
    sql`update ${keys} set uses_24h = uses_24h + ${sign} * d.n
        from (select key_id, sum(ok + rejected) as n from ${usageBuckets} where minute >= ${low} and minute < ${high} group by key_id) d
        where ${keys.id} = d.key_id`,
  );
  await tx.update(usageWindow).set({ fromMinute: from });
}

/** Adds the buckets inside the window (none before the first list) to their keys' rolling counts. */
async function addUses(tx: Tx, buckets: UsageDelta['buckets'], from: number | undefined): Promise<void> {
  const counted = from === undefined ? [] : buckets.filter((b) => b.minute >= from);
  if (!counted.length) return;
  const uses = unnest([
    [keys.id, counted.map((b) => b.keyId)],
    [keys.uses24h, counted.map((b) => b.ok + b.rejected)],
  ]);
  await tx.execute(sql`update ${keys} set uses_24h = uses_24h + v.n from (select id, sum(n) as n from ${uses} as u(id, n) group by id) v where ${keys.id} = v.id`);
}

/**
 * A substring of the name, owner or hint through the pg_trgm index (drizzle/pg/0008, whose
 * expression this must repeat), or the exact id.
 */
function filterWhere(filter: string | undefined): SQL | undefined {
  const text = filterText(filter);
  if (text === undefined) return undefined;
  const haystack = sql`(${keys.nameFolded} || chr(1) || lower(coalesce(${keys.owner}, '')) || chr(1) || lower(${keys.hint}))`;
  return or(containsText(haystack, text), eq(keys.id, filter!.trim()));
}

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

const operatorColumns = {
  id: operators.id,
  name: operators.name,
  role: operators.role,
  createdAt: operators.createdAt,
  disabledAt: operators.disabledAt,
};

/** The server-side error behind a failed query (drizzle wraps it), if there is one. */
function databaseError(err: unknown): pg.DatabaseError | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof pg.DatabaseError) return e;
  }
  return undefined;
}

function isTransient(err: unknown): boolean {
  const code = databaseError(err)?.code;
  return code === '40P01' || code === '40001';
}

export type PgStoreOptions = {
  /** The database URL, for the feed's own listening connection. */
  url: string;
  audit: AuditSigner;
  timeouts?: PgTimeouts;
  log?: (line: string) => void;
  reconcileMs?: number;
};

/** Connects, migrates, and returns the store; its change feed starts when the daemon follows it. */
export async function openPgStore(url: string, options: Omit<PgStoreOptions, 'url'> & { migrationsFolder?: string }): Promise<PgStore> {
  const { migrationsFolder, ...storeOptions } = options;
  const { pool, db } = await openPgDatabase(url, migrationsFolder, options.timeouts);
  return new PgStore(pool, db, { ...storeOptions, url });
}

export class PgStore implements Store {
  readonly shared: ChangeFeed;
  private readonly origin = randomUUID();
  private readonly audit: AuditSigner;

  constructor(
    private readonly pool: pg.Pool,
    private readonly db: PgDb,
    options: PgStoreOptions,
  ) {
    this.audit = options.audit;
    this.shared = new ChangeFeed({
      // Named apart from the pool's `keyward` in pg_stat_activity: an operator can tell the
      // connection that follows the other daemons from those that serve requests.
      connect: () => new pg.Client({ ...clientConfig(options.url), query_timeout: FEED_QUERY_TIMEOUT_MS, application_name: 'keyward change feed' }),
      origin: this.origin,
      log: options.log ?? (() => {}),
      reconcileMs: options.reconcileMs,
    });
  }

  /**
   * Runs `fn` in a transaction on a connection checked out here, not by drizzle: a server that
   * cannot be reached while the transaction opens is then `store_unavailable`, not an unknown
   * error, and a connection that failed mid-way is discarded rather than pooled again.
   */
  private async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect().catch((err: unknown) => {
        throw new StoreUnreachable(`cannot get a PostgreSQL connection: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
      let broken: Error | undefined;
      try {
        return await drizzle({ client }).transaction(fn);
      } catch (err) {
        // Not the server's refusal nor ours: the connection itself failed.
        if (!databaseError(err) && !(err instanceof KeywardError)) broken = err instanceof Error ? err : new Error(String(err));
        if (attempt >= ATTEMPTS || !isTransient(err)) throw err;
      } finally {
        client.release(broken);
      }
    }
  }

  /** An audited write: one at a time across all daemons, announced to them on commit, its head anchored. */
  private async write<T>(fn: (tx: Tx, notes: ChangeNote[]) => Promise<T>): Promise<T> {
    const value = await this.shared.committed((nonce) =>
      this.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${lockKey(LOCKS.audit)})`);
        const notes: ChangeNote[] = [];
        const value = await fn(tx, notes);
        // A notice's payload must stay under PostgreSQL's 8,000 bytes: an import announces its
        // keys 100 to a notice. Notices of one commit arrive in order, so the write waits for the last.
        for (let i = 0; i < notes.length; i += NOTES_PER_NOTICE) {
          const last = i + NOTES_PER_NOTICE >= notes.length;
          const c = notes.slice(i, i + NOTES_PER_NOTICE);
          await tx.execute(sql`select pg_notify(${CHANNEL}, ${JSON.stringify({ o: this.origin, n: last ? nonce : randomUUID(), c })})`);
        }
        return { value, announced: notes.length > 0 };
      }),
    );
    const [head] = await this.db.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    if (head) this.audit.anchor(head);
    return value;
  }

  private async appendAudit(tx: Tx, actor: Actor | null, input: AuditInput, at: number): Promise<void> {
    const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    const event = nextEvent(this.audit.key, actor, input, at, last?.hash);
    await tx.insert(auditEvents).values(event);
    // The change's webhook deliveries commit with it, or not at all.
    await enqueue(tx, auditOutbound(event));
  }

  private async keyById(tx: Tx | PgDb, id: string): Promise<KeyRow | undefined> {
    const [key] = await tx.select(keyColumns).from(keys).where(eq(keys.id, id));
    return key && withFields(key);
  }

  private async requireKey(tx: Tx, id: string): Promise<KeyRow> {
    const key = await this.keyById(tx, id);
    if (!key) throw notFound('key', id);
    return key;
  }

  // keys

  async listKeys(query: KeyListQuery): Promise<KeyView[]> {
    await this.rollUses24h(Math.floor(query.since24h / 60_000));
    const paging = keyPaging(keys, query);
    const filters = keyListWhere(keys, query, filterWhere(query.filter));
    const rows: KeyView[] = [];
    for (const step of paging.steps) {
      if (rows.length === query.limit) break;
      const found = await this.db
        .select({ ...keyColumns, uses24h: keys.uses24h })
        .from(keys)
        .where(and(filters, step.where))
        .orderBy(...step.orderBy)
        .limit(query.limit - rows.length);
      rows.push(...found.map(withFields));
    }
    return paging.flipped ? rows.reverse() : rows;
  }

  async countKeys(query: Omit<KeyListQuery, 'limit' | 'since24h'> = {}): Promise<KeyCounts> {
    const rows = await this.db
      .select({ status: keys.status, n: count() })
      .from(keys)
      .where(keyListWhere(keys, query, filterWhere(query.filter)))
      .groupBy(keys.status);
    return {
      active: rows.find((r) => r.status === 'active')?.n ?? 0,
      inactive: rows.find((r) => r.status === 'inactive')?.n ?? 0,
    };
  }

  /** See `moveUsesWindow`; reads alone when the window has not moved. */
  private async rollUses24h(from: number): Promise<void> {
    const [row] = await this.db.select().from(usageWindow);
    if (row?.fromMinute !== from) await this.transaction((tx) => moveUsesWindow(tx, from));
  }

  async keyTotal(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(keys);
    return row?.n ?? 0;
  }

  async getKey(id: string): Promise<KeyRow | undefined> {
    return this.keyById(this.db, id);
  }

  /** The key named `name` (ignoring case), or one whose name looks like it. */
  async getKeyByName(name: string): Promise<KeyRow | undefined> {
    const [key] = await this.db.select(keyColumns).from(keys).where(sameOrLookAlike(keys, name)).limit(1);
    return key && withFields(key);
  }

  async uses24h(id: string, since: number): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`coalesce(sum(${usageBuckets.ok} + ${usageBuckets.rejected}), 0)`.mapWith(Number) })
      .from(usageBuckets)
      .where(and(eq(usageBuckets.keyId, id), gte(usageBuckets.minute, Math.floor(since / 60_000))));
    return row?.n ?? 0;
  }

  /** Writes hold the audit lock, so a name free when checked is still free at the insert. */
  private async insertKey(tx: Tx, key: KeyRow & { hash: string }, notes: ChangeNote[]): Promise<void> {
    await this.refuseTakenName(tx, key.name);
    await unbury(tx, [key.hash]);
    await tx.insert(keys).values({ ...keyValues(key), ...nameColumns(key.name) });
    notes.push({ t: 'key', id: key.id, e: 'created' });
  }

  /** Refuses `name` when a key other than `exceptId` has it, or a name that looks the same. */
  private async refuseTakenName(tx: Tx, name: string, exceptId?: string): Promise<void> {
    const sameName = sameOrLookAlike(keys, name);
    const [taken] = await tx.select({ name: keys.name }).from(keys).where(exceptId ? and(sameName, ne(keys.id, exceptId)) : sameName).limit(1);
    if (taken) throw nameTaken('key', name, taken.name);
  }

  /** Renames or edits `key`, audited; the caller has checked that something changes. */
  private async editKey(tx: Tx, key: KeyRow, edit: KeyEdit, changed: (keyof KeyEdit)[], at: number, actor: Actor, notes: ChangeNote[], detail?: Record<string, unknown>): Promise<void> {
    if (edit.name !== undefined) await this.refuseTakenName(tx, edit.name, key.id);
    await tx.update(keys).set(editColumns(edit)).where(eq(keys.id, key.id));
    await this.appendAudit(tx, actor, keyAudit('key.update', { id: key.id, name: edit.name ?? key.name }, { ...editDetail(key, edit, changed), ...detail }), at);
    notes.push({ t: 'key', id: key.id, e: 'updated' });
  }

  async updateKey(id: string, requested: KeyEdit, at: number, actor: Actor): Promise<{ key: KeyRow & { hash: string }; changed: (keyof KeyEdit)[] }> {
    return this.write(async (tx, notes) => {
      const key = await this.requireKey(tx, id);
      const edit = stampedAfter(key, requested);
      const changed = changedFields(key, edit);
      if (changed.length) await this.editKey(tx, key, edit, changed, at, actor, notes);
      const [{ hash }] = (await tx.select({ hash: keys.hash }).from(keys).where(eq(keys.id, id))) as [{ hash: string }];
      return { key: { ...(await this.requireKey(tx, id)), hash }, changed };
    });
  }

  async importKeys(rows: ImportRow[], actor: Actor, at: number): Promise<void> {
    await this.write(async (tx, notes) => {
      const clash = firstClash(rows, await storedClashes(tx, rows));
      if (clash) throw clash;
      await unbury(tx, rows.map((r) => r.hash));
      await insertImported(tx, rows);
      await this.appendAudit(tx, actor, importAudit(rows), at);
      for (const row of rows) notes.push({ t: 'key', id: row.id, e: 'imported' });
      notes.push({ t: 'import', id: rows[0]!.id, l: rows[rows.length - 1]!.id, n: rows.length });
    });
  }

  async createKey(key: KeyRow & { hash: string }, actor: Actor): Promise<KeyRow> {
    return this.write(async (tx, notes) => {
      await this.insertKey(tx, key, notes);
      await this.appendAudit(tx, actor, keyAudit('key.create', key), key.createdAt);
      return this.requireKey(tx, key.id);
    });
  }

  /**
   * A deactivation stamps the rotation that made it (a cut-over), an activation clears it; a
   * deactivation whose reason reports a leak raises `key.leaked` in the same transaction.
   */
  private async changeKeyStatus(tx: Tx, key: KeyRow, status: KeyStatus, at: number, actor: Actor, notes: ChangeNote[], detail?: StatusDetail): Promise<void> {
    await tx.update(keys).set(statusColumns(status, at, detail)).where(eq(keys.id, key.id));
    await this.appendAudit(tx, actor, statusAudit(status, key, detail), at);
    notes.push({ t: 'key', id: key.id, e: 'updated' });
    const reason = detail?.reason;
    if (status === 'inactive' && reason !== undefined && isLeakReport(reason)) await recordSighting(tx, leakReported(key, reason, at), { id: key.id, name: key.name, hint: key.hint });
  }

  async setKeyStatus(id: string, status: KeyStatus, at: number, actor: Actor, reason?: string): Promise<KeyRow> {
    return this.write(async (tx, notes) => {
      const key = await this.requireKey(tx, id);
      if (key.status === status) return key;
      await this.changeKeyStatus(tx, key, status, at, actor, notes, reasonDetail(reason));
      return this.requireKey(tx, id);
    });
  }

  /** Deletes `key`, keeping its tombstone. */
  private async removeKey(tx: Tx, key: KeyRow, at: number, actor: Actor, notes: ChangeNote[], detail?: Record<string, unknown>): Promise<void> {
    await bury(tx, key, at, actor.name);
    await tx.delete(keys).where(eq(keys.id, key.id));
    await this.appendAudit(tx, actor, keyAudit('key.delete', key, detail), at);
    notes.push({ t: 'key', id: key.id, e: 'deleted' });
  }

  async deleteKey(id: string, at: number, actor: Actor): Promise<KeyRow> {
    return this.write(async (tx, notes) => {
      const key = await this.requireKey(tx, id);
      if (key.status === 'active') throw keyActive(key);
      await this.refuseIfInOpenRotation(tx, id, 'deleted');
      await this.removeKey(tx, key, at, actor, notes);
      return key;
    });
  }

  private async refuseIfInOpenRotation(tx: Tx, keyId: string, verb: string): Promise<void> {
    const [open] = await tx
      .select({ id: rotations.id })
      .from(rotations)
      .where(and(or(eq(rotations.oldKeyId, keyId), eq(rotations.newKeyId, keyId)), notInArray(rotations.step, ENDED)))
      .limit(1);
    if (open) throw rotationOpen(open.id, verb);
  }

  async *indexedKeys(): AsyncIterable<IndexedKey[]> {
    yield* indexedKeyPages(this.db);
  }

  async quotas(keyIds: string[]): Promise<(StoredQuota & { keyId: string })[]> {
    if (keyIds.length === 0) return [];
    return storedQuotas(await this.db.select({ id: keys.id, ...policyColumnsOf(keys) }).from(keys).where(anyOf(keys.id, keyIds)));
  }

  async findByHashes(hashes: string[], withOperators: boolean): Promise<HashMatch[]> {
    if (hashes.length === 0) return [];
    const found = await this.db.select({ hash: keys.hash, id: keys.id, name: keys.name, state: keys.status, canary: keys.canary }).from(keys).where(anyOf(keys.hash, hashes));
    const matches: HashMatch[] = [...found.map(keyMatch), ...(await tombstoneMatches(this.db, hashes))];
    if (withOperators) {
      const ops = await this.db.select({ hash: operators.tokenHash, ...operatorColumns }).from(operators).where(anyOf(operators.tokenHash, hashes));
      matches.push(...ops.map(operatorMatch));
    }
    return matches;
  }

  // operators

  async countOperators(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(operators);
    return row?.n ?? 0;
  }

  async listOperators(): Promise<OperatorRow[]> {
    return this.db.select(operatorColumns).from(operators).orderBy(asc(operators.createdAt), asc(operators.id));
  }

  async indexedOperators(): Promise<IndexedOperator[]> {
    return this.db.select({ ...operatorColumns, tokenHash: operators.tokenHash }).from(operators);
  }

  async createOperator(op: OperatorRow & { tokenHash: string }, actor: Actor | null): Promise<OperatorRow> {
    return this.write(async (tx, notes) => {
      const [taken] = await tx.select({ name: operators.name }).from(operators).where(sameOrLookAlike(operators, op.name)).limit(1);
      if (taken) throw nameTaken('operator', op.name, taken.name);
      await tx.insert(operators).values({ ...op, ...nameColumns(op.name) });
      await this.appendAudit(tx, actor, operatorAudit('operator.create', op, { role: op.role }), op.createdAt);
      notes.push({ t: 'operator', id: op.id, e: 'created' });
      return { id: op.id, name: op.name, role: op.role, createdAt: op.createdAt, disabledAt: op.disabledAt };
    });
  }

  async disableOperator(id: string, at: number, actor: Actor): Promise<OperatorRow> {
    return this.write(async (tx, notes) => {
      const [op] = await tx.select(operatorColumns).from(operators).where(eq(operators.id, id));
      if (!op) throw notFound('operator', id);
      if (op.disabledAt !== null) return op;
      if (op.role === 'admin') {
        const [admins] = await tx
          .select({ n: count() })
          .from(operators)
          .where(and(eq(operators.role, 'admin'), sql`${operators.disabledAt} is null`));
        if ((admins?.n ?? 0) <= 1) throw lastAdmin(op);
      }
      await tx.update(operators).set({ disabledAt: at }).where(eq(operators.id, id));
      await this.appendAudit(tx, actor, operatorAudit('operator.disable', op), at);
      notes.push({ t: 'operator', id, e: 'updated' });
      return { ...op, disabledAt: at };
    });
  }

  // audit

  async listAudit(query: AuditQuery): Promise<AuditEvent[]> {
    return this.db.select().from(auditEvents).where(auditWhere(auditEvents, rotations, query)).orderBy(desc(auditEvents.seq)).limit(query.limit);
  }

  async *auditChain(): AsyncIterable<AuditEvent> {
    const page = 1000;
    let after = 0;
    for (;;) {
      const rows = await this.db.select().from(auditEvents).where(gt(auditEvents.seq, after)).orderBy(asc(auditEvents.seq)).limit(page);
      yield* rows;
      if (rows.length < page) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  // usage

  /**
   * Adds this daemon's counts to the shared ones. Rows are locked in one order (keys, then
   * buckets, then callers, each sorted) so two daemons flushing at once wait, never deadlock;
   * the keys are share-locked first so none is deleted between the check and the upsert.
   */
  async applyUsage(delta: UsageDelta, pruneBefore: number): Promise<void> {
    await this.transaction(async (tx) => {
      // The window first, before any key row: a list moving it takes them in the same order.
      const from = await lockUsesWindow(tx);
      const ids = [...new Set(delta.buckets.map((b) => b.keyId))].sort();
      const live = new Set(
        ids.length
          ? (await tx.select({ id: keys.id }).from(keys).where(anyOf(keys.id, ids)).orderBy(asc(keys.id)).for('key share')).map((k) => k.id)
          : [],
      );
      const buckets = delta.buckets.filter((b) => live.has(b.keyId)).sort((a, b) => compare(a.keyId, b.keyId) || a.minute - b.minute);
      if (buckets.length) {
        await tx
          .insert(usageBuckets)
          .select(
            sql`select * from ${unnest([
              [usageBuckets.keyId, buckets.map((b) => b.keyId)],
              [usageBuckets.minute, buckets.map((b) => b.minute)],
              [usageBuckets.ok, buckets.map((b) => b.ok)],
              [usageBuckets.rejected, buckets.map((b) => b.rejected)],
            ])}`,
          )
          .onConflictDoUpdate({
            target: [usageBuckets.keyId, usageBuckets.minute],
            set: { ok: sql`${usageBuckets.ok} + excluded.ok`, rejected: sql`${usageBuckets.rejected} + excluded.rejected` },
          });
        await addUses(tx, buckets, from);
      }
      const callers = delta.callers.filter((c) => live.has(c.keyId)).sort((a, b) => compare(a.keyId, b.keyId) || compare(a.caller, b.caller));
      if (callers.length) {
        const stored = await tx
          .insert(keyCallers)
          .select(
            sql`select * from ${unnest([
              [keyCallers.keyId, callers.map((c) => c.keyId)],
              [keyCallers.caller, callers.map((c) => c.caller)],
              [keyCallers.firstSeenAt, callers.map((c) => c.at)],
              [keyCallers.lastSeenAt, callers.map((c) => c.at)],
              [keyCallers.ok, callers.map((c) => c.ok)],
              [keyCallers.rejected, callers.map((c) => c.rejected)],
            ])}`,
          )
          .onConflictDoUpdate({
            target: [keyCallers.keyId, keyCallers.caller],
            set: {
              lastSeenAt: sql`greatest(${keyCallers.lastSeenAt}, excluded.last_seen_at)`,
              ok: sql`${keyCallers.ok} + excluded.ok`,
              rejected: sql`${keyCallers.rejected} + excluded.rejected`,
            },
          })
          .returning({ keyId: keyCallers.keyId, caller: keyCallers.caller, total: sql<number>`${keyCallers.ok} + ${keyCallers.rejected}`.mapWith(Number) });
        // Counts that are this flush's alone belong to a row just inserted: a new caller.
        const added = new Map(callers.map((c) => [`${c.keyId}\u0000${c.caller}`, c.ok + c.rejected]));
        const grown = new Set(stored.filter((r) => added.get(`${r.keyId}\u0000${r.caller}`) === r.total).map((r) => r.keyId));
        for (const keyId of [...grown].sort()) await keepRecentCallers(tx, keyId);
      }
      const lastUsed = delta.lastUsed.filter((u) => live.has(u.keyId)).sort((a, b) => compare(a.keyId, b.keyId));
      if (lastUsed.length) {
        const values = unnest([
          [keys.id, lastUsed.map((u) => u.keyId)],
          [keys.lastUsedAt, lastUsed.map((u) => u.at)],
        ]);
        await tx.execute(sql`update ${keys} set last_used_at = greatest(coalesce(${keys.lastUsedAt}, 0), v.at) from ${values} as v(id, at) where ${keys.id} = v.id`);
      }
      const quotaUses = (delta.quotas ?? []).filter((u) => live.has(u.keyId)).sort((a, b) => compare(a.keyId, b.keyId));
      if (quotaUses.length) {
        // The rows are share-locked above; settling reads and writes each under an update lock.
        const rows = await tx
          .select({ id: keys.id, ...policyColumnsOf(keys) })
          .from(keys)
          .where(anyOf(keys.id, quotaUses.map((u) => u.keyId)))
          .orderBy(asc(keys.id))
          .for('no key update');
        const settled = new Map<string, StoredQuota>(storedQuotas(rows).map((q) => [q.keyId, q]));
        for (const use of quotaUses) {
          const quota = settled.get(use.keyId);
          if (quota) settled.set(use.keyId, settle(quota, use));
        }
        // One statement for all the keys (a statement a key was up to 1,000 a second); settling
        // changes only these two columns, and the rows are already locked, in key order.
        const writes = [...settled];
        if (writes.length) {
          const values = unnest([
            [keys.id, writes.map(([id]) => id)],
            [keys.quotaRemaining, writes.map(([, q]) => q.remaining)],
            [keys.quotaRefilledAt, writes.map(([, q]) => q.refilledAt)],
          ]);
          await tx.execute(
            sql`update ${keys} set ${sql.identifier(keys.quotaRemaining.name)} = v.remaining, ${sql.identifier(keys.quotaRefilledAt.name)} = v.refilled_at from ${values} as v(id, remaining, refilled_at) where ${keys.id} = v.id`,
          );
        }
      }
      const pruner = await tx.execute<{ held: boolean }>(sql`select pg_try_advisory_xact_lock(${lockKey(LOCKS.prune)}) as held`);
      if (pruner.rows[0]?.held) {
        const pruned = Math.floor(pruneBefore / 60_000);
        // Buckets pruned inside the window leave it first, so the counts stay their sums.
        if (from !== undefined && from < pruned) await moveUsesWindow(tx, pruned);
        await tx.delete(usageBuckets).where(lt(usageBuckets.minute, pruned));
        await tx.delete(keyCallers).where(lt(keyCallers.lastSeenAt, pruneBefore));
      }
    });
  }

  async usageBuckets(keyId: string, fromMinute: number): Promise<UsageBucket[]> {
    return this.db
      .select({ minute: usageBuckets.minute, ok: usageBuckets.ok, rejected: usageBuckets.rejected })
      .from(usageBuckets)
      .where(and(eq(usageBuckets.keyId, keyId), gte(usageBuckets.minute, fromMinute)))
      .orderBy(asc(usageBuckets.minute));
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
      .limit(CALLERS_LISTED);
  }

  // rotations

  async createRotation(rotation: RotationRow, newKey: KeyRow & { hash: string }, actor: Actor, emergency?: EmergencyCut): Promise<RotationRow> {
    return this.write(async (tx, notes) => {
      const old = await this.requireKey(tx, rotation.oldKeyId);
      await this.refuseIfInOpenRotation(tx, old.id, 'rotated again');
      await this.insertKey(tx, newKey, notes);
      await tx.insert(rotations).values(rotation);
      await this.appendAudit(tx, actor, keyAudit('key.create', newKey, { rotation: rotation.id }), rotation.createdAt);
      await this.appendAudit(tx, actor, rotationStartAudit(rotation, old, emergency), rotation.createdAt);
      notes.push({ t: 'rotation', id: rotation.id, e: 'created' });
      if (emergency) {
        const detail = { rotation: rotation.id, reason: emergency.reason };
        if (old.status === 'active') await this.changeKeyStatus(tx, old, 'inactive', rotation.createdAt, actor, notes, detail);
        else {
          await tx.update(keys).set({ rotatedOutBy: rotation.id }).where(eq(keys.id, old.id));
          notes.push({ t: 'key', id: old.id, e: 'updated' });
        }
      }
      return rotation;
    });
  }

  private async rotationById(tx: Tx | PgDb, id: string): Promise<RotationRow | undefined> {
    const [rotation] = await tx.select().from(rotations).where(eq(rotations.id, id));
    return rotation;
  }

  async getRotation(id: string): Promise<RotationRow | undefined> {
    return this.rotationById(this.db, id);
  }

  async listRotations(openOnly: boolean): Promise<RotationRow[]> {
    return this.db
      .select()
      .from(rotations)
      .where(openOnly ? notInArray(rotations.step, ENDED) : undefined)
      .orderBy(desc(rotations.createdAt));
  }

  async changeRotation(id: string, change: RotationChange, actor: Actor): Promise<RotationRow> {
    return this.write(async (tx, notes) => {
      const current = await this.rotationById(tx, id);
      if (!current) throw notFound('rotation', id);
      if (current.step !== change.expectStep) throw stepChanged(current.step, change.expectStep);
      const { at } = change;
      const old = await this.keyById(tx, current.oldKeyId);
      if (old && change.oldKeyStatus && old.status !== change.oldKeyStatus) {
        await this.changeKeyStatus(tx, old, change.oldKeyStatus, at, actor, notes, { rotation: id });
      } else if (old && change.oldKeyStatus === 'inactive' && old.rotatedOutBy !== id) {
        // An old key already off at the cut-over is still the one this rotation cut over.
        await tx.update(keys).set({ rotatedOutBy: id }).where(eq(keys.id, old.id));
        notes.push({ t: 'key', id: old.id, e: 'updated' });
      }
      if (old && change.deleteOldKey) await this.removeKey(tx, keyToDelete(old), at, actor, notes, { rotation: id });
      const renamed = change.renameNewKey !== undefined ? await this.keyById(tx, current.newKeyId) : undefined;
      if (renamed && renamed.name !== change.renameNewKey) {
        await this.editKey(tx, renamed, { name: change.renameNewKey }, ['name'], at, actor, notes, { rotation: id });
      }
      await tx.update(rotations).set(change.set).where(eq(rotations.id, id));
      await this.appendAudit(tx, actor, change.audit, at);
      notes.push({ t: 'rotation', id, e: 'updated' });
      return (await this.rotationById(tx, id))!;
    });
  }

  // webhooks

  async createWebhook(hook: NewWebhook, actor: Actor): Promise<WebhookRow> {
    return this.write(async (tx) => {
      await insertWebhook(tx, hook);
      await this.appendAudit(tx, actor, webhookAudit('webhook.create', hook), hook.createdAt);
      return (await webhookById(tx, hook.id))!;
    });
  }

  async listWebhooks(): Promise<WebhookRow[]> {
    return allWebhooks(this.db);
  }

  async deleteWebhook(id: string, at: number, actor: Actor): Promise<WebhookRow> {
    return this.write(async (tx) => {
      const hook = await webhookById(tx, id);
      if (!hook) throw notFound('webhook', id);
      await removeWebhook(tx, id);
      await this.appendAudit(tx, actor, webhookAudit('webhook.delete', hook), at);
      return hook;
    });
  }

  async listDeliveries(webhookId: string, limit: number): Promise<DeliveryRow[]> {
    if (!(await webhookById(this.db, webhookId))) throw notFound('webhook', webhookId);
    return deliveriesOf(this.db, webhookId, limit);
  }

  /** Not an audited write: claims need no audit lock, only their rows' locks. */
  async claimDelivery(now: number, leaseUntil: number, keyId: string, busy: readonly string[]): Promise<ClaimedDelivery | undefined> {
    return this.transaction((tx) => claim(tx, now, leaseUntil, keyId, busy));
  }

  async finishDelivery(id: string, outcome: DeliveryOutcome): Promise<void> {
    await this.transaction((tx) => finish(tx, id, outcome));
  }

  async pruneDeliveries(before: number): Promise<void> {
    await prune(this.db, before);
  }

  // tombstones and alerts

  async listTombstones(limit: number, after?: { deletedAt: number; keyId: string }): Promise<TombstoneRow[]> {
    return tombstonePage(this.db, limit, after);
  }

  /** Announced as deletions: the other daemons drop the tombstones from their indexes. */
  async pruneTombstones(before: number): Promise<string[]> {
    return this.write(async (tx, notes) => {
      const ids = await pruneTombstones(tx, before);
      for (const id of ids) notes.push({ t: 'key', id, e: 'deleted' });
      return ids;
    });
  }

  async recordSightings(sightings: AlertSighting[], _at: number): Promise<AlertChange[]> {
    if (sightings.length === 0) return [];
    return this.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${lockKey(LOCKS.alerts)})`);
      const changes: AlertChange[] = [];
      for (const s of sightings) {
        const change = await recordSighting(tx, s);
        if (change) changes.push(change);
      }
      return changes;
    });
  }

  async listAlerts(query: AlertListQuery): Promise<AlertRow[]> {
    return alertPage(this.db, query);
  }

  async countOpenAlerts(): Promise<Partial<Record<AlertKind, number>>> {
    return countOpenAlerts(this.db);
  }

  async openAlert(kind: AlertKind, keyId: string, caller: string): Promise<AlertRow | undefined> {
    return openAlert(this.db, kind, keyId, caller);
  }

  async ackAlert(id: string, at: number, actor: Actor): Promise<{ alert: AlertRow; acknowledged: boolean }> {
    return this.write(async (tx) => {
      const alert = await alertById(tx, id);
      if (!alert) throw notFound('alert', id);
      if (alert.ackedAt !== null) return { alert, acknowledged: false };
      await acknowledge(tx, id, at, actor.name);
      await this.appendAudit(tx, actor, alertAudit(alert), at);
      return { alert: (await alertById(tx, id))!, acknowledged: true };
    });
  }

  async keysExpiring(from: number, to: number): Promise<Pick<KeyRow, 'id' | 'name' | 'expiresAt'>[]> {
    return this.db.select({ id: keys.id, name: keys.name, expiresAt: keys.expiresAt }).from(keys).where(expiringWhere(keys, from, to));
  }

  async close(): Promise<void> {
    await this.shared.close();
    await this.pool.end();
  }
}

/** Adds a key's callers beyond the most recent `CALLERS_KEPT` to its others (see `usage/callers.ts`), in one statement. */
async function keepRecentCallers(tx: Tx, keyId: string): Promise<void> {
  await tx.execute(sql`
    with excess as (
      delete from ${keyCallers} where key_id = ${keyId} and caller <> ${OTHER_CALLERS} and caller not in (
        select caller from ${keyCallers} where key_id = ${keyId} and caller <> ${OTHER_CALLERS}
        order by last_seen_at desc, caller desc limit ${CALLERS_KEPT})
      returning ok, rejected, first_seen_at, last_seen_at)
    insert into ${keyCallers} (key_id, caller, first_seen_at, last_seen_at, ok, rejected)
    select ${keyId}, ${OTHER_CALLERS}, min(first_seen_at), max(last_seen_at), sum(ok), sum(rejected) from excess having count(*) > 0
    on conflict (key_id, caller) do update set
      first_seen_at = least(${keyCallers.firstSeenAt}, excluded.first_seen_at),
      last_seen_at = greatest(${keyCallers.lastSeenAt}, excluded.last_seen_at),
      ok = ${keyCallers.ok} + excluded.ok,
      rejected = ${keyCallers.rejected} + excluded.rejected`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
