/** The questions asked before starting a rotation (an emergency too) and before deactivating or deleting a key, in words. Pure. */
import type { KeyJson, UsageJson } from '../../client/client.js';
import { inheritedExpiryNote } from '../../policy-text.js';
import { recentUse } from '../../recent-use.js';
import { stamp } from '../format.js';

/** The sentence (and its space) a question about replacing `key` says of the expiry its new key inherits; none for a key that never expires. */
function inheritedExpiry(key: KeyJson): string {
  const note = inheritedExpiryNote(key.expiresAt, stamp);
  return note ? `${note} ` : '';
}

export function rotateQuestion(key: KeyJson): string {
  return (
    `Start rotating "${key.name}"? A new key is created now and its secret shown once; the old key keeps working until you deactivate it in a later step. ` +
    inheritedExpiry(key) +
    'After the cut-over, how long must traffic be watched (with the old key refused 0 times) before the old key may be deleted?'
  );
}

export function emergencyQuestion(key: KeyJson): string {
  return (
    `"${key.name}" is compromised? A new key is created now and its secret shown once, and "${key.name}" is deactivated at once: ` +
    `every client still using it fails from now on. ${inheritedExpiry(key)}Replace it now?`
  );
}

/**
 * Deactivating a key that verified within the last hour breaks whoever sent it: say how often
 * and who, and that a rotation replaces a key without that outage. A key under attack is still
 * deactivated at once (the question is the same y/n); this only keeps a routine clean-up from
 * taking down a live client by surprise.
 */
export function deactivateQuestion(key: KeyJson, recent: UsageJson | undefined, now: number): string {
  const base = `Deactivate "${key.name}"? Every verification of it fails from now on, until you activate it again.`;
  const used = recentUse(recent, now, 'accepted');
  return used ? `${used}: those clients fail from now on; to replace it without an outage, answer n and rotate it (r). ${base}` : base;
}

/**
 * Deleting a key something presented within the last hour is likely a mistake: say how often,
 * when, and by whom (an inactive key's presentations are all refusals, so only usage shows them).
 */
export function deleteQuestion(key: KeyJson, recent: UsageJson | undefined, now: number): string {
  const base = `Delete "${key.name}" permanently? It cannot be undone; keyward keeps only its hash, for a year, to notice anyone still sending it.`;
  const presented = recentUse(recent, now, 'presented');
  return presented ? `${presented}: something still uses it. ${base}` : base;
}
