/**
 * What both stores share for tombstones and alerts (docs/alerts.md): the columns they select,
 * rows mapped to and from them, and the conditions and updates they run, over drizzle's
 * dialect-neutral operators (CASE, not SQLite's max nor PostgreSQL's greatest).
 */
import { and, desc, eq, isNull, lt, ne, or, sql, type Column, type SQL } from 'drizzle-orm';
import { NO_CALLER } from '../alerts/dedup.js';
import type { AlertKind } from '../alerts/kinds.js';
import type { AlertListQuery, AlertRow, AlertSighting, KeyRow, TombstoneRow } from '../store.js';

type TombstoneTable = {
  keyId: Column;
  hash: Column;
  name: Column;
  hint: Column;
  deletedAt: Column;
  deletedBy: Column;
  rotationId: Column;
  presentations: Column;
  lastPresentedAt: Column;
  lastCaller: Column;
  lastIp: Column;
};

type AlertTable = {
  id: Column;
  kind: Column;
  keyId: Column;
  keyName: Column;
  caller: Column;
  ip: Column;
  count: Column;
  firstSeenAt: Column;
  lastSeenAt: Column;
  detail: Column;
  ackedAt: Column;
  ackedBy: Column;
};

// tombstones

/** What a tombstone list selects (not the hash), in either dialect. */
export function tombstoneColumns<T extends TombstoneTable>(t: T): Pick<T, Exclude<keyof TombstoneTable, 'hash'>> {
  const { keyId, name, hint, deletedAt, deletedBy, rotationId, presentations, lastPresentedAt, lastCaller, lastIp } = t;
  return { keyId, name, hint, deletedAt, deletedBy, rotationId, presentations, lastPresentedAt, lastCaller, lastIp };
}

/** The tombstone row a deleted key leaves, with the hash it is still found by. */
export function tombstoneOf(key: KeyRow, hash: string, at: number, deletedBy: string): TombstoneRow & { hash: string } {
  return {
    keyId: key.id,
    hash,
    name: key.name,
    hint: key.hint,
    deletedAt: at,
    deletedBy,
    rotationId: key.rotatedOutBy,
    presentations: 0,
    lastPresentedAt: null,
    lastCaller: null,
    lastIp: null,
  };
}

/** Tombstones after the cursor, most recently deleted first. */
export function tombstonePageWhere(t: TombstoneTable, after: { deletedAt: number; keyId: string } | undefined): SQL | undefined {
  return after ? or(lt(t.deletedAt, after.deletedAt), and(eq(t.deletedAt, after.deletedAt), lt(t.keyId, after.keyId))) : undefined;
}

export function tombstoneOrder(t: TombstoneTable): SQL[] {
  return [desc(t.deletedAt), desc(t.keyId)];
}

/** A tombstone's presentations to record: values, or placeholders of a prepared statement. */
export type Presentation = { count: unknown; at: unknown; caller: unknown; ip: unknown };

/** The presentations a sighting of a tombstone records. */
export function presentationOf(s: AlertSighting): Presentation {
  return { count: s.count, at: s.lastSeenAt, caller: s.caller, ip: s.ip };
}

/** What presenting a tombstone changes on it: the count, and who presented it last (the last address given stays when none is). */
export function presentedSet(t: TombstoneTable, v: Presentation) {
  const newer = sql`coalesce(${t.lastPresentedAt}, 0) < ${v.at}`;
  return {
    presentations: sql`${t.presentations} + ${v.count}`,
    lastPresentedAt: sql`case when ${newer} then ${v.at} else ${t.lastPresentedAt} end`,
    lastCaller: sql`case when ${newer} then ${v.caller} else ${t.lastCaller} end`,
    lastIp: sql`case when ${newer} then coalesce(${v.ip}, ${t.lastIp}) else ${t.lastIp} end`,
  };
}

// alerts

export function openAlertWhere(a: AlertTable, kind: AlertKind, keyId: string, caller?: string): SQL | undefined {
  return and(eq(a.kind, kind), eq(a.keyId, keyId), caller === undefined ? undefined : eq(a.caller, caller), isNull(a.ackedAt));
}

/** The open alerts of a kind and key that name a caller: what the cap of callers counts (the no-caller alert is where it sends the rest). */
export function namedOpenAlertsWhere(a: AlertTable, kind: AlertKind, keyId: string): SQL | undefined {
  return and(openAlertWhere(a, kind, keyId), ne(a.caller, NO_CALLER));
}

/** An alert's detail as both stores keep it (text), and as `sameDetailWhere` compares it. */
export function storedDetail(detail: AlertRow['detail']): string {
  return JSON.stringify(detail);
}

/** An alert of a kind, key and caller with `s`'s detail (see `oncePerDetail`). */
export function sameDetailWhere(a: AlertTable, s: Pick<AlertSighting, 'kind' | 'keyId' | 'caller' | 'detail'>): SQL | undefined {
  return and(latestAlertWhere(a, s), eq(a.detail, storedDetail(s.detail)));
}

/** The latest alert of a kind, key and caller: the one raised last. */
export function latestAlertWhere(a: AlertTable, s: Pick<AlertSighting, 'kind' | 'keyId' | 'caller'>): SQL | undefined {
  return and(eq(a.kind, s.kind), eq(a.keyId, s.keyId), eq(a.caller, s.caller));
}

export function alertListWhere(a: AlertTable, query: AlertListQuery): SQL | undefined {
  const { after } = query;
  return and(
    query.openOnly ? isNull(a.ackedAt) : undefined,
    query.key === undefined ? undefined : or(eq(a.keyId, query.key), eq(a.keyName, query.key)),
    after ? or(lt(a.lastSeenAt, after.lastSeenAt), and(eq(a.lastSeenAt, after.lastSeenAt), lt(a.id, after.id))) : undefined,
  );
}

/** Open alerts by kind: the rows of `select kind, count(*) … group by kind`, as a record. */
export function openAlertCounts(rows: readonly { kind: string; n: number }[]): Partial<Record<AlertKind, number>> {
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}

export function alertOrder(a: AlertTable): SQL[] {
  return [desc(a.lastSeenAt), desc(a.id)];
}

/** What counting a sighting changes on an alert. */
export function countedSet(alert: AlertRow) {
  return { count: alert.count, firstSeenAt: alert.firstSeenAt, lastSeenAt: alert.lastSeenAt, ip: alert.ip, detail: storedDetail(alert.detail) };
}

/** The columns of an alert row, as the stores insert it. */
export const ALERT_FIELDS = ['id', 'kind', 'keyId', 'keyName', 'caller', 'ip', 'count', 'firstSeenAt', 'lastSeenAt', 'detail', 'ackedAt', 'ackedBy'] as const satisfies readonly (keyof AlertRow)[];

export function alertValues(alert: AlertRow): Omit<AlertRow, 'detail'> & { detail: string } {
  return { ...alert, detail: storedDetail(alert.detail) };
}

export function alertRow(row: Omit<AlertRow, 'detail'> & { detail: string }): AlertRow {
  return { ...row, detail: JSON.parse(row.detail) as Record<string, unknown> };
}

/** Acknowledged alerts last seen before `before`: kept a year, like tombstones. */
export function staleAlertsWhere(a: AlertTable, before: number): SQL | undefined {
  return and(lt(a.lastSeenAt, before), sql`${a.ackedAt} is not null`);
}

