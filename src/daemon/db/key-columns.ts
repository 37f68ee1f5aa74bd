/**
 * How both stores keep a key's description, labels and policy: flat columns (JSON text for
 * lists and meta, integers for limits) that both SQL dialects have, turned into the nested
 * `KeyFields` and back in one place.
 */
import { compilePolicy, type EntryPolicy, type JsonObject } from '../../decide/policy.js';
import type { StoredQuota } from '../../decide/quota.js';
import { nameColumns } from '../names.js';
import type { IndexedKey, KeyEdit, KeyFields, KeyRow } from '../store.js';

/** The columns as stored; the same property names in both schemas. */
export type PolicyColumns = {
  description: string | null;
  owner: string | null;
  meta: string | null;
  scopes: string | null;
  allowedIps: string | null;
  rateLimit: number | null;
  rateLimitWindowSeconds: number | null;
  quotaRemaining: number | null;
  quotaRefillAmount: number | null;
  quotaRefillIntervalSeconds: number | null;
  quotaRefilledAt: number | null;
  quotaSetAt: number | null;
};

const NAMES = [
  'description',
  'owner',
  'meta',
  'scopes',
  'allowedIps',
  'rateLimit',
  'rateLimitWindowSeconds',
  'quotaRemaining',
  'quotaRefillAmount',
  'quotaRefillIntervalSeconds',
  'quotaRefilledAt',
  'quotaSetAt',
] as const satisfies readonly (keyof PolicyColumns)[];

/** The SQL of "this key has policy or labels the index keeps" (description is not kept). */
export const HAS_POLICY_SQL =
  'owner is not null or meta is not null or scopes is not null or allowed_ips is not null or rate_limit is not null or quota_remaining is not null';

/** The policy columns of either schema's `keys` table, for a select. */
export function policyColumnsOf<T extends Record<keyof PolicyColumns, unknown>>(table: T): Pick<T, keyof PolicyColumns> {
  return Object.fromEntries(NAMES.map((name) => [name, table[name]])) as Pick<T, keyof PolicyColumns>;
}

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

export function fieldsFromColumns(c: PolicyColumns): KeyFields {
  const refill =
    c.quotaRefillAmount !== null && c.quotaRefillIntervalSeconds !== null ? { amount: c.quotaRefillAmount, intervalSeconds: c.quotaRefillIntervalSeconds } : null;
  return {
    description: c.description,
    owner: c.owner,
    meta: parse<JsonObject>(c.meta),
    scopes: parse<string[]>(c.scopes),
    allowedIps: parse<string[]>(c.allowedIps),
    rateLimit: c.rateLimit !== null && c.rateLimitWindowSeconds !== null ? { limit: c.rateLimit, windowSeconds: c.rateLimitWindowSeconds } : null,
    quota:
      c.quotaRemaining !== null
        ? { remaining: c.quotaRemaining, refill, refilledAt: c.quotaRefilledAt ?? 0, setAt: c.quotaSetAt ?? 0 }
        : null,
  };
}

/** The columns for the fields `edit` names (all of them for a whole `KeyFields`). */
export function fieldsToColumns(edit: KeyEdit): Partial<PolicyColumns> {
  const out: Partial<PolicyColumns> = {};
  if (edit.description !== undefined) out.description = edit.description;
  if (edit.owner !== undefined) out.owner = edit.owner;
  if (edit.meta !== undefined) out.meta = json(edit.meta);
  if (edit.scopes !== undefined) out.scopes = json(edit.scopes);
  if (edit.allowedIps !== undefined) out.allowedIps = json(edit.allowedIps);
  if (edit.rateLimit !== undefined) {
    out.rateLimit = edit.rateLimit?.limit ?? null;
    out.rateLimitWindowSeconds = edit.rateLimit?.windowSeconds ?? null;
  }
  if (edit.quota !== undefined) {
    const q = edit.quota;
    Object.assign(out, {
      quotaRemaining: q?.remaining ?? null,
      quotaRefillAmount: q?.refill?.amount ?? null,
      quotaRefillIntervalSeconds: q?.refill?.intervalSeconds ?? null,
      quotaRefilledAt: q?.refilledAt ?? null,
      quotaSetAt: q?.setAt ?? null,
    });
  }
  return out;
}

const FIELDS = ['description', 'owner', 'meta', 'scopes', 'allowedIps', 'rateLimit', 'quota'] as const satisfies readonly (keyof KeyFields)[];

/** The columns an edit sets: its fields, a new name with its folded and look-alike forms, a new expiry. */
export function editColumns(edit: KeyEdit): Partial<PolicyColumns> & { name?: string; nameFolded?: string; nameSkeleton?: string; expiresAt?: number | null } {
  const { name, expiresAt } = edit;
  return { ...fieldsToColumns(edit), ...(name !== undefined && { name, ...nameColumns(name) }), ...(expiresAt !== undefined && { expiresAt }) };
}

/** A key as the columns to insert: its `KeyFields` spread out into `PolicyColumns`. */
export function keyValues<T extends KeyFields>(key: T): Omit<T, keyof KeyFields> & Partial<PolicyColumns> {
  const rest: Record<string, unknown> = { ...key };
  for (const name of FIELDS) delete rest[name];
  return { ...(rest as Omit<T, keyof KeyFields>), ...fieldsToColumns(key) };
}

/** A selected row with its policy columns folded into `KeyFields`. */
export function withFields<T extends PolicyColumns>(row: T): Omit<T, keyof PolicyColumns> & KeyFields {
  const rest: Record<string, unknown> = { ...row };
  for (const name of NAMES) delete rest[name];
  return { ...(rest as Omit<T, keyof PolicyColumns>), ...fieldsFromColumns(row) };
}

/** What the verification index keeps of a key. */
export function indexedKey(row: KeyRow & { hash: string }): IndexedKey {
  const entry: IndexedKey = { id: row.id, name: row.name, hash: row.hash, status: row.status, expiresAt: row.expiresAt };
  const policy = compilePolicy(row);
  if (policy) entry.policy = policy;
  return entry;
}

/** The compiled policies of the few keys that have one (`withPolicy`, read apart), by key id. */
export function policiesById(withPolicy: ReadonlyArray<PolicyColumns & { id: string }>): ReadonlyMap<string, EntryPolicy> {
  const policies = new Map<string, EntryPolicy>();
  for (const row of withPolicy) {
    const policy = compilePolicy(fieldsFromColumns(row));
    if (policy) policies.set(row.id, policy);
  }
  return policies;
}

/** Gives the entries of `plain` (id, name, hash, status, expiry: cheap to read for every key) their policies. */
export function attachPolicies(plain: IndexedKey[], policies: ReadonlyMap<string, EntryPolicy>): IndexedKey[] {
  if (policies.size === 0) return plain;
  for (const entry of plain) {
    const policy = policies.get(entry.id);
    if (policy) entry.policy = policy;
  }
  return plain;
}

/** The quotas among `rows`, by key. */
export function storedQuotas(rows: ReadonlyArray<PolicyColumns & { id: string }>): (StoredQuota & { keyId: string })[] {
  return rows.flatMap((row) => {
    const quota = fieldsFromColumns(row).quota;
    return quota ? [{ keyId: row.id, ...quota }] : [];
  });
}
