/**
 * The PostgreSQL store's tombstones and alerts (docs/alerts.md): the same as the SQLite
 * store's (../sqlite/trouble.ts), asynchronous. Sightings are recorded inside the audit lock
 * (the store's `write`), so two daemons flushing the same alert count on it one after the other.
 */
import { and, count, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { callerFor, counted, oncePerDetail, placeSighting, raised } from '../../alerts/dedup.js';
import type { AlertKind } from '../../alerts/kinds.js';
import type { IndexedKey } from '../../../decide/policy.js';
import type { AlertChange, AlertListQuery, AlertRow, AlertSighting, HashMatch, KeyRow, TombstoneRow } from '../../store.js';
import { alertOutbound } from '../../webhooks/events.js';
import {
  alertListWhere,
  alertOrder,
  alertRow,
  alertValues,
  countedSet,
  openAlertCounts,
  latestAlertWhere,
  sameDetailWhere,
  namedOpenAlertsWhere,
  openAlertWhere,
  presentationOf,
  presentedSet,
  staleAlertsWhere,
  tombstoneColumns,
  tombstoneOf,
  tombstoneOrder,
  tombstonePageWhere,
} from '../trouble.js';
import { tombstoneEntry } from '../../verify/key-index.js';
import { anyOf } from './arrays.js';
import type { PgDb } from './open.js';
import { alerts, keys, keyTombstones } from './schema.js';
import { enqueue } from './webhooks.js';

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

const graveColumns = tombstoneColumns(keyTombstones);

// tombstones

/** Keeps the tombstone of `key`, about to be deleted, in the delete's transaction. */
export async function bury(tx: Tx, key: KeyRow, at: number, deletedBy: string): Promise<void> {
  const [{ hash }] = (await tx.select({ hash: keys.hash }).from(keys).where(eq(keys.id, key.id))) as [{ hash: string }];
  await tx.insert(keyTombstones).values(tombstoneOf(key, hash, at, deletedBy));
}

/** Keys created with deleted keys' hashes (an import) take the tombstones' places. */
export async function unbury(tx: Tx, hashes: readonly string[]): Promise<void> {
  await tx.delete(keyTombstones).where(anyOf(keyTombstones.hash, hashes));
}

/** All tombstones, or those of the keys `ids`, as the index holds them. */
export async function tombstoneEntries<S extends Record<string, unknown>>(db: NodePgDatabase<S>, ids?: string[]): Promise<IndexedKey[]> {
  const rows = await db
    .select({ keyId: keyTombstones.keyId, name: keyTombstones.name, hash: keyTombstones.hash, deletedAt: keyTombstones.deletedAt, rotationId: keyTombstones.rotationId })
    .from(keyTombstones)
    .where(ids ? anyOf(keyTombstones.keyId, ids) : undefined);
  return rows.map(tombstoneEntry);
}

export async function tombstonePage(db: PgDb, limit: number, after?: { deletedAt: number; keyId: string }): Promise<TombstoneRow[]> {
  return db
    .select(graveColumns)
    .from(keyTombstones)
    .where(tombstonePageWhere(keyTombstones, after))
    .orderBy(...tombstoneOrder(keyTombstones))
    .limit(limit);
}

export async function tombstoneMatches(db: PgDb, hashes: string[]): Promise<HashMatch[]> {
  const rows = await db.select({ hash: keyTombstones.hash, id: keyTombstones.keyId, name: keyTombstones.name }).from(keyTombstones).where(anyOf(keyTombstones.hash, hashes));
  return rows.map((t) => ({ ...t, kind: 'key', state: 'deleted' }));
}

/** Drops the tombstones of keys deleted before `before`, and acknowledged alerts last seen before it. */
export async function pruneTombstones(tx: Tx, before: number): Promise<string[]> {
  const gone = await tx.delete(keyTombstones).where(lt(keyTombstones.deletedAt, before)).returning({ id: keyTombstones.keyId });
  await tx.delete(alerts).where(staleAlertsWhere(alerts, before));
  return gone.map((g) => g.id);
}

// alerts

export async function openAlert(tx: Tx | PgDb, kind: AlertKind, keyId: string, caller: string): Promise<AlertRow | undefined> {
  const [row] = await tx.select().from(alerts).where(openAlertWhere(alerts, kind, keyId, caller));
  return row && alertRow(row);
}

async function latestAlert(tx: Tx, s: AlertSighting): Promise<AlertRow | undefined> {
  if (oncePerDetail(s)) {
    const [same] = await tx.select().from(alerts).where(sameDetailWhere(alerts, s)).limit(1);
    if (same) return alertRow(same);
  }
  const [row] = await tx.select().from(alerts).where(latestAlertWhere(alerts, s)).orderBy(desc(alerts.firstSeenAt)).limit(1);
  return row && alertRow(row);
}

async function openCount(tx: Tx, s: AlertSighting): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(alerts).where(namedOpenAlertsWhere(alerts, s.kind, s.keyId));
  return row?.n ?? 0;
}

/**
 * Records one sighting in the caller's transaction (see `placeSighting`); a raised alert queues
 * its webhook deliveries there too. `key` is what its event says of the key, when a write has more
 * than the alert (a leak report: its hint).
 */
export async function recordSighting(tx: Tx, sighting: AlertSighting, key?: { id: string; name: string; hint: string }): Promise<AlertChange | undefined> {
  const own = await openAlert(tx, sighting.kind, sighting.keyId, sighting.caller);
  const s = callerFor(sighting, own !== undefined, own ? 0 : await openCount(tx, sighting));
  const open = s === sighting ? own : await openAlert(tx, s.kind, s.keyId, s.caller);
  if (sighting.tombstone) await tx.update(keyTombstones).set(presentedSet(keyTombstones, presentationOf(sighting))).where(eq(keyTombstones.keyId, sighting.keyId));
  const placement = placeSighting(s, open, open ? undefined : await latestAlert(tx, s));
  if (placement === 'skip') return undefined;
  if (placement === 'raise') {
    const alert = raised(s);
    await tx.insert(alerts).values(alertValues(alert));
    await enqueue(tx, alertOutbound(alert, key));
    return { alert, raised: true };
  }
  const alert = counted(placement.into, s);
  await tx.update(alerts).set(countedSet(alert)).where(eq(alerts.id, alert.id));
  return { alert, raised: false };
}

export async function alertPage(db: PgDb, query: AlertListQuery): Promise<AlertRow[]> {
  const rows = await db
    .select()
    .from(alerts)
    .where(alertListWhere(alerts, query))
    .orderBy(...alertOrder(alerts))
    .limit(query.limit);
  return rows.map(alertRow);
}

export async function countOpenAlerts(db: PgDb): Promise<Partial<Record<AlertKind, number>>> {
  return openAlertCounts(await db.select({ kind: alerts.kind, n: count() }).from(alerts).where(isNull(alerts.ackedAt)).groupBy(alerts.kind));
}

export async function alertById(tx: Tx | PgDb, id: string): Promise<AlertRow | undefined> {
  const [row] = await tx.select().from(alerts).where(eq(alerts.id, id));
  return row && alertRow(row);
}

export async function acknowledge(tx: Tx, id: string, at: number, by: string): Promise<void> {
  await tx
    .update(alerts)
    .set({ ackedAt: at, ackedBy: by })
    .where(and(eq(alerts.id, id), sql`${alerts.ackedAt} is null`));
}
