/**
 * The SQLite store's webhook tables: the outbox a write fills in its own transaction
 * (`enqueue`), and the reads and writes of the webhook routes and the dispatcher. One daemon
 * owns a SQLite home, and its writes are immediate transactions, so a claim is a plain
 * select-then-lease inside one.
 */
import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import { deliveriesFor, type OutboundEvent } from '../../webhooks/events.js';
import type { ClaimedDelivery, DeliveryOutcome, DeliveryRow, NewWebhook, WebhookRow } from '../../store.js';
import type { Db } from './open.js';
import { webhookDeliveries, webhooks } from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const webhookColumns = {
  id: webhooks.id,
  url: webhooks.url,
  events: webhooks.events,
  keyId: webhooks.keyId,
  createdAt: webhooks.createdAt,
  createdBy: webhooks.createdBy,
};

const deliveryColumns = {
  id: webhookDeliveries.id,
  webhookId: webhookDeliveries.webhookId,
  eventId: webhookDeliveries.eventId,
  type: webhookDeliveries.type,
  status: webhookDeliveries.status,
  attempts: webhookDeliveries.attempts,
  createdAt: webhookDeliveries.createdAt,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  lastAttemptAt: webhookDeliveries.lastAttemptAt,
  lastStatus: webhookDeliveries.lastStatus,
  lastError: webhookDeliveries.lastError,
  deliveredAt: webhookDeliveries.deliveredAt,
};

export function webhookRow(row: Omit<WebhookRow, 'events'> & { events: string }): WebhookRow {
  return { ...row, events: JSON.parse(row.events) as string[] };
}

/** Queues `event` for every webhook that wants it, in the caller's transaction. */
export function enqueue(tx: Tx, event: OutboundEvent): void {
  const rows = deliveriesFor(event, tx.select({ id: webhooks.id, events: webhooks.events }).from(webhooks).all());
  if (rows.length) tx.insert(webhookDeliveries).values(rows).run();
}

export function insertWebhook(tx: Tx, hook: NewWebhook): void {
  tx.insert(webhooks).values({ ...hook, events: JSON.stringify(hook.events) }).run();
}

export function webhookById(tx: Tx | Db, id: string): WebhookRow | undefined {
  const row = tx.select(webhookColumns).from(webhooks).where(eq(webhooks.id, id)).get();
  return row && webhookRow(row);
}

export function removeWebhook(tx: Tx, id: string): void {
  tx.delete(webhooks).where(eq(webhooks.id, id)).run();
}

export function allWebhooks(db: Db): WebhookRow[] {
  return db.select(webhookColumns).from(webhooks).orderBy(asc(webhooks.createdAt), asc(webhooks.id)).all().map(webhookRow);
}

export function deliveriesOf(db: Db, webhookId: string, limit: number): DeliveryRow[] {
  return db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, webhookId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit)
    .all();
}

export function claim(tx: Tx, now: number, leaseUntil: number, limit: number, keyId: string): ClaimedDelivery[] {
  const due = tx
    .select({
      id: webhookDeliveries.id,
      webhookId: webhookDeliveries.webhookId,
      eventId: webhookDeliveries.eventId,
      type: webhookDeliveries.type,
      attempts: webhookDeliveries.attempts,
      createdAt: webhookDeliveries.createdAt,
      body: webhookDeliveries.body,
      url: webhooks.url,
      sealedSecret: webhooks.sealedSecret,
    })
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(
      and(
        eq(webhookDeliveries.status, 'pending'),
        lte(webhookDeliveries.nextAttemptAt, now),
        or(isNull(webhookDeliveries.lockedUntil), lte(webhookDeliveries.lockedUntil, now)),
        eq(webhooks.keyId, keyId),
      ),
    )
    .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
    .limit(limit)
    .all();
  if (due.length) {
    tx.update(webhookDeliveries)
      .set({ lockedUntil: leaseUntil })
      .where(inArray(webhookDeliveries.id, due.map((d) => d.id)))
      .run();
  }
  return due;
}

export function finish(tx: Tx, id: string, o: DeliveryOutcome): void {
  tx.update(webhookDeliveries)
    .set({
      status: o.delivered ? 'delivered' : o.nextAttemptAt === null ? 'failed' : 'pending',
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastAttemptAt: o.at,
      lastStatus: o.status,
      lastError: o.error,
      deliveredAt: o.delivered ? o.at : null,
      nextAttemptAt: o.nextAttemptAt ?? o.at,
      lockedUntil: null,
    })
    .where(eq(webhookDeliveries.id, id))
    .run();
  // The receiver is back: what waits for it goes now, not after its backoff.
  if (o.delivered) {
    tx.update(webhookDeliveries)
      .set({ nextAttemptAt: o.at })
      .where(and(eq(webhookDeliveries.webhookId, o.webhookId), eq(webhookDeliveries.status, 'pending'), gt(webhookDeliveries.nextAttemptAt, o.at)))
      .run();
  }
}

export function prune(tx: Tx, before: number): void {
  tx.delete(webhookDeliveries).where(and(ne(webhookDeliveries.status, 'pending'), lt(webhookDeliveries.createdAt, before))).run();
}
