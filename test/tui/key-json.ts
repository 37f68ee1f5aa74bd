/** A `Key` as the daemon sends it, for tests of the TUI's pure state: no restriction, unused. */
import type { KeyJson } from '../../src/client/client.js';

export const NOW = Date.parse('2025-06-01T12:00:00Z');
export const DAY = 86_400_000;

export function keyJson(over: Partial<KeyJson> & { id: string }): KeyJson {
  return {
    name: over.id,
    hint: 'kw_AbCd…wXyZ',
    status: 'active',
    createdAt: new Date(NOW - DAY).toISOString(),
    createdBy: 'admin',
    deactivatedAt: null,
    deactivationReason: null,
    expiresAt: null,
    lastUsedAt: null,
    uses24h: 0,
    description: null,
    owner: null,
    meta: null,
    scopes: null,
    allowedIps: null,
    rateLimit: null,
    quota: null,
    canary: false,
    ...over,
  };
}
