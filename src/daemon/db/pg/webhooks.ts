/**
 * The PostgreSQL store's webhook tables: the outbox a write fills in its own transaction
 * (`enqueue`), and the reads and writes of the webhook routes and the dispatcher. Several
 * daemons deliver from one outbox: a claim locks the due rows `for update skip locked` and
 * leases them, so exactly one daemon attempts a given delivery at a time, and a daemon that
 * dies mid-attempt only delays it until its lease ends.
 */
import { asc, desc, eq, lt } from 'drizzle-orm';
import { deliveriesFor, type OutboundEvent } from '../../webhooks/events.js';
import { claimColumns, deliveryColumns, dueWhere, finishedDelivery, waitingWhere, webhookColumns, webhookRow } from '../dialects.js';
import type { ClaimedDelivery, DeliveryOutcome, DeliveryRow, NewWebhook, WebhookRow } from '../../store.js';
import type { PgDb } from './open.js';
import { webhookDeliveries, webhooks } from './schema.js';

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

const hookColumns = webhookColumns(webhooks);
const logColumns = deliveryColumns(webhookDeliveries);
const OUTBOX = { deliveries: webhookDeliveries, webhooks };

/** Queues `event` for every webhook that wants it, in the caller's transaction. */
export async function enqueue(tx: Tx, event: OutboundEvent): Promise<void> {
  const rows = deliveriesFor(event, await tx.select({ id: webhooks.id, events: webhooks.events }).from(webhooks));
  if (rows.length) await tx.insert(webhookDeliveries).values(rows);
}

export async function insertWebhook(tx: Tx, hook: NewWebhook): Promise<void> {
  await tx.insert(webhooks).values({ ...hook, events: JSON.stringify(hook.events) });
}

export async function webhookById(tx: Tx | PgDb, id: string): Promise<WebhookRow | undefined> {
  const [row] = await tx.select(hookColumns).from(webhooks).where(eq(webhooks.id, id));
  return row && webhookRow(row);
}

export async function removeWebhook(tx: Tx, id: string): Promise<void> {
  await tx.delete(webhooks).where(eq(webhooks.id, id));
}

export async function allWebhooks(db: PgDb): Promise<WebhookRow[]> {
  return (await db.select(hookColumns).from(webhooks).orderBy(asc(webhooks.createdAt), asc(webhooks.id))).map(webhookRow);
}

export async function deliveriesOf(db: PgDb, webhookId: string, limit: number): Promise<DeliveryRow[]> {
  return db
    .select(logColumns)
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, webhookId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit);
}

export async function claim(tx: Tx, now: number, leaseUntil: number, keyId: string, busy: readonly string[]): Promise<ClaimedDelivery | undefined> {
  const [due] = await tx
    .select(claimColumns(OUTBOX))
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(dueWhere(OUTBOX, now, keyId, busy))
    .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
    .limit(1)
    // Rows another daemon is claiming right now are skipped, not waited for; its lease then keeps them.
    .for('update', { of: webhookDeliveries, skipLocked: true });
  if (due) await tx.update(webhookDeliveries).set({ lockedUntil: leaseUntil }).where(eq(webhookDeliveries.id, due.id));
  return due;
}

export async function finish(tx: Tx, id: string, o: DeliveryOutcome): Promise<void> {
  await tx
    .update(webhookDeliveries)
    .set(finishedDelivery(webhookDeliveries.attempts, o))
    .where(eq(webhookDeliveries.id, id));
  // The receiver is back: what waits for it goes now, not after its backoff.
  if (o.delivered) {
    await tx
      .update(webhookDeliveries)
      .set({ nextAttemptAt: o.at })
      .where(waitingWhere(webhookDeliveries, o));
  }
}

export async function prune(tx: Tx | PgDb, before: number): Promise<void> {
  await tx.delete(webhookDeliveries).where(lt(webhookDeliveries.createdAt, before));
}
