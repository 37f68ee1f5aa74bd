/**
 * Which keys need an admin's attention: active keys that expired or expire within 7 days, and
 * active keys nobody used for 30 days. An inactive key already fails verification, so its
 * expiry changes nothing and it is not flagged.
 */
import type { KeyJson } from '../../client/client.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const EXPIRING_WITHIN_DAYS = 7;
const UNUSED_FOR_DAYS = 30;

export type Attention = { kind: 'expired' } | { kind: 'expiring'; days: number } | { kind: 'unused'; days: number };
export type AttentionCounts = { expired: number; expiring: number; unused: number };

export function attentionOf(key: KeyJson, now: number): Attention | undefined {
  if (key.status !== 'active') return undefined;
  if (key.expiresAt !== null) {
    const left = Date.parse(key.expiresAt) - now;
    if (left <= 0) return { kind: 'expired' };
    if (left <= EXPIRING_WITHIN_DAYS * DAY_MS) return { kind: 'expiring', days: Math.ceil(left / DAY_MS) };
  }
  const idle = now - Date.parse(key.lastUsedAt ?? key.createdAt);
  if (idle >= UNUSED_FOR_DAYS * DAY_MS) return { kind: 'unused', days: Math.floor(idle / DAY_MS) };
  return undefined;
}

export function attentionLabel(attention: Attention): string {
  switch (attention.kind) {
    case 'expired':
      return 'expired';
    case 'expiring':
      return `expires ${attention.days}d`;
    case 'unused':
      return `unused ${attention.days}d`;
  }
}

export function countAttention(keys: Iterable<KeyJson>, now: number): AttentionCounts {
  const counts: AttentionCounts = { expired: 0, expiring: 0, unused: 0 };
  for (const key of keys) {
    const attention = attentionOf(key, now);
    if (attention) counts[attention.kind]++;
  }
  return counts;
}
