/**
 * The verification decision, in the order the design fixes: format (shape and checksum, no
 * lookup), existence, status, expiry, client address, scope, rate limit, quota. The first
 * check that fails is the answer. A request turned away costs the key nothing: only an
 * accepted one is counted against its rate limit and taken from its quota.
 */
import { ipAllowed } from './ip.js';
import type { KeyEntry } from './policy.js';
import { QuotaLedger } from './quota.js';
import { RateLimiter, type RateLimitState } from './rate-limit.js';
import { scopesGranted } from './scopes.js';
import { hashSecret, isWellFormed, KEY_PREFIX } from './secret.js';

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

/** The decision and, when the key exists, its entry: every decision about a known key is a use. */
export type Decision = { result: VerifyResult; entry?: KeyEntry };

const MALFORMED: Decision = { result: { valid: false, code: 'malformed' } };
const NOT_FOUND: Decision = { result: { valid: false, code: 'not_found' } };

/** Decides `request` against the keys `lookup` finds by hash. */
export function verifyKey(request: VerifyRequest, lookup: (hash: string) => KeyEntry | undefined, counters: Counters, now: number): Decision {
  if (!isWellFormed(request.key, KEY_PREFIX)) return MALFORMED;
  const entry = lookup(hashSecret(request.key));
  if (!entry) return NOT_FOUND;
  return { result: decide(entry, request, counters, now), entry };
}

/** The decision for a key that exists. */
export function decide(entry: KeyEntry, request: Omit<VerifyRequest, 'key'>, counters: Counters, now: number): VerifyResult {
  if (entry.status !== 'active') return { valid: false, code: 'inactive' };
  if (entry.expiresAt !== null && entry.expiresAt <= now) return { valid: false, code: 'expired' };
  const policy = entry.policy;
  if (!policy) return { valid: true, keyId: entry.id, name: entry.name, owner: null, meta: null, scopes: null };
  if (policy.allowedIps && !ipAllowed(policy.allowedIps, request.ip)) return { valid: false, code: 'ip_not_allowed' };
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
