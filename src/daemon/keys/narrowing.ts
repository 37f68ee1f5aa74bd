/**
 * Whether a change to a key takes access away: the one decision behind "a narrowing write
 * returns only once no replica accepts what it took away" (docs/replicas.md) and behind which
 * writes the SQLite store lets use its disk reserve (docs/security.md). Pure.
 *
 * Narrowing, field by field: the key goes (deleted), goes inactive, expires earlier, loses a
 * scope or an address range it had, gets a stricter rate limit, or gets a quota set (setting
 * one starts its counting over, and the live count is not known here, so any quota set counts).
 * A field that gains a restriction it did not have narrows too. A key that becomes a tombstone
 * (deleted, its hash kept) narrows like a deletion: a replica must answer it as a deleted key. Everything else — a new key,
 * activation, a later expiry, a rename, labels, a restriction cleared — does not. When in
 * doubt (an address that does not parse) the answer is "narrowing": waiting a few
 * milliseconds for replicas costs less than a key that stays usable.
 */
import { rangesLost } from '../../decide/ip.js';
import type { StoredQuota } from '../../decide/quota.js';
import type { RateLimit } from '../../decide/rate-limit.js';
import { scopeGrants } from '../../decide/scopes.js';

/** What decides a key's access, in the form the store and the API hold it. */
export type Access = {
  status: 'active' | 'inactive';
  expiresAt: number | null;
  scopes: readonly string[] | null;
  allowedIps: readonly string[] | null;
  rateLimit: RateLimit | null;
  quota: StoredQuota | null;
  /** A deleted key's tombstone (absent: a key). */
  deleted?: boolean;
};

/** Whether going from `before` to `after` (undefined: no such key) takes any access away. */
export function narrows(before: Access | undefined, after: Access | undefined): boolean {
  if (!before) return false;
  // A tombstone already answers as an unknown key: forgetting it takes nothing away.
  if (!after) return !before.deleted;
  return (
    (!before.deleted && after.deleted === true) ||
    (before.status === 'active' && after.status !== 'active') ||
    earlier(before.expiresAt, after.expiresAt) ||
    fewerScopes(before.scopes, after.scopes) ||
    fewerAddresses(before.allowedIps, after.allowedIps) ||
    stricterRate(before.rateLimit, after.rateLimit) ||
    quotaSet(before.quota, after.quota)
  );
}

function earlier(before: number | null, after: number | null): boolean {
  return after !== null && (before === null || after < before);
}

/** Some scope granted before is granted by none of the scopes after. */
function fewerScopes(before: readonly string[] | null, after: readonly string[] | null): boolean {
  if (after === null) return false;
  if (before === null) return true;
  return before.some((had) => !after.some((has) => scopeGrants(has, had)));
}

/** Some address allowed before is in none of the ranges after (a range may be split among several). */
function fewerAddresses(before: readonly string[] | null, after: readonly string[] | null): boolean {
  if (after === null) return false;
  if (before === null) return true;
  return rangesLost(before, after).length > 0;
}

/** Fewer requests, or the same over a longer window; a limit where there was none. */
function stricterRate(before: RateLimit | null, after: RateLimit | null): boolean {
  if (after === null) return false;
  return before === null || after.limit < before.limit || after.windowSeconds > before.windowSeconds;
}

function quotaSet(before: StoredQuota | null, after: StoredQuota | null): boolean {
  if (after === null) return false;
  if (before === null) return true;
  const sameRefill = before.refill?.amount === after.refill?.amount && before.refill?.intervalSeconds === after.refill?.intervalSeconds;
  return before.remaining !== after.remaining || before.setAt !== after.setAt || before.refilledAt !== after.refilledAt || !sameRefill;
}
