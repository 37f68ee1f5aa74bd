/**
 * The SQLite store's tombstones and alerts (docs/alerts.md): a deleted key's tombstone written
 * in the delete's transaction, sightings counted on their alerts or raising new ones (with
 * their webhook deliveries queued in the same transaction), and the reads of their routes.
 */
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { callerFor, counted, placeSighting, raised } from '../../alerts/dedup.js';
import type { AlertKind } from '../../alerts/kinds.js';
import type { AlertChange, AlertListQuery, AlertRow, AlertSighting, HashMatch, IndexedKey, KeyRow, TombstoneRow } from '../../store.js';
import { alertOutbound } from '../../webhooks/events.js';
import {
  alertListWhere,
  alertOrder,
  alertRow,
  alertValues,
  countedSet,
  latestAlertWhere,
  openAlertWhere,
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
import { enqueue } from './webhooks.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const graveColumns = tombstoneColumns(keyTombstones);

// tombstones

/** Keeps the tombstone of `key`, about to be deleted, in the delete's transaction. */
export function bury(tx: Tx, key: KeyRow, at: number, deletedBy: string): void {
  const { hash } = tx.select({ hash: keys.hash }).from(keys).where(eq(keys.id, key.id)).get()!;
  tx.insert(keyTombstones).values(tombstoneOf(key, hash, at, deletedBy)).run();
}

/** A key created with a deleted key's hash (an import) takes the tombstone's place. */
export function unbury(tx: Tx, hash: string): void {
  tx.delete(keyTombstones).where(eq(keyTombstones.hash, hash)).run();
}

export function tombstoneEntries(db: Db): IndexedKey[] {
  return db
    .select({ keyId: keyTombstones.keyId, name: keyTombstones.name, hash: keyTombstones.hash, deletedAt: keyTombstones.deletedAt, rotationId: keyTombstones.rotationId })
    .from(keyTombstones)
    .all()
    .map(tombstoneEntry);
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

export function openAlert(tx: Tx | Db, kind: AlertKind, keyId: string, caller: string): AlertRow | undefined {
  const row = tx.select().from(alerts).where(openAlertWhere(alerts, kind, keyId, caller)).get();
  return row && alertRow(row);
}

function latestAlert(tx: Tx, s: AlertSighting): AlertRow | undefined {
  const row = tx
    .select()
    .from(alerts)
    .where(latestAlertWhere(alerts, s))
    .orderBy(desc(alerts.firstSeenAt))
    .limit(1)
    .get();
  return row && alertRow(row);
}

function openCount(tx: Tx, s: AlertSighting): number {
  return tx.select({ n: sql<number>`count(*)` }).from(alerts).where(openAlertWhere(alerts, s.kind, s.keyId)).get()?.n ?? 0;
}

/**
 * Records one sighting in the caller's transaction (see `placeSighting`); a raised alert queues
 * its webhook deliveries there too. `key` is what its event says of the key, when a write has more
 * than the alert (a leak report: its hint).
 */
export function recordSighting(tx: Tx, sighting: AlertSighting, key?: { id: string; name: string; hint: string }): AlertChange | undefined {
  const own = openAlert(tx, sighting.kind, sighting.keyId, sighting.caller);
  const s = callerFor(sighting, own !== undefined, own ? 0 : openCount(tx, sighting));
  const open = s === sighting ? own : openAlert(tx, s.kind, s.keyId, s.caller);
  if (sighting.tombstone) tx.update(keyTombstones).set(presentedSet(keyTombstones, sighting)).where(eq(keyTombstones.keyId, sighting.keyId)).run();
  const placement = placeSighting(s, open, open ? undefined : latestAlert(tx, s));
  if (placement === 'skip') return undefined;
  if (placement === 'raise') {
    const alert = raised(s);
    tx.insert(alerts).values(alertValues(alert)).run();
    enqueue(tx, alertOutbound(alert, key));
    return { alert, raised: true };
  }
  const alert = counted(placement.into, s);
  tx.update(alerts).set(countedSet(alert)).where(eq(alerts.id, alert.id)).run();
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
