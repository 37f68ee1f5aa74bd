/**
 * The SQLite store's webhook tables: the outbox a write fills in its own transaction
 * (`enqueue`), and the reads and writes of the webhook routes and the dispatcher. One daemon
 * owns a SQLite home, and its writes are immediate transactions, so a claim is a plain
 * select-then-lease inside one.
 */
import { asc, desc, eq, lt } from 'drizzle-orm';
import { deliveriesFor, type OutboundEvent } from '../../webhooks/events.js';
import { claimColumns, deliveryColumns, dueWhere, finishedDelivery, waitingWhere, webhookColumns, webhookRow } from '../dialects.js';
import type { ClaimedDelivery, DeliveryOutcome, DeliveryRow, NewWebhook, WebhookRow } from '../../store.js';
import type { Db } from './open.js';
import { webhookDeliveries, webhooks } from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const hookColumns = webhookColumns(webhooks);
const logColumns = deliveryColumns(webhookDeliveries);
const OUTBOX = { deliveries: webhookDeliveries, webhooks };

/**
 * Queues an event for every webhook that wants it, in the caller's transaction. Every audited
 * write queues its event, so the read of the webhooks is prepared once (as the store's other
 * hot statements are); it runs on the store's one connection, inside the caller's transaction.
 */
export function prepareOutbox(db: Db): { enqueue: Enqueue; rendered: (event: OutboundEvent) => { sql: string; params: unknown[] } | undefined } {
  const subscribers = db.select({ id: webhooks.id, events: webhooks.events }).from(webhooks).prepare();
  return {
    enqueue: (tx, event) => {
      const rows = deliveriesFor(event, subscribers.all());
      if (rows.length) tx.insert(webhookDeliveries).values(rows).run();
    },
    /** The same insert as SQL for a write run elsewhere (off-loop-writes.ts); none when no webhook wants the event. */
    rendered: (event) => {
      const rows = deliveriesFor(event, subscribers.all());
      return rows.length ? db.insert(webhookDeliveries).values(rows).toSQL() : undefined;
    },
  };
}
export type Enqueue = (tx: Tx, event: OutboundEvent) => void;

export function insertWebhook(tx: Tx, hook: NewWebhook): void {
  tx.insert(webhooks).values({ ...hook, events: JSON.stringify(hook.events) }).run();
}

export function webhookById(tx: Tx | Db, id: string): WebhookRow | undefined {
  const row = tx.select(hookColumns).from(webhooks).where(eq(webhooks.id, id)).get();
  return row && webhookRow(row);
}

export function removeWebhook(tx: Tx, id: string): void {
  tx.delete(webhooks).where(eq(webhooks.id, id)).run();
}

export function allWebhooks(db: Db): WebhookRow[] {
  return db.select(hookColumns).from(webhooks).orderBy(asc(webhooks.createdAt), asc(webhooks.id)).all().map(webhookRow);
}

export function deliveriesOf(db: Db, webhookId: string, limit: number): DeliveryRow[] {
  return db
    .select(logColumns)
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, webhookId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit)
    .all();
}

export function claim(tx: Tx, now: number, leaseUntil: number, keyId: string, busy: readonly string[]): ClaimedDelivery | undefined {
  const due = tx
    .select(claimColumns(OUTBOX))
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(dueWhere(OUTBOX, now, keyId, busy))
    .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
    .limit(1)
    .get();
  if (due) tx.update(webhookDeliveries).set({ lockedUntil: leaseUntil }).where(eq(webhookDeliveries.id, due.id)).run();
  return due;
}

export function finish(tx: Tx, id: string, o: DeliveryOutcome): void {
  tx.update(webhookDeliveries)
    .set(finishedDelivery(webhookDeliveries.attempts, o))
    .where(eq(webhookDeliveries.id, id))
    .run();
  // The receiver is back: what waits for it goes now, not after its backoff.
  if (o.delivered) {
    tx.update(webhookDeliveries)
      .set({ nextAttemptAt: o.at })
      .where(waitingWhere(webhookDeliveries, o))
      .run();
  }
}

export function prune(tx: Tx, before: number): void {
  tx.delete(webhookDeliveries).where(lt(webhookDeliveries.createdAt, before)).run();
}
