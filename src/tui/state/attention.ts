/**
 * Which keys need an admin's attention: active keys found leaked (an open `key.leaked` alert:
 * the key still works, and someone else may hold it), canaries tripped (an open
 * `canary.tripped` alert: someone took the bait), active keys that expired or expire within 7
 * days (as far ahead as the daemon's `key.expiring` alert looks: `EXPIRING_WITHIN_MS`), and
 * active keys nobody used for 30 days. A canary is flagged for nothing else, and an inactive
 * key, which already fails verification, for nothing at all. Everything here but the alerts
 * depends on `now`, so the TUI recomputes it on a timer (`refreshMs` says how soon it matters).
 */
import type { AlertJson, KeyJson } from '../../client/client.js';
import { EXPIRING_WITHIN_MS } from '../../daemon/alerts/kinds.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const UNUSED_FOR_DAYS = 30;
/** Below this, "expires in" counts seconds, so the screen must follow every second. */
const SECONDS_SHOWN_BELOW_MS = 2 * MINUTE_MS;

export type Attention = { kind: 'leaked' } | { kind: 'tripped' } | { kind: 'expired' } | { kind: 'expiring'; inMs: number } | { kind: 'unused'; days: number };
export type AttentionCounts = { leaked: number; tripped: number; expired: number; expiring: number; unused: number };

/** What an open alert says of its key: found leaked, or (a canary) tripped. */
export type AlertFlag = 'leaked' | 'tripped';

const FLAGGING: Partial<Record<AlertJson['kind'], AlertFlag>> = { 'key.leaked': 'leaked', 'canary.tripped': 'tripped' };

/** The keys an open alert flags, from the open alerts the TUI holds. */
export function alertFlags(openAlerts: Iterable<AlertJson>): ReadonlyMap<string, AlertFlag> {
  const flags = new Map<string, AlertFlag>();
  for (const alert of openAlerts) {
    const flag = FLAGGING[alert.kind];
    if (flag && alert.state === 'open' && alert.keyId !== null) flags.set(alert.keyId, flag);
  }
  return flags;
}

function expiresIn(key: KeyJson, now: number): number | undefined {
  return key.status === 'active' && key.expiresAt !== null ? Date.parse(key.expiresAt) - now : undefined;
}

/** `flag`: what an open alert says of the key (`alertFlags`). */
export function attentionOf(key: KeyJson, now: number, flag?: AlertFlag): Attention | undefined {
  // A canary is never used and never verifies: neither its idleness nor its expiry matters.
  // Presenting it trips it whatever its status, so a tripped one is flagged even switched off.
  if (key.canary) return flag === 'tripped' ? { kind: 'tripped' } : undefined;
  if (key.status !== 'active') return undefined;
  const left = expiresIn(key, now);
  // An expired key no longer verifies, leaked or not; a leaked one that does outranks the rest.
  if (left !== undefined && left <= 0) return { kind: 'expired' };
  if (flag === 'leaked') return { kind: 'leaked' };
  if (left !== undefined && left <= EXPIRING_WITHIN_MS) return { kind: 'expiring', inMs: left };
  const idle = now - Date.parse(key.lastUsedAt ?? key.createdAt);
  if (idle >= UNUSED_FOR_DAYS * DAY_MS) return { kind: 'unused', days: Math.floor(idle / DAY_MS) };
  return undefined;
}

/**
 * `5s`, `12m`, `3h`, `2d`: the time left in the largest unit below it. Seconds and minutes
 * round up (a key never shows `0s` while it still verifies); hours and days to the nearest, so
 * 1 day 8 hours reads `1d` as the details' `in 1d8h` does, not `2d`, and a key set to expire in
 * 12 hours reads `12h` however the clock of the table lags.
 */
function timeLeft(ms: number): string {
  if (ms < MINUTE_MS) return `${Math.ceil(ms / SECOND_MS)}s`;
  if (ms < HOUR_MS) return `${Math.ceil(ms / MINUTE_MS)}m`;
  if (ms < DAY_MS) return `${Math.max(1, Math.round(ms / HOUR_MS))}h`;
  return `${Math.round(ms / DAY_MS)}d`;
}

/** The attention column; an expired key says so in its status column instead. */
export function attentionLabel(attention: Attention): string {
  switch (attention.kind) {
    case 'leaked':
      return 'leaked';
    case 'tripped':
      return 'tripped';
    case 'expired':
      return '';
    case 'expiring':
      return `expires ${timeLeft(attention.inMs)}`;
    case 'unused':
      return `unused ${attention.days}d`;
  }
}

/**
 * The status column: an active key past its expiry fails verification, so it reads `expired`;
 * a canary reads `canary` (it never verifies, whatever its status).
 */
export function statusLabel(key: KeyJson, now: number): string {
  if (key.canary) return 'canary';
  const left = expiresIn(key, now);
  return left !== undefined && left <= 0 ? 'expired' : key.status;
}

export type KeyCounts = { readonly active: number; readonly inactive: number; readonly attention: AttentionCounts };

/** The header's counts; `flags` as `alertFlags` gives them. */
export function countKeys(keys: ReadonlyMap<string, KeyJson>, now: number, flags: ReadonlyMap<string, AlertFlag> = new Map()): KeyCounts {
  let active = 0;
  for (const key of keys.values()) if (key.status === 'active') active++;
  return { active, inactive: keys.size - active, attention: countAttention(keys.values(), now, flags) };
}

export function countAttention(keys: Iterable<KeyJson>, now: number, flags: ReadonlyMap<string, AlertFlag> = new Map()): AttentionCounts {
  const counts: AttentionCounts = { leaked: 0, tripped: 0, expired: 0, expiring: 0, unused: 0 };
  for (const key of keys) {
    const attention = attentionOf(key, now, flags.get(key.id));
    if (attention) counts[attention.kind]++;
  }
  return counts;
}

/**
 * How soon the time-based labels of `keys` next need redrawing: every second while a key's
 * expiry is counted in seconds, else every 15 s (ages are shown in minutes at the finest).
 */
export function refreshMs(keys: Iterable<KeyJson>, now: number): number {
  for (const key of keys) {
    const left = expiresIn(key, now);
    if (left !== undefined && left > -SECOND_MS && left < SECONDS_SHOWN_BELOW_MS) return SECOND_MS;
  }
  return 15 * SECOND_MS;
}
