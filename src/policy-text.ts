/**
 * A key's policy as people type and read it, shared by the CLI's flags and `keys show` and the
 * TUI's details and forms: durations (`30s`, `1m`), `N/DURATION` rates and refills, and each
 * policy field as one readable phrase. Pure.
 */
import type { KeyJson } from './client/client.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION = /^(\d*)([smhd]?)$/;

/** `30s`, `1m`, `m` (one minute), `90` (seconds) → seconds; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  return Number(match[1] === '' ? 1 : match[1]) * UNITS[match[2] || 's']!;
}

/** `3600` → `1h`, `90` → `90s`: the largest unit that divides it. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/** A whole number as typed, or undefined. */
export function parseCount(text: string): number | undefined {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

export type PerInterval = { readonly count: number; readonly seconds: number };

/**
 * `N/DURATION` (`100/1m`) as a count per seconds, or why it is not one. Ranges are the
 * daemon's to check (it says which limit a number breaks).
 */
export function parsePerInterval(text: string): PerInterval | { readonly problem: string } {
  const slash = text.indexOf('/');
  const seconds = slash === -1 ? undefined : parseDuration(text.slice(slash + 1));
  if (slash === -1 || seconds === undefined) return { problem: 'is not N/DURATION (units s, m, h, d)' };
  const count = parseCount(text.slice(0, slash));
  if (count === undefined) return { problem: `${JSON.stringify(text.slice(0, slash).trim())} is not a whole number` };
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

/** `100 per 1m`, or `none`. */
export function ratePhrase(rateLimit: KeyJson['rateLimit']): string {
  return rateLimit ? `${rateLimit.limit} per ${formatDuration(rateLimit.windowSeconds)}` : 'none';
}

/** `9940 left; back to 10000 every 1d (next …)`, with the next refill written by `when`; or `unlimited`. */
export function quotaPhrase(quota: KeyJson['quota'], when: (iso: string | null) => string): string {
  if (!quota) return 'unlimited';
  const refill = quota.refill ? `; back to ${quota.refill.amount} every ${formatDuration(quota.refill.intervalSeconds)} (next ${when(quota.nextRefillAt)})` : '';
  return `${quota.remaining} left${refill}`;
}
