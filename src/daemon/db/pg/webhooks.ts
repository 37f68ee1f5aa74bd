/**
 * The PostgreSQL store's webhook tables: the outbox a write fills in its own transaction
 * (`enqueue`), and the reads and writes of the webhook routes and the dispatcher. Several
 * daemons deliver from one outbox: a claim locks the due rows `for update skip locked` and
 * leases them, so exactly one daemon attempts a given delivery at a time, and a daemon that
 * dies mid-attempt only delays it until its lease ends.
 */
import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import { deliveriesFor, type OutboundEvent } from '../../webhooks/events.js';
import type { ClaimedDelivery, DeliveryOutcome, DeliveryRow, NewWebhook, WebhookRow } from '../../store.js';
import type { PgDb } from './open.js';
import { webhookDeliveries, webhooks } from './schema.js';

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

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
export async function enqueue(tx: Tx, event: OutboundEvent): Promise<void> {
  const rows = deliveriesFor(event, await tx.select({ id: webhooks.id, events: webhooks.events }).from(webhooks));
  if (rows.length) await tx.insert(webhookDeliveries).values(rows);
}

export async function insertWebhook(tx: Tx, hook: NewWebhook): Promise<void> {
  await tx.insert(webhooks).values({ ...hook, events: JSON.stringify(hook.events) });
}

export async function webhookById(tx: Tx | PgDb, id: string): Promise<WebhookRow | undefined> {
  const [row] = await tx.select(webhookColumns).from(webhooks).where(eq(webhooks.id, id));
  return row && webhookRow(row);
}

export async function removeWebhook(tx: Tx, id: string): Promise<void> {
  await tx.delete(webhooks).where(eq(webhooks.id, id));
}

export async function allWebhooks(db: PgDb): Promise<WebhookRow[]> {
  return (await db.select(webhookColumns).from(webhooks).orderBy(asc(webhooks.createdAt), asc(webhooks.id))).map(webhookRow);
}

export async function deliveriesOf(db: PgDb, webhookId: string, limit: number): Promise<DeliveryRow[]> {
  return db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, webhookId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit);
}

export async function claim(tx: Tx, now: number, leaseUntil: number, limit: number, keyId: string): Promise<ClaimedDelivery[]> {
  const due = await tx
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
    // Rows another daemon is claiming right now are skipped, not waited for; its lease then keeps them.
    .for('update', { of: webhookDeliveries, skipLocked: true });
  if (due.length) {
    await tx
      .update(webhookDeliveries)
      .set({ lockedUntil: leaseUntil })
      .where(inArray(webhookDeliveries.id, due.map((d) => d.id)));
  }
  return due;
}

export async function finish(tx: Tx, id: string, o: DeliveryOutcome): Promise<void> {
  await tx
    .update(webhookDeliveries)
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
    .where(eq(webhookDeliveries.id, id));
  // The receiver is back: what waits for it goes now, not after its backoff.
  if (o.delivered) {
    await tx
      .update(webhookDeliveries)
      .set({ nextAttemptAt: o.at })
      .where(and(eq(webhookDeliveries.webhookId, o.webhookId), eq(webhookDeliveries.status, 'pending'), gt(webhookDeliveries.nextAttemptAt, o.at)));
  }
}

export async function prune(tx: Tx | PgDb, before: number): Promise<void> {
  await tx.delete(webhookDeliveries).where(and(ne(webhookDeliveries.status, 'pending'), lt(webhookDeliveries.createdAt, before)));
}
