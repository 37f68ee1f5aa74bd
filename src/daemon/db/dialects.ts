/**
 * What the SQLite and PostgreSQL stores share: their refusals, the audit entries their writes
 * append, and the filters they build over drizzle's dialect-neutral operators. drizzle ties a
 * table to one dialect and better-sqlite3 transactions are synchronous, so each dialect keeps
 * its own store file; everything that must read the same in both lives here.
 */
import { and, eq, gt, isNull, lt, lte, notInArray, or, sql, type Column, type SQL, type Table } from 'drizzle-orm';
import { KeywardError } from '../errors.js';
import { foldName, nameColumns } from '../names.js';
import type { AlertRow, AuditInput, AuditQuery, DeliveryOutcome, EmergencyCut, HashMatch, KeyRow, OperatorRow, RotationRow, WebhookRow } from '../store.js';

// refusals

/**
 * The refusal of a name: `existing` holds it, the same name, the same but for case, or one that
 * looks like it. The message names `existing` as it is spelt, so whoever reads it can find that key.
 */
export function nameTaken(kind: 'key' | 'operator', name: string, existing = name): KeywardError {
  const article = kind === 'key' ? 'A key' : 'An operator';
  const taken = `${article} named "${existing}" already exists`;
  const message = existing === name ? taken : foldName(existing) === foldName(name) ? `${taken} ("${name}" differs only in case)` : `${taken}, and "${name}" looks like it`;
  return new KeywardError('name_taken', message, [{ path: 'name', message: 'is already taken' }]);
}

export function notFound(kind: 'key' | 'operator' | 'rotation' | 'webhook' | 'alert', id: string): KeywardError {
  return new KeywardError('not_found', `No ${kind} with id ${id}`);
}

export function keyActive(key: KeyRow): KeywardError {
  return new KeywardError('key_active', `Key "${key.name}" is active; deactivate it before deleting it`);
}

/**
 * `key`, which a rotation's last step deletes: refused when it is active (activated by hand
 * after the cut-over, between the service's check and this write), as every delete is.
 */
export function keyToDelete(key: KeyRow): KeyRow {
  if (key.status === 'active') throw keyActive(key);
  return key;
}

export function rotationOpen(rotationId: string, verb: string): KeywardError {
  return new KeywardError('rotation_open', `The key is part of open rotation ${rotationId}; finish or cancel it before this key can be ${verb}`);
}

export function stepChanged(current: RotationRow['step'], expected: RotationRow['step']): KeywardError {
  return new KeywardError('step_changed', `The rotation is at step ${current}, not ${expected}; someone else moved it. Reload and try again`);
}

export function lastAdmin(op: OperatorRow): KeywardError {
  return new KeywardError('last_admin', `"${op.name}" is the last active admin; create another admin before disabling it`);
}

// audit entries

type Detail = Record<string, unknown> | undefined;

export function keyAudit(action: 'key.create' | 'key.import' | 'key.update' | 'key.deactivate' | 'key.activate' | 'key.delete', key: Pick<KeyRow, 'id' | 'name'>, detail?: Detail): AuditInput {
  return { action, targetType: 'key', targetId: key.id, targetName: key.name, detail };
}

/**
 * The one audit event of an imported batch: it names the first key (so filtering the log by
 * that key finds it), and how many came with it up to which.
 */
export function importAudit(rows: readonly Pick<KeyRow, 'id' | 'name'>[]): AuditInput {
  const [first, last] = [rows[0]!, rows[rows.length - 1]!];
  return keyAudit('key.import', first, { count: rows.length, first: { id: first.id, name: first.name }, last: { id: last.id, name: last.name } });
}

/** What a status change records in its audit event: the rotation that made it, or the reason an operator gave. */
export type StatusDetail = { rotation?: string; reason?: string };

export function reasonDetail(reason: string | undefined): StatusDetail | undefined {
  return reason === undefined ? undefined : { reason };
}

export function statusAudit(status: KeyRow['status'], key: Pick<KeyRow, 'id' | 'name'>, detail?: Detail): AuditInput {
  return keyAudit(status === 'inactive' ? 'key.deactivate' : 'key.activate', key, detail);
}

