/** Times and counts as a human reads them in a terminal, and times as a human types them; pure. */
import { parseDuration } from '../duration.js';
import { parseIsoTime } from '../iso-time.js';
import { usageError } from './exit.js';

/** `2025-03-01 14:05Z`: minute precision, always UTC (the daemon's times are UTC). */
export function shortTime(iso: string | null, none = '—'): string {
  if (iso === null) return none;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** A time option (`--expires`, `--at`): an ISO-8601 date or date-time that exists, in the future, as ISO. */
export function futureTime(flag: string, value: string, now = Date.now()): string {
  const at = parseIsoTime(value);
  if (at === undefined) throw usageError(`${flag} ${JSON.stringify(value)} is not a date (use ISO-8601, e.g. 2030-01-31 or 2030-01-31T12:00:00Z)`);
  if (at <= now) throw usageError(`${flag} ${JSON.stringify(value)} is in the past`);
  return new Date(at).toISOString();
}

/**
 * A span option (`--watch 10m`, `--last 24h`) in seconds, from `min` to `max` and a whole
 * number of `step` seconds, or a usage error naming the flag and saying what it must be.
 */
export function spanOption(flag: string, value: string, bounds: { min: number; max: number; step?: number; must: string }): number {
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds < bounds.min || seconds > bounds.max || seconds % (bounds.step ?? 1) !== 0) {
    throw usageError(`${flag} ${JSON.stringify(value)} must be ${bounds.must}`);
  }
  return seconds;
}
