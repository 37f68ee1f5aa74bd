/**
 * A key's policy and labels (see docs/policy.md): what it may do — scopes, allowed client
 * addresses, a rate limit, a quota — and what a valid verify tells the service about it —
 * owner and meta. `null` means "no restriction" (or no label). A verifying process keeps the
 * compiled form, parsed once per write instead of on every verify.
 */
import { compileAllowList, type AllowList } from './ip.js';
import type { StoredQuota } from './quota.js';
import type { RateLimit } from './rate-limit.js';

export type JsonObject = { [key: string]: unknown };

/** The policy fields as the store and the API hold them. */
export type KeyPolicy = {
  scopes: string[] | null;
  allowedIps: string[] | null;
  rateLimit: RateLimit | null;
  quota: StoredQuota | null;
};

/** What a valid verify returns about a key besides its id and name. */
export type KeyLabels = { owner: string | null; meta: JsonObject | null };

export type EntryPolicy = Omit<KeyPolicy, 'allowedIps'> & KeyLabels & { allowedIps: AllowList | null };

/**
 * What makes presenting a key worth an alert (docs/alerts.md). Each is absent on an ordinary
 * key, so like `policy` it costs the common key nothing; a verifier checks them before the
 * status (see `verifyKey`).
 * - `canary`: the key exists only to be stolen; it never verifies.
 * - `deletedAt`: the key was deleted at this time (ms) and the entry is its tombstone: it
 *   answers `not_found`. Its status is `inactive`, so a verifier that does not know tombstones
 *   still refuses it.
 * - `rotatedOutBy`: the id of the rotation whose cut-over took this key out of service.
 */
export type KeyMarks = {
  canary?: true;
  deletedAt?: number;
  rotatedOutBy?: string;
};

/**
 * What a verifying process keeps of a key: a plain object, whatever index holds it. `policy`
 * is absent for a key without policy or labels, so the common key costs nothing more.
 */
export type KeyEntry = {
  id: string;
  name: string;
  status: 'active' | 'inactive';
  expiresAt: number | null;
  policy?: EntryPolicy;
} & KeyMarks;

/**
 * What a verification index holds for a key (the daemon's, and each replica's copy of it), or
 * for a deleted key's tombstone (`deletedAt`): its entry and the hash it is found by, enough to
 * decide without the store.
 */
export type IndexedKey = KeyEntry & { hash: string };

/** The compiled policy of a key, or undefined when it has none and no labels. */
export function compilePolicy(fields: KeyPolicy & KeyLabels): EntryPolicy | undefined {
  const { scopes, allowedIps, rateLimit, quota, owner, meta } = fields;
  if (scopes === null && allowedIps === null && rateLimit === null && quota === null && owner === null && meta === null) return undefined;
  return { scopes, allowedIps: allowedIps && compileAllowList(allowedIps), rateLimit, quota, owner, meta };
}
