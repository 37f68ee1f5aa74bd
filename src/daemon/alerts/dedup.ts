/**
 * Where a sighting goes, without I/O: counted on the open alert of its kind, key and caller,
 * counted on the last one (acknowledged within the hour, for the kinds that repeat hourly),
 * raised as a new alert, or dropped (a `key.expiring` already raised for that expiry). Both
 * stores read the candidates and apply the answer in one transaction.
 */
import { isDeepStrictEqual } from 'node:util';
import { newId } from '../secrets/format.js';
import type { AlertRow, AlertSighting } from '../store.js';
import { leakLocation, REPEAT } from './kinds.js';

export const HOUR_MS = 60 * 60_000;

/**
 * Callers a key has open alerts for, per kind; sightings from further callers are counted on
 * the alert without a caller. Callers are named by whoever presents the key, so their number
 * is not ours to decide: a flood of fresh names stays ~100 alerts, not a million.
 */
export const OPEN_ALERTS_PER_KEY = 100;

/** The caller of sightings without one, and of those beyond `OPEN_ALERTS_PER_KEY`. */
export const NO_CALLER = '';

export type Placement = { into: AlertRow } | 'raise' | 'skip';

/**
 * Whether `s` is of a kind raised once per detail (`key.expiring`, once per expiry): then the
 * store hands `placeSighting` an earlier alert with the same detail, if any, rather than the
 * latest (an expiry moved away and back is the same expiry).
 */
export function oncePerDetail(s: Pick<AlertSighting, 'kind'>): boolean {
  return REPEAT[s.kind] === 'once';
}

/** Where `s` goes, given the open alert of its kind, key and caller, or else the latest one (see `oncePerDetail`). */
export function placeSighting(s: AlertSighting, open: AlertRow | undefined, latest: AlertRow | undefined): Placement {
  const rule = REPEAT[s.kind];
  const last = open ?? latest;
  if (rule === 'once' && last && isDeepStrictEqual(last.detail, s.detail)) return 'skip';
  if (open) return { into: open };
  if (rule === 'hourly' && latest && s.firstSeenAt - latest.firstSeenAt < HOUR_MS) return { into: latest };
  return 'raise';
}

/** `s` under the caller it is counted for: its own, unless the key has too many callers open already. */
export function callerFor(s: AlertSighting, hasOpen: boolean, openForKey: number): AlertSighting {
  return hasOpen || s.caller === NO_CALLER || openForKey < OPEN_ALERTS_PER_KEY ? s : { ...s, caller: NO_CALLER };
}

/** `alert` with `s` counted on it; an acknowledged alert stays acknowledged. */
export function counted(alert: AlertRow, s: AlertSighting): AlertRow {
  return {
    ...alert,
    count: alert.count + s.count,
    firstSeenAt: Math.min(alert.firstSeenAt, s.firstSeenAt),
    lastSeenAt: Math.max(alert.lastSeenAt, s.lastSeenAt),
    ip: s.ip ?? alert.ip,
    detail: s.detail,
  };
}

export function raised(s: AlertSighting): AlertRow {
  const { tombstone: _tombstone, ...fields } = s;
  return { ...fields, id: newId('alr_'), ackedAt: null, ackedBy: null };
}

/**
 * The sighting a leak report makes (a deactivation whose reason starts with `leaked`, or
 * `POST /v1/keys/leaks`): one, now. Its location stands as its caller, so a key has one open
 * `key.leaked` alert per place it was found, and the cap on callers bounds how many places a
 * reporter can name. `reportedBy`: the operator of a report that changed nothing on the key
 * (a deactivation is audited instead).
 */
export function leakReported(key: { id: string; name: string }, reason: string, at: number, reportedBy?: string): AlertSighting {
  const detail = reportedBy === undefined ? { reason } : { reason, reportedBy };
  return { kind: 'key.leaked', keyId: key.id, keyName: key.name, caller: leakLocation(reason), ip: null, count: 1, firstSeenAt: at, lastSeenAt: at, detail };
}
