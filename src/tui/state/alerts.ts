/** How alerts read on the TUI's screens: the shared words (alert-text.ts), with its times. Pure. */
import { detailText as detailWords, kindText, whoText } from '../../alert-text.js';
import type { AlertJson } from '../../client/client.js';
import { stamp } from '../format.js';

/** What the kind adds: the reason of a leak, the date of an expiry, the rotation that replaced a key. */
export function detailText(alert: AlertJson): string {
  return detailWords(alert, stamp);
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
