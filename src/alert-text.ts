/**
 * How an alert reads, in words, wherever it is shown (the TUI's alert view and key details, the
 * CLI's `alerts` and `keys show`): its kind, who presented the key or where it was found, and
 * what the kind adds. Pure; the text comes from the daemon, so callers draw it through the
 * sanitizer as they draw any other daemon text.
 */
import { leakLocation } from './daemon/alerts/kinds.js';
import type { AlertJson } from './daemon/alerts/schemas.js';

const KIND_TEXT: Record<AlertJson['kind'], string> = {
  'canary.tripped': 'canary tripped',
  'deleted_key.presented': 'deleted key used',
  'old_key.presented_after_cutover': 'old key used',
  'key.expiring': 'expiring',
  'key.leaked': 'leaked',
};

export function kindText(alert: Pick<AlertJson, 'kind'>): string {
  return KIND_TEXT[alert.kind];
}

/**
 * The address a key was presented from, when it says more than the caller: a middleware labels
 * a request without a caller of its own by its address, and `by 10.0.0.7 from 10.0.0.7` would
 * say it twice.
 */
export function addressText(alert: Pick<AlertJson, 'caller' | 'ip'>): string {
  return alert.ip && alert.ip !== alert.caller ? alert.ip : '';
}

/** Who presented the key, or where it was found: `by CALLER from IP`. */
export function whoText(alert: AlertJson): string {
  const address = addressText(alert);
  return [alert.caller && `by ${alert.caller}`, address && `from ${address}`].filter(Boolean).join(' ');
}

/**
 * What the kind adds: a leak's reason when it says more than where (its caller), the date of
 * an expiry (as `time` writes it), the rotation that replaced a key.
 */
export function detailText(alert: AlertJson, time: (iso: string) => string): string {
  const { reason, expiresAt, rotationId } = alert.detail;
  // A leak's place is its caller already: `leaked: deploy/.env:3` would say it a second time.
  if (typeof reason === 'string') return alert.kind === 'key.leaked' && alert.caller === leakLocation(reason) ? '' : reason;
  if (typeof expiresAt === 'string') return `expires ${time(expiresAt)}`;
  if (typeof rotationId === 'string') return `replaced in ${rotationId}`;
  return '';
}

/**
 * An open alert as a key's details list it: `leaked by deploy/.env:3 · 2 times, last 5m ago`;
 * `lastSeen` is when it was last seen, as the screen writes times (`5m ago`).
 */
export function keyAlertLine(alert: AlertJson, lastSeen: string): string {
  const who = whoText(alert);
  return `${kindText(alert)}${who ? ` ${who}` : ''} · ${alert.count === 1 ? 'once' : `${alert.count} times`}, last ${lastSeen}`;
}