export function operatorAudit(action: 'operator.create' | 'operator.disable', op: Pick<OperatorRow, 'id' | 'name'>, detail?: Detail): AuditInput {
  return { action, targetType: 'operator', targetId: op.id, targetName: op.name, detail };
}

export function webhookAudit(action: 'webhook.create' | 'webhook.delete', hook: Pick<WebhookRow, 'id' | 'url' | 'events'>): AuditInput {
  return { action, targetType: 'webhook', targetId: hook.id, targetName: hook.url, detail: { events: hook.events } };
}

export function rotationStartAudit(rotation: RotationRow, oldKey: Pick<KeyRow, 'id' | 'name'>, emergency?: EmergencyCut): AuditInput {
  return {
    action: 'rotation.start',
    targetType: 'rotation',
    targetId: rotation.id,
    targetName: oldKey.name,
    detail: { oldKeyId: oldKey.id, newKeyId: rotation.newKeyId, watchSeconds: rotation.watchMs / 1000, ...(emergency && { emergency: true, reason: emergency.reason }) },
  };
}

export function alertAudit(alert: Pick<AlertRow, 'id' | 'kind' | 'keyId' | 'keyName' | 'caller'>): AuditInput {
  return { action: 'alert.ack', targetType: 'alert', targetId: alert.id, targetName: alert.kind, detail: { keyId: alert.keyId, keyName: alert.keyName, caller: alert.caller || null } };
}

// lookups

/** An operator whose token hash was looked up: disabled reads as `inactive`, like a key. */
export function operatorMatch(op: Pick<OperatorRow, 'id' | 'name' | 'disabledAt'> & { hash: string }): HashMatch {
  return { hash: op.hash, kind: 'operator', id: op.id, name: op.name, state: op.disabledAt === null ? 'active' : 'inactive' };
}

// webhooks

type WebhookTable = { id: Column; url: Column; events: Column; keyId: Column; createdAt: Column; createdBy: Column };
type DeliveryTable = {
  id: Column;
  webhookId: Column;
  eventId: Column;
  type: Column;
  status: Column;
  attempts: Column;
  createdAt: Column;
  nextAttemptAt: Column;
  lastAttemptAt: Column;
  lastStatus: Column;
  lastError: Column;
  deliveredAt: Column;
};

/** What a webhook list selects (never the sealed secret), in either dialect. */
export function webhookColumns<T extends WebhookTable>(t: T): Pick<T, keyof WebhookTable> {
  return { id: t.id, url: t.url, events: t.events, keyId: t.keyId, createdAt: t.createdAt, createdBy: t.createdBy };
}

/** What the delivery log selects (not the body), in either dialect. */
export function deliveryColumns<T extends DeliveryTable>(t: T): Pick<T, keyof DeliveryTable> {
  return {
    id: t.id,
    webhookId: t.webhookId,
    eventId: t.eventId,
    type: t.type,
    status: t.status,
    attempts: t.attempts,
    createdAt: t.createdAt,
    nextAttemptAt: t.nextAttemptAt,
    lastAttemptAt: t.lastAttemptAt,
    lastStatus: t.lastStatus,
    lastError: t.lastError,
    deliveredAt: t.deliveredAt,
  };
}

type OutboxTables = {
  deliveries: DeliveryTable & { body: Column; lockedUntil: Column };
  webhooks: WebhookTable & { sealedSecret: Column };
};

/** What a claim reads of a due delivery: the row, and the URL and sealed secret of its webhook. */
export function claimColumns<T extends OutboxTables>({
  deliveries: d,
  webhooks: w,
}: T): Pick<T['deliveries'], 'id' | 'webhookId' | 'eventId' | 'type' | 'attempts' | 'createdAt' | 'body'> & Pick<T['webhooks'], 'url' | 'sealedSecret'> {
  return { id: d.id, webhookId: d.webhookId, eventId: d.eventId, type: d.type, attempts: d.attempts, createdAt: d.createdAt, body: d.body, url: w.url, sealedSecret: w.sealedSecret };
}

/** Deliveries due at `now`, not leased, of webhooks sealed under `keyId` and not in `busy`. */
export function dueWhere({ deliveries: d, webhooks: w }: OutboxTables, now: number, keyId: string, busy: readonly string[]): SQL | undefined {
  const idle = busy.length ? notInArray(d.webhookId, [...busy]) : undefined;
  return and(eq(d.status, 'pending'), lte(d.nextAttemptAt, now), or(isNull(d.lockedUntil), lte(d.lockedUntil, now)), eq(w.keyId, keyId), idle);
}

