/** The questions asked before starting a rotation (an emergency too) and before deactivating or deleting a key, in words. Pure. */
import type { KeyJson, UsageJson } from '../../client/client.js';
import { withThousands } from '../../thousands.js';
import { ago } from '../../duration.js';

/** The window `x` and `D` look back over for a key still being presented. */
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

/** The caller seen last within the window, with when: `, last by batch 5m ago`; or nothing. */
function lastCaller(callers: UsageJson['callers'], now: number, accepted: boolean): string {
  const since = now - RECENT_USE_MINUTES * 60_000;
  const last = callers.filter((c) => Date.parse(c.lastSeenAt) >= since && (!accepted || c.ok > 0)).sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt))[0];
  return last ? `, last by ${last.caller} ${ago(last.lastSeenAt, now)}` : '';
}

/**
 * Deactivating a key that verified within the last hour breaks whoever sent it: say how often
 * and who, and that a rotation replaces a key without that outage. A key under attack is still
 * deactivated at once (the question is the same y/n); this only keeps a routine clean-up from
 * taking down a live client by surprise.
 */
export function deactivateQuestion(key: KeyJson, recent: UsageJson | undefined, now: number): string {
  const base = `Deactivate "${key.name}"? Every verification of it fails from now on, until you activate it again.`;
  const accepted = recent?.buckets.reduce((n, b) => n + b.ok, 0) ?? 0;
  if (!recent || accepted === 0) return base;
  const who = lastCaller(recent.callers, now, true);
  return `It was accepted ${withThousands(accepted)} time(s) in the last hour${who}: those clients fail from now on (r rotates it without an outage). ${base}`;
}

/**
 * Deleting a key something presented within the last hour is likely a mistake: say how often,
 * when, and by whom (an inactive key's presentations are all refusals, so only usage shows them).
 */
export function deleteQuestion(key: KeyJson, recent: UsageJson | undefined, now: number): string {
  const base = `Delete "${key.name}" permanently? It cannot be undone; keyward keeps only its hash, for a year, to notice anyone still sending it.`;
  const presented = recent?.buckets.reduce((n, b) => n + b.ok + b.rejected, 0) ?? 0;
  if (!recent || presented === 0) return base;
  const who = lastCaller(recent.callers, now, false);
  return `It was presented ${withThousands(presented)} time(s) in the last hour${who}: something still uses it. ${base}`;
}
