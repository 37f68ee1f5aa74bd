/**
 * The SQLite store's tombstones and alerts (docs/alerts.md): a deleted key's tombstone written
 * in the delete's transaction, sightings counted on their alerts or raising new ones (with
 * their webhook deliveries queued in the same transaction), and the reads of their routes.
 */
import { and, count, desc, eq, inArray, isNull, lt, ne, sql } from 'drizzle-orm';
import { callerFor, counted, NO_CALLER, oncePerDetail, placeSighting, raised } from '../../alerts/dedup.js';
import type { AlertKind } from '../../alerts/kinds.js';
import type { IndexedKey } from '../../../decide/policy.js';
import type { AlertChange, AlertListQuery, AlertRow, AlertSighting, HashMatch, KeyRow, TombstoneRow } from '../../store.js';
import { alertOutbound } from '../../webhooks/events.js';
import {
  ALERT_FIELDS,
  alertListWhere,
  alertOrder,
  alertRow,
  alertValues,
  storedDetail,
  countedSet,
  openAlertCounts,
  presentedSet,
  staleAlertsWhere,
  tombstoneColumns,
  tombstoneOf,
  tombstoneOrder,
  tombstonePageWhere,
} from '../trouble.js';
import { tombstoneEntry } from '../../verify/key-index.js';
import type { Db } from './open.js';
import { alerts, keys, keyTombstones } from './schema.js';
import type { Enqueue } from './webhooks.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const graveColumns = tombstoneColumns(keyTombstones);

// tombstones

/** Keeps the tombstone of `key`, about to be deleted, in the delete's transaction. */
export function bury(tx: Tx, key: KeyRow, at: number, deletedBy: string): void {
  const { hash } = tx.select({ hash: keys.hash }).from(keys).where(eq(keys.id, key.id)).get()!;
  tx.insert(keyTombstones).values(tombstoneOf(key, hash, at, deletedBy)).run();
}

/** What the verification index keeps of a tombstone (`tombstoneEntry`). */
export const tombstoneEntryColumns = { keyId: keyTombstones.keyId, name: keyTombstones.name, hash: keyTombstones.hash, deletedAt: keyTombstones.deletedAt, rotationId: keyTombstones.rotationId };

export function tombstoneEntries(db: Db): IndexedKey[] {
  return db.select(tombstoneEntryColumns).from(keyTombstones).all().map(tombstoneEntry);
}

export function tombstonePage(db: Db, limit: number, after?: { deletedAt: number; keyId: string }): TombstoneRow[] {
  return db
    .select(graveColumns)
    .from(keyTombstones)
    .where(tombstonePageWhere(keyTombstones, after))
    .orderBy(...tombstoneOrder(keyTombstones))
    .limit(limit)
    .all();
}

export function tombstoneMatches(db: Db, hashes: string[]): HashMatch[] {
  return db
    .select({ hash: keyTombstones.hash, id: keyTombstones.keyId, name: keyTombstones.name })
    .from(keyTombstones)
    .where(inArray(keyTombstones.hash, hashes))
    .all()
    .map((t) => ({ ...t, kind: 'key', state: 'deleted' }));
}

/** Drops the tombstones of keys deleted before `before`, and acknowledged alerts last seen before it. */
export function pruneTombstones(tx: Tx, before: number): string[] {
  const gone = tx.delete(keyTombstones).where(lt(keyTombstones.deletedAt, before)).returning({ id: keyTombstones.keyId }).all();
  tx.delete(alerts).where(staleAlertsWhere(alerts, before)).run();
  return gone.map((g) => g.id);
}

// alerts

/**
 * The statements a flush runs per sighting, prepared once: built through the query builder
 * each time, a flush of 20,000 sightings held the event loop (and every verify) for ~2 s.
 */
