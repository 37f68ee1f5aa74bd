/**
 * The kinds of alert (docs/alerts.md), how each is deduplicated, and how far ahead
 * `key.expiring` looks. Pure: the schemas, the stores, the API and the TUI take them from here.
 */
export const ALERT_KINDS = ['canary.tripped', 'deleted_key.presented', 'old_key.presented_after_cutover', 'key.expiring', 'key.leaked'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** The kinds a verify raises: a key presented that nobody should present any more. */
export const SIGHTING_KINDS = ['canary.tripped', 'deleted_key.presented', 'old_key.presented_after_cutover'] as const;
export type PresentedKind = (typeof SIGHTING_KINDS)[number];

/** A key is reported `key.expiring` this long before it expires; the TUI flags it as expiring as long. */
export const EXPIRING_WITHIN_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * What a sighting of a kind does when no alert of its kind, key and caller is open:
 * - `hourly`: raises a new alert, unless the last one was raised less than an hour before
 *   (then it counts on that acknowledged one): acknowledging a flood quiets it for an hour.
 *   `key.leaked` too, per key and location (its caller): a key still live and still in the
 *   files is raised again once acknowledged, at most hourly however often a CI job scans it.
 * - `once`: raises one alert per key and detail (`key.expiring`: per expiry date), never again.
 */
export const REPEAT: Record<AlertKind, 'hourly' | 'once'> = {
  'canary.tripped': 'hourly',
  'deleted_key.presented': 'hourly',
  'old_key.presented_after_cutover': 'hourly',
  'key.expiring': 'once',
  'key.leaked': 'hourly',
};

/**
 * Where a leak report says the key was found: what follows `leaked` in its reason (`leaked:
 * deploy/.env:3`). A `key.leaked` alert's caller; its reason says nothing more (alert-text.ts).
 */
export function leakLocation(reason: string): string {
  return reason.replace(/^leaked\b:?\s*/i, '');
}
