/** How alerts read on screen: a kind in words and what it adds. Pure. */
import type { AlertJson } from '../../client/client.js';
import { ago, stamp } from '../format.js';

const KIND_TEXT: Record<AlertJson['kind'], string> = {
  'canary.tripped': 'canary tripped',
  'deleted_key.presented': 'deleted key used',
  'old_key.presented_after_cutover': 'old key used',
  'key.expiring': 'expiring',
  'key.leaked': 'leaked',
};

export function kindText(alert: AlertJson): string {
  return KIND_TEXT[alert.kind];
}

/** What the kind adds: the reason of a leak, the date of an expiry, the rotation that replaced a key. */
export function detailText(alert: AlertJson): string {
  const { reason, expiresAt, rotationId } = alert.detail;
  if (typeof reason === 'string') return reason;
  if (typeof expiresAt === 'string') return `expires ${stamp(expiresAt)}`;
  if (typeof rotationId === 'string') return `replaced in ${rotationId}`;
  return '';
}

/** Who presented the key, or where it was found: `by CALLER from IP`. */
function whoText(alert: AlertJson): string {
  return [alert.caller && `by ${alert.caller}`, alert.ip && `from ${alert.ip}`].filter(Boolean).join(' ');
}

/**
 * The alert under the cursor in full, below the list: at 80 columns the table cuts the caller,
 * the address and the detail, which are what an admin acts on.
 */
export function alertSummary(alert: AlertJson): string {
  const who = whoText(alert);
  const seen = alert.count === 1 ? `once, ${stamp(alert.lastSeenAt)}` : `${alert.count} times, first ${stamp(alert.firstSeenAt)}, last ${stamp(alert.lastSeenAt)}`;
  const acked = alert.state === 'acknowledged' ? `acknowledged${alert.acknowledgedBy ? ` by ${alert.acknowledgedBy}` : ''}${alert.acknowledgedAt ? ` ${stamp(alert.acknowledgedAt)}` : ''}` : '';
  return [`${kindText(alert)}: "${alert.keyName}"${who ? ` ${who}` : ''}`, seen, detailText(alert), acked].filter(Boolean).join(' · ');
}

/** An open alert as a key's details list it: `leaked by deploy/.env:3 · 2 times, last 5m ago`. */
export function keyAlertLine(alert: AlertJson, now: number): string {
  const who = whoText(alert);
  return `${kindText(alert)}${who ? ` ${who}` : ''} · ${alert.count === 1 ? 'once' : `${alert.count} times`}, last ${ago(alert.lastSeenAt, now)}`;
}
