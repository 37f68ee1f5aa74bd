/**
 * Which audit events a query asks for, as one WHERE clause both stores build from their own
 * tables with drizzle's common operators, so the SQLite and PostgreSQL answers (and their
 * paging) agree. Filters run in the store, never on a page afterwards: a filtered page is
 * still `limit` events long, and `before` still continues exactly where it stopped.
 */
import { and, eq, lt, or, sql, type Column, type SQL, type Table } from 'drizzle-orm';

export type AuditQuery = {
  limit: number;
  /** Only events with a smaller seq (the last seq of the previous page). */
  before?: number;
  /** An action (`rotation.advance`) or a family of them (`rotation`). */
  action?: string;
  /** A key's id or name: its own events and those of the rotations it was part of. */
  key?: string;
  /** An operator's id or name: what it did. */
  operator?: string;
};

export type AuditColumns = {
  seq: Column;
  action: Column;
  targetType: Column;
  targetId: Column;
  targetName: Column;
  operatorId: Column;
  operatorName: Column;
};

/** The rotations table, to find the rotations of a key. */
export type RotationColumns = Table & { id: Column; oldKeyId: Column; newKeyId: Column; oldKeyName: Column; newKeyName: Column };

/** A key's own events, and those of every rotation it was the old or the new key of. */
function aboutKey(t: AuditColumns, r: RotationColumns, key: string): SQL | undefined {
  const ownEvents = and(eq(t.targetType, 'key'), or(eq(t.targetId, key), eq(t.targetName, key)));
  const itsRotations = sql`${r.id} from ${r} where ${or(eq(r.oldKeyId, key), eq(r.newKeyId, key), eq(r.oldKeyName, key), eq(r.newKeyName, key))}`;
  return or(ownEvents, and(eq(t.targetType, 'rotation'), sql`${t.targetId} in (select ${itsRotations})`));
}

export function auditWhere(t: AuditColumns, rotations: RotationColumns, q: AuditQuery): SQL | undefined {
  const family = (action: string) => sql`substr(${t.action}, 1, ${sql.raw(String(action.length + 1))}) = ${`${action}.`}`;
  return and(
    q.before === undefined ? undefined : lt(t.seq, q.before),
    q.action === undefined ? undefined : or(eq(t.action, q.action), family(q.action)),
    q.key === undefined ? undefined : aboutKey(t, rotations, q.key),
    q.operator === undefined ? undefined : or(eq(t.operatorId, q.operator), eq(t.operatorName, q.operator)),
  );
}
