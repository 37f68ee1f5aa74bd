/**
 * The verification decision, in the order the design fixes: format (shape and checksum of a
 * `kw_` key, no lookup; any other format is looked up by hash), existence, status, expiry, client address, scope, rate limit, quota. The first
 * check that fails is the answer. A request turned away costs the key nothing: only an
 * accepted one is counted against its rate limit and taken from its quota.
 */
import type { KeyEntry } from './policy.js';
import { QuotaLedger } from './quota.js';
import { RateLimiter, type RateLimitState } from './rate-limit.js';
import { scopesGranted } from './scopes.js';
import { hashSecret, isWellFormed, KEY_PREFIX, OPERATOR_TOKEN_PREFIX } from './secret.js';

/** The longest key a verify takes, in UTF-16 units: longer is no key. */
export const KEY_MAX = 512;

export type VerifyRequest = {
  key: string;
  /** Scopes the request needs, all of them. */
  scope?: string | readonly string[];
  /** The client's address, for keys with an allow list. */
  ip?: string;
};

type RejectionCode = 'malformed' | 'not_found' | 'inactive' | 'expired' | 'ip_not_allowed' | 'insufficient_scope' | 'rate_limited' | 'quota_exhausted';

export type VerifyResult =
  | {
      valid: true;
      keyId: string;
      name: string;
      owner: string | null;
      meta: Record<string, unknown> | null;
      scopes: string[] | null;
      rateLimit?: RateLimitState;
      quota?: { remaining: number };
    }
  | { valid: false; code: Exclude<RejectionCode, 'rate_limited' | 'quota_exhausted'> }
  | { valid: false; code: 'rate_limited'; retryAfterSeconds: number; rateLimit: RateLimitState }
  | { valid: false; code: 'quota_exhausted'; retryAfterSeconds?: number };

/** The per-process state the decision counts in. */
export type Counters = { limiter: RateLimiter; quotas: QuotaLedger };

export function newCounters(): Counters {
  return { limiter: new RateLimiter(), quotas: new QuotaLedger() };
}

/** A presentation worth an alert (docs/alerts.md): which kind, and the key presented. */
export type Sighting = { kind: 'canary.tripped' | 'deleted_key.presented' | 'old_key.presented_after_cutover'; entry: KeyEntry };

/**
 * The decision; `entry` when it is a use of a known key (every decision about one is), and
 * `sighting` when presenting that key should raise an alert.
 */
export type Decision = { result: VerifyResult; entry?: KeyEntry; sighting?: Sighting };

const MALFORMED: Decision = { result: { valid: false, code: 'malformed' } };
const NOT_FOUND_RESULT: VerifyResult = { valid: false, code: 'not_found' };
const NOT_FOUND: Decision = { result: NOT_FOUND_RESULT };

/**
 * Whether `key` is refused on its shape alone, before any lookup. A `kw_` key must carry its
 * checksum; an operator token is never an API key. Anything else may be an imported key of
 * another system's format (`sk_live_…`, a UUID): only its hash can tell.
 */
function malformedKey(key: string): boolean {
  if (key.startsWith(KEY_PREFIX)) return !isWellFormed(key, KEY_PREFIX);
  return key.length === 0 || key.startsWith(OPERATOR_TOKEN_PREFIX);
}

/**
 * Decides `request` against the keys `lookup` finds by hash. A canary or a tombstone answers
 * exactly as an unknown key does — the same result object, after the same checksum, hash and
 * lookup — so the presenter learns nothing; only the sighting tells the verifier to raise an
 * alert. Neither counts as a use of a key.
 */
export function verifyKey(request: VerifyRequest, lookup: (hash: string) => KeyEntry | undefined, counters: Counters, now: number): Decision {
  if (malformedKey(request.key)) return MALFORMED;
  const entry = lookup(hashSecret(request.key));
  if (!entry) return NOT_FOUND;
  const sighting = sightingOf(entry);
  if (sighting && (entry.canary || entry.deletedAt !== undefined)) return { result: NOT_FOUND_RESULT, sighting };
  const result = decide(entry, request, counters, now);
  return sighting ? { result, entry, sighting } : { result, entry };
}

/**
 * Whether presenting `entry` raises an alert, and which: a canary, a tombstone, or a key a
 * rotation took out of service presented while still out of it (a caller missed the switch).
 * The daemon asks it of what a replica reports too, so a replica can raise no other alert.
 */
export function sightingOf(entry: KeyEntry): Sighting | undefined {
  if (entry.canary) return { kind: 'canary.tripped', entry };
  if (entry.deletedAt !== undefined) return { kind: entry.rotatedOutBy === undefined ? 'deleted_key.presented' : 'old_key.presented_after_cutover', entry };
  if (entry.rotatedOutBy !== undefined && entry.status === 'inactive') return { kind: 'old_key.presented_after_cutover', entry };
  return undefined;
}

/** The decision for a key that exists. */
export function decide(entry: KeyEntry, request: Omit<VerifyRequest, 'key'>, counters: Counters, now: number): VerifyResult {
  if (entry.status !== 'active') return { valid: false, code: 'inactive' };
  if (entry.expiresAt !== null && entry.expiresAt <= now) return { valid: false, code: 'expired' };
  const policy = entry.policy;
  if (!policy) return { valid: true, keyId: entry.id, name: entry.name, owner: null, meta: null, scopes: null };
  if (policy.allowedIps && !policy.allowedIps.allows(request.ip)) return { valid: false, code: 'ip_not_allowed' };
  if (policy.scopes && request.scope !== undefined && !scopesGranted(policy.scopes, request.scope)) return { valid: false, code: 'insufficient_scope' };
  const rate = policy.rateLimit && counters.limiter.check(entry.id, policy.rateLimit, now);
  if (rate && !rate.allowed) return { valid: false, code: 'rate_limited', retryAfterSeconds: rate.retryAfterSeconds, rateLimit: rate.state };
  const quota = policy.quota && counters.quotas.take(entry.id, policy.quota, now);
  if (quota && !quota.allowed) {
    return quota.retryAfterSeconds === null ? { valid: false, code: 'quota_exhausted' } : { valid: false, code: 'quota_exhausted', retryAfterSeconds: quota.retryAfterSeconds };
  }
  rate?.commit();
  quota?.commit();
  const result: VerifyResult = { valid: true, keyId: entry.id, name: entry.name, owner: policy.owner, meta: policy.meta, scopes: policy.scopes };
  if (rate) result.rateLimit = rate.state;
  if (quota) result.quota = { remaining: quota.remaining };
  return result;
}
