/**
 * The audit view's filter as typed after `/`: `action:rotation key:billing operator:alice`
 * (also `a:`, `k:`, `op:`), words without a prefix naming a key. Pure; the daemon does the
 * filtering, so paging through a filtered log stays exact.
 */
import type { AuditParams } from '../../client/client.js';

export type AuditFilter = Pick<AuditParams, 'action' | 'key' | 'operator'>;

const PREFIXES: Record<string, keyof AuditFilter> = { action: 'action', a: 'action', key: 'key', k: 'key', operator: 'operator', op: 'operator', o: 'operator' };

/** A word with a prefix (`key:billing`): the prefix and the rest. */
const PREFIXED = /^([a-z]+):(.+)$/i;

export function parseAuditFilter(text: string): AuditFilter {
  const filter: { -readonly [K in keyof AuditFilter]: string } = {};
  const bare: string[] = [];
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const match = PREFIXED.exec(word);
    const field = match && PREFIXES[match[1]!.toLowerCase()];
    if (field) filter[field] = field === 'action' ? match[2]!.toLowerCase() : match[2]!;
    else bare.push(word);
  }
  if (bare.length && filter.key === undefined) filter.key = bare.join(' ');
  return filter;
}

/**
 * What the filter took for something else, for the title: a word with a prefix that is none
 * of the filters' (`usr:bob`) is read as a key name, since a name may hold a colon, and without
 * a word it looked as if the filter had been understood.
 */
export function filterNote(text: string): string {
  const unknown = new Set<string>();
  for (const word of text.trim().split(/\s+/)) {
    const prefix = PREFIXED.exec(word)?.[1]?.toLowerCase();
    if (prefix && !(prefix in PREFIXES)) unknown.add(`${prefix}:`);
  }
  if (unknown.size === 0) return '';
  return `${[...unknown].join(', ')} ${unknown.size === 1 ? 'is no filter' : 'are no filters'} (action:, key:, operator:); read as a key name`;
}

/** `action rotation · key billing`, for the view's title; empty without a filter. */
export function filterLabel(filter: AuditFilter): string {
  return (['action', 'key', 'operator'] as const)
    .filter((f) => filter[f] !== undefined)
    .map((f) => `${f} ${filter[f]}`)
    .join(' · ');
}
