/** The questions asked before starting a rotation (an emergency too) and before deleting a key, in words. Pure. */
import type { KeyJson, UsageJson } from '../../client/client.js';
import { withThousands } from '../../thousands.js';
import { ago } from '../format.js';

/** The window `D` looks back over for a key still being presented. */
export const RECENT_USE_MINUTES = 60;

export function rotateQuestion(key: KeyJson): string {
  return (
    `Start rotating "${key.name}"? A new key is created now and its secret shown once; the old key keeps working until you deactivate it in a later step. ` +
    'After the cut-over, how long must traffic be watched (with the old key refused 0 times) before the old key may be deleted?'
  );
}

export function emergencyQuestion(key: KeyJson): string {
  return (
    `"${key.name}" is compromised? A new key is created now and its secret shown once, and "${key.name}" is deactivated at once: ` +
    'every client still using it fails from now on. Replace it now?'
  );
}

/**
 * Deleting a key something presented within the last hour is likely a mistake: say how often,
 * when, and by whom (an inactive key's presentations are all refusals, so only usage shows them).
 */
export function deleteQuestion(key: KeyJson, recent: UsageJson | undefined, now: number): string {
  const base = `Delete "${key.name}" permanently? It cannot be undone; keyward keeps only its hash, for a year, to notice anyone still sending it.`;
  const presented = recent?.buckets.reduce((n, b) => n + b.ok + b.rejected, 0) ?? 0;
  if (!recent || presented === 0) return base;
  const since = now - RECENT_USE_MINUTES * 60_000;
  const last = recent.callers.filter((c) => Date.parse(c.lastSeenAt) >= since).sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt))[0];
  const who = last ? `, last by ${last.caller} ${ago(last.lastSeenAt, now)}` : '';
  return `It was presented ${withThousands(presented)} time(s) in the last hour${who}: something still uses it. ${base}`;
}
