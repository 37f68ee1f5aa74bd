/**
 * A key's policy as people type and read it, shared by the CLI's flags and `keys show` and the
 * TUI's details and forms: `N/DURATION` rates and refills (durations as `duration.ts` reads
 * them), and each policy field as one readable phrase. Pure.
 */
import type { KeyJson } from './client/client.js';
import { formatDuration, parseDuration } from './duration.js';
import { withThousands } from './thousands.js';

/** A whole number as typed, or undefined. */
export function parseCount(text: string): number | undefined {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

export type PerInterval = { readonly count: number; readonly seconds: number };

/**
 * `N/DURATION` (`100/1m`) as a count per seconds, or what is wrong with the text as a whole.
 * Ranges are the daemon's to check (it says which limit a number breaks).
 */
export function parsePerInterval(text: string): PerInterval | { readonly problem: string } {
  const slash = text.indexOf('/');
  const seconds = slash === -1 ? undefined : parseDuration(text.slice(slash + 1));
  if (slash === -1 || seconds === undefined) return { problem: 'is not N/DURATION: a whole number, a slash and a duration in s, m, h or d' };
  const count = parseCount(text.slice(0, slash));
  if (count === undefined) return { problem: 'needs a whole number before the slash' };
  return { count, seconds };
}

/** `100/1m`: what `parsePerInterval` reads back. */
export function perIntervalText(count: number, seconds: number): string {
  return `${count}/${formatDuration(seconds)}`;
}

export function scopesPhrase(scopes: KeyJson['scopes']): string {
  if (scopes === null) return 'any (no restriction)';
  return scopes.length ? scopes.join(', ') : 'none';
}

export function allowedIpsPhrase(allowedIps: KeyJson['allowedIps']): string {
  return allowedIps === null ? 'any address' : allowedIps.join(', ');
}

/** `100 per 1m` (`10,000 per 1h`), or `none`. */
export function ratePhrase(rateLimit: KeyJson['rateLimit']): string {
  return rateLimit ? `${withThousands(rateLimit.limit)} per ${formatDuration(rateLimit.windowSeconds)}` : 'none';
}

/** `10,000 every 1d`: a quota's refill. */
export function refillPhrase(refill: { readonly amount: number; readonly intervalSeconds: number }): string {
  return `${withThousands(refill.amount)} every ${formatDuration(refill.intervalSeconds)}`;
}

/** `9,940 left; back to 10,000 every 1d (next …)`, with the next refill written by `when`; or `unlimited`. */
export function quotaPhrase(quota: KeyJson['quota'], when: (iso: string | null) => string): string {
  if (!quota) return 'unlimited';
  const refill = quota.refill ? `; back to ${refillPhrase(quota.refill)} (next ${when(quota.nextRefillAt)})` : '';
  return `${withThousands(quota.remaining)} left${refill}`;
}

/**
 * Said before a rotation of a key that expires: the new key keeps the expiry with the rest of
 * the policy, since a rotation must not widen what a key may do. A key rotated because it
 * expires soon would otherwise get a new key expiring with it, unannounced. `when` writes the time.
 */
export function inheritedExpiryNote(expiresAt: string | null, when: (iso: string) => string): string | undefined {
  if (expiresAt === null) return undefined;
  return `The new key expires when this one does (${when(expiresAt)}): a rotation copies the expiry with the policy and never extends it; edit the new key to change it.`;
}