/** What an attempt changes on its delivery row; the lease ends with it. */
export function finishedDelivery(attempts: Column, o: DeliveryOutcome) {
  return {
    status: o.delivered ? ('delivered' as const) : o.nextAttemptAt === null ? ('failed' as const) : ('pending' as const),
    attempts: sql`${attempts} + 1`,
    lastAttemptAt: o.at,
    lastStatus: o.status,
    lastError: o.error,
    deliveredAt: o.delivered ? o.at : null,
    nextAttemptAt: o.nextAttemptAt ?? o.at,
    lockedUntil: null,
  };
}

/** The webhook's deliveries still waiting after `o`'s success: they are due at once. */
export function waitingWhere(d: DeliveryTable, o: DeliveryOutcome): SQL | undefined {
  return and(eq(d.webhookId, o.webhookId), eq(d.status, 'pending'), gt(d.nextAttemptAt, o.at));
}

/** A webhook row with its event patterns parsed. */
export function webhookRow(row: Omit<WebhookRow, 'events'> & { events: string }): WebhookRow {
  return { ...row, events: JSON.parse(row.events) as string[] };
}

// filters

/** Rows (keys or operators) whose name is `name` ignoring case, or looks like it. */
export function sameOrLookAlike(table: { nameFolded: Column; nameSkeleton: Column }, name: string): SQL | undefined {
  return sameNameColumns(table, nameColumns(name));
}

/** `sameOrLookAlike` from a name's uniqueness columns, given or as placeholders of a prepared statement. */
export function sameNameColumns(table: { nameFolded: Column; nameSkeleton: Column }, name: { nameFolded: unknown; nameSkeleton: unknown }): SQL | undefined {
  return or(eq(table.nameFolded, name.nameFolded), eq(table.nameSkeleton, name.nameSkeleton));
}

/** `text` for a LIKE pattern that matches it literally, with `\` as the escape character. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/**
 * `column` contains `text`, literally. The ESCAPE clause is spelled out: PostgreSQL escapes
 * with a backslash by default, SQLite has no escape character unless told.
 */
export function containsText(column: Column | SQL, text: string): SQL {
  return sql`${column} like ${`%${escapeLike(text)}%`} escape '\\'`;
}

type AuditColumns = {
  seq: Column;
  action: Column;
  targetType: Column;
  targetId: Column;
  targetName: Column;
  operatorId: Column;
  operatorName: Column;
};

/** The rotations table, to find the rotations of a key. */
type RotationColumns = Table & { id: Column; oldKeyId: Column; newKeyId: Column; oldKeyName: Column; newKeyName: Column };

/** A key's own events, and those of every rotation it was the old or the new key of. */
function aboutKey(t: AuditColumns, r: RotationColumns, key: string): SQL | undefined {
  const ownEvents = and(eq(t.targetType, 'key'), or(eq(t.targetId, key), eq(t.targetName, key)));
  const itsRotations = sql`${r.id} from ${r} where ${or(eq(r.oldKeyId, key), eq(r.newKeyId, key), eq(r.oldKeyName, key), eq(r.newKeyName, key))}`;
  return or(ownEvents, and(eq(t.targetType, 'rotation'), sql`${t.targetId} in (select ${itsRotations})`));
}

/**
 * The WHERE of an audit listing. Filters run in the store, never on a page afterwards: a
 * filtered page is still `limit` events long, and `before` continues exactly where it stopped.
 */
export function auditWhere(t: AuditColumns, rotations: RotationColumns, q: AuditQuery): SQL | undefined {
  const family = (action: string) => sql`substr(${t.action}, 1, ${sql.raw(String(action.length + 1))}) = ${`${action}.`}`;
  return and(
    q.before === undefined ? undefined : lt(t.seq, q.before),
    q.action === undefined ? undefined : or(eq(t.action, q.action), family(q.action)),
    q.key === undefined ? undefined : aboutKey(t, rotations, q.key),
    q.operator === undefined ? undefined : or(eq(t.operatorId, q.operator), eq(t.operatorName, q.operator)),
  );
}
