/** Times and counts as a human reads them in a terminal, and times as a human types them; pure. */
import { formatElapsed } from '../duration.js';
import { parseIsoTime } from '../iso-time.js';
import { usageError } from './exit.js';

/** `2025-03-01 14:05Z`: minute precision, always UTC (the daemon's times are UTC). */
export function shortTime(iso: string | null, none = '—'): string {
  if (iso === null) return none;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/**
 * `just now`, `5m ago`, `3h ago`, `2d ago`; a future time as the time left in its two largest
 * units, `in 1d23h`: one unit rounded down would say `in 1d` of a key with two days left less a
 * minute, and the TUI, which rounds up, `expires 2d`.
 */
export function ago(iso: string | null, now: number, none = 'never'): string {
  if (iso === null) return none;
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  if (ms <= -60_000) return `in ${formatElapsed(-ms)}`;
  if (ms < 60_000) return 'just now';
  const text = ms < 3_600_000 ? `${Math.floor(ms / 60_000)}m` : ms < 86_400_000 ? `${Math.floor(ms / 3_600_000)}h` : `${Math.floor(ms / 86_400_000)}d`;
  return `${text} ago`;
}

/** `1 key`, `3 keys`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** A time option (`--expires`, `--at`): an ISO-8601 date or date-time that exists, in the future, as ISO. */
export function futureTime(flag: string, value: string, now = Date.now()): string {
  const at = parseIsoTime(value);
  if (at === undefined) throw usageError(`${flag} ${JSON.stringify(value)} is not a date (use ISO-8601, e.g. 2030-01-31 or 2030-01-31T12:00:00Z)`);
  if (at <= now) throw usageError(`${flag} ${JSON.stringify(value)} is in the past`);
  return new Date(at).toISOString();
}
