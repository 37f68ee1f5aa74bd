/**
 * What an edit takes away from a key: scopes it no longer grants, addresses it no longer
 * accepts, a lower rate or quota, an earlier expiry. Such an edit is in force for every verify
 * the moment it is saved, so the TUI names each of these and asks first, as it does before
 * deactivating. Widening (or only relabelling) asks nothing. Pure.
 */
import type { EditKeyInput, KeyJson } from '../../client/client.js';
import { rangeOf, rangesLost } from '../../decide/ip.js';
import { scopeGrants, scopeProblem } from '../../decide/scopes.js';
import { ratePhrase, refillPhrase } from '../../policy-text.js';
import { withThousands } from '../../thousands.js';
import { stamp } from '../format.js';

/** Entries a question names at most from one list: 64 of them ran it off an 80×24 screen. */
const NAMED = 4;

/** `a, b, c, d and 60 more`. */
function named(items: readonly string[]): string {
  if (items.length <= NAMED) return items.join(', ');
  return `${items.slice(0, NAMED).join(', ')} and ${items.length - NAMED} more`;
}

function scopesNarrower(before: KeyJson['scopes'], after: readonly string[] | null | undefined): string | undefined {
  if (after === undefined || after === null) return undefined;
  const shown = after.length ? named(after) : 'none';
  if (before === null) return `scopes: any → ${shown}`;
  const lost = before.filter((scope) => !after.some((pattern) => scopeGrants(pattern, scope)));
  return lost.length ? `scopes: no longer grants ${named(lost)}` : undefined;
}

/** A range as typed in the form, where spaces around it are the comma list's, not the range's. */
const typedRange = (text: string) => rangeOf(text.trim());

function allowedIpsNarrower(before: KeyJson['allowedIps'], after: readonly string[] | null | undefined): string | undefined {
  if (after === undefined || after === null) return undefined;
  if (before === null) return `allowed IPs: any address → ${named(after)}`;
  // Entries that do not parse are the daemon's to refuse; they allow nothing here.
  const lost = rangesLost(before, after);
  // A lost entry may still be allowed in part (10.0.0.0/8 → 10.0.0.0/16): "not all of" is true of both.
  return lost.length ? `allowed IPs: not all of ${named(lost)} any more (now ${named(after)})` : undefined;
}

function rateNarrower(before: KeyJson['rateLimit'], after: EditKeyInput['rateLimit']): string | undefined {
  if (!after) return undefined;
  if (!before) return `rate limit: none → ${ratePhrase(after)}`;
  const slower = after.limit / after.windowSeconds < before.limit / before.windowSeconds;
  return slower ? `rate limit: ${ratePhrase(before)} → ${ratePhrase(after)}` : undefined;
}

function quotaNarrower(before: KeyJson['quota'], after: EditKeyInput['quota']): string[] {
  if (!after) return [];
  if (!before) return [`quota: unlimited → ${withThousands(after.remaining)} uses`];
  const out: string[] = [];
  if (after.remaining < before.remaining) out.push(`quota: ${withThousands(before.remaining)} left → ${withThousands(after.remaining)}`);
  const was = before.refill;
  const now = after.refill ?? null;
  if (was && !now) out.push(`quota: no longer refills (was ${refillPhrase(was)})`);
  else if (was && now && now.amount / now.intervalSeconds < was.amount / was.intervalSeconds) out.push(`quota refill: ${refillPhrase(was)} → ${refillPhrase(now)}`);
  return out;
}

function expiryNarrower(before: string | null, after: string | null | undefined): string | undefined {
  if (after === undefined || after === null) return undefined;
  if (before === null) return `expiry: never → ${stamp(after)}`;
  return Date.parse(after) < Date.parse(before) ? `expiry: ${stamp(before)} → ${stamp(after)} (earlier)` : undefined;
}

/** What `edit` makes narrower about `key`, one phrase each; empty when nothing. */
export function narrowings(key: KeyJson, edit: EditKeyInput): string[] {
  return [
    scopesNarrower(key.scopes, edit.scopes),
    allowedIpsNarrower(key.allowedIps, edit.allowedIps),
    rateNarrower(key.rateLimit, edit.rateLimit),
    ...quotaNarrower(key.quota, edit.quota),
    expiryNarrower(key.expiresAt, edit.expiresAt),
  ].filter((n): n is string => n !== undefined);
}

/**
 * Whether the daemon will refuse `edit` for a scope or an address it cannot read (by the same
 * rules it uses). Such an edit changes nothing, so there is nothing to confirm: it is sent, and
 * the daemon's objections appear under their fields.
 */
export function refusedLists(edit: EditKeyInput): boolean {
  return (edit.scopes ?? []).some((scope) => scopeProblem(scope) !== undefined) || (edit.allowedIps ?? []).some((ip) => typedRange(ip) === undefined);
}