export function prepareAlertWrites(db: Db, enqueue: Enqueue) {
  const p = { kind: sql.placeholder('kind'), keyId: sql.placeholder('keyId'), caller: sql.placeholder('caller') };
  const triple = and(eq(alerts.kind, p.kind), eq(alerts.keyId, p.keyId), eq(alerts.caller, p.caller));
  return {
    enqueue,
    open: db.select().from(alerts).where(and(triple, isNull(alerts.ackedAt))).prepare(),
    latest: db.select().from(alerts).where(triple).orderBy(desc(alerts.firstSeenAt)).limit(1).prepare(),
    sameDetail: db.select().from(alerts).where(and(triple, eq(alerts.detail, sql.placeholder('detail')))).limit(1).prepare(),
    openCount: db
      .select({ n: sql<number>`count(*)` })
      .from(alerts)
      // Named callers only: the no-caller alert is where the cap sends the rest.
      .where(and(eq(alerts.kind, p.kind), eq(alerts.keyId, p.keyId), isNull(alerts.ackedAt), ne(alerts.caller, NO_CALLER)))
      .prepare(),
    counted: db
      .update(alerts)
      .set({
        count: sql`${sql.placeholder('count')}`,
        firstSeenAt: sql`${sql.placeholder('firstSeenAt')}`,
        lastSeenAt: sql`${sql.placeholder('lastSeenAt')}`,
        ip: sql`${sql.placeholder('ip')}`,
        detail: sql`${sql.placeholder('detail')}`,
      })
      .where(eq(alerts.id, sql.placeholder('id')))
      .prepare(),
    insert: db
      .insert(alerts)
      .values(Object.fromEntries(ALERT_FIELDS.map((f) => [f, sql.placeholder(f)])) as unknown as typeof alerts.$inferInsert)
      .prepare(),
    presented: db
      .update(keyTombstones)
      .set(presentedSet(keyTombstones, { count: sql.placeholder('count'), at: sql.placeholder('at'), caller: sql.placeholder('caller'), ip: sql.placeholder('ip') }))
      .where(eq(keyTombstones.keyId, sql.placeholder('keyId')))
      .prepare(),
  };
}

export type AlertWrites = ReturnType<typeof prepareAlertWrites>;

export function openAlert(writes: AlertWrites, kind: AlertKind, keyId: string, caller: string): AlertRow | undefined {
  const row = writes.open.get({ kind, keyId, caller });
  return row && alertRow(row);
}

/**
 * Records one sighting in the caller's transaction (see `placeSighting`); a raised alert queues
 * its webhook deliveries there too. `key` is what its event says of the key, when a write has more
 * than the alert (a leak report: its hint).
 */
export function recordSighting(tx: Tx, writes: AlertWrites, sighting: AlertSighting, key?: { id: string; name: string; hint: string }): AlertChange | undefined {
  const own = openAlert(writes, sighting.kind, sighting.keyId, sighting.caller);
  const s = callerFor(sighting, own !== undefined, own ? 0 : (writes.openCount.get({ kind: sighting.kind, keyId: sighting.keyId })?.n ?? 0));
  const open = s === sighting ? own : openAlert(writes, s.kind, s.keyId, s.caller);
  if (sighting.tombstone) writes.presented.run({ keyId: sighting.keyId, count: sighting.count, at: sighting.lastSeenAt, caller: sighting.caller, ip: sighting.ip });
  const same = open || !oncePerDetail(s) ? undefined : writes.sameDetail.get({ kind: s.kind, keyId: s.keyId, caller: s.caller, detail: storedDetail(s.detail) });
  const last = open ? undefined : (same ?? writes.latest.get({ kind: s.kind, keyId: s.keyId, caller: s.caller }));
  const placement = placeSighting(s, open, last && alertRow(last));
  if (placement === 'skip') return undefined;
  if (placement === 'raise') {
    const alert = raised(s);
    writes.insert.run(alertValues(alert));
    writes.enqueue(tx, alertOutbound(alert, key));
    return { alert, raised: true };
  }
  const alert = counted(placement.into, s);
  writes.counted.run({ id: alert.id, ...countedSet(alert) });
  return { alert, raised: false };
}

export function alertPage(db: Db, query: AlertListQuery): AlertRow[] {
  return db
    .select()
    .from(alerts)
    .where(alertListWhere(alerts, query))
    .orderBy(...alertOrder(alerts))
    .limit(query.limit)
    .all()
    .map(alertRow);
}

export function countOpenAlerts(db: Db): Partial<Record<AlertKind, number>> {
  return openAlertCounts(db.select({ kind: alerts.kind, n: count() }).from(alerts).where(isNull(alerts.ackedAt)).groupBy(alerts.kind).all());
}

export function alertById(tx: Tx | Db, id: string): AlertRow | undefined {
  const row = tx.select().from(alerts).where(eq(alerts.id, id)).get();
  return row && alertRow(row);
}

export function acknowledge(tx: Tx, id: string, at: number, by: string): void {
  tx.update(alerts)
    .set({ ackedAt: at, ackedBy: by })
    .where(and(eq(alerts.id, id), sql`${alerts.ackedAt} is null`))
    .run();
}
