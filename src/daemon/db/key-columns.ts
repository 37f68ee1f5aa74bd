/**
 * How both stores keep a key's description, labels and policy: flat columns (JSON text for
 * lists and meta, integers for limits) that both SQL dialects have, turned into the nested
 * `KeyFields` and back in one place.
 */
import { and, eq, getTableColumns, gt, lte, type Column, type SQL, type Table } from 'drizzle-orm';
import { compilePolicy, type EntryPolicy, type IndexedKey, type JsonObject, type KeyLabels, type KeyMarks, type KeyPolicy } from '../../decide/policy.js';
import type { StoredQuota } from '../../decide/quota.js';
import { nameColumns } from '../names.js';
import type { HashMatch, KeyEdit, KeyFields, KeyRow, KeyStatus } from '../store.js';

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

/**
 * The SQL of "the index keeps more of this key than its id, name, hash, status and expiry":
 * policy or labels (description is not kept), or a mark (a canary, a key a rotation cut over).
 */
export const HAS_EXTRAS_SQL =
  'owner is not null or meta is not null or scopes is not null or allowed_ips is not null or rate_limit is not null or quota_remaining is not null or canary or rotated_out_by is not null';

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

/**
 * The columns of either schema's `keys` table that an import sets, by property: all but
 * `uses24h`, as a key imported has counted no uses yet (it takes its default, 0, kept by the
 * usage flush from then on).
 */
export function importedColumns(table: Table): [string, Column][] {
  return Object.entries(getTableColumns(table)).filter(([property]) => property !== 'uses24h');
}

/**
 * An imported row's value for `column`, as drizzle would bind it: from `over` (its policy
 * columns, `fieldsToColumns`) where that has it, else from `row`; no merged object is made per row.
 */
export function importedValue(row: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>, property: string, column: Column): unknown {
  const value = property in over ? over[property] : row[property];
  return value === undefined || value === null ? null : column.mapToDriverValue(value);
}

/** A selected row with its policy columns folded into `KeyFields`. */
export function withFields<T extends PolicyColumns>(row: T): Omit<T, keyof PolicyColumns> & KeyFields {
  const rest: Record<string, unknown> = { ...row };
  for (const name of NAMES) delete rest[name];
  return { ...(rest as Omit<T, keyof PolicyColumns>), ...fieldsFromColumns(row) };
}

/** The marks of a key (see `KeyMarks`): only those it has, so an ordinary key has none. */
function marksOf(row: { canary: boolean; rotatedOutBy: string | null }): KeyMarks {
  return { ...(row.canary && { canary: true as const }), ...(row.rotatedOutBy !== null && { rotatedOutBy: row.rotatedOutBy }) };
}

/** What the verification index keeps of a key. */
export function indexedKey(row: Pick<KeyRow, 'id' | 'name' | 'status' | 'expiresAt' | 'canary' | 'rotatedOutBy' | keyof KeyPolicy | keyof KeyLabels> & { hash: string }): IndexedKey {
  const entry: IndexedKey = { id: row.id, name: row.name, hash: row.hash, status: row.status, expiresAt: row.expiresAt, ...marksOf(row) };
  const policy = compilePolicy(row);
  if (policy) entry.policy = policy;
  return entry;
}

/** A key's policy columns and marks, as the index load reads them for the few keys that have any. */
export type ExtraColumns = PolicyColumns & { id: string; canary: boolean; rotatedOutBy: string | null };

/** What the index keeps of a key besides its core fields: its compiled policy and its marks. */
export type EntryExtras = { policy?: EntryPolicy } & KeyMarks;

/** The compiled policies and marks of the few keys that have some (`withExtras`, read apart), by key id. */
export function extrasById(withExtras: readonly ExtraColumns[]): ReadonlyMap<string, EntryExtras> {
  const extras = new Map<string, EntryExtras>();
  for (const row of withExtras) {
    const policy = compilePolicy(fieldsFromColumns(row));
    extras.set(row.id, { ...(policy && { policy }), ...marksOf(row) });
  }
  return extras;
}

/** Gives the entries of `plain` (id, name, hash, status, expiry: cheap to read for every key) their policies and marks. */
export function attachExtras(plain: IndexedKey[], extras: ReadonlyMap<string, EntryExtras>): IndexedKey[] {
  if (extras.size === 0) return plain;
  for (const entry of plain) {
    const more = extras.get(entry.id);
    if (more) Object.assign(entry, more);
  }
  return plain;
}

/** A key's status change as columns; see the stores' `changeKeyStatus`. */
export function statusColumns(status: KeyStatus, at: number, detail: { rotation?: string; reason?: string } | undefined) {
  const off = status === 'inactive';
  return { status, deactivatedAt: off ? at : null, deactivationReason: off ? (detail?.reason ?? null) : null, rotatedOutBy: off ? (detail?.rotation ?? null) : null };
}

/** A key found by its hash (`POST /v1/keys/lookup`). */
export function keyMatch(k: { hash: string; id: string; name: string; state: KeyStatus; canary: boolean }): HashMatch {
  return { hash: k.hash, kind: 'key', id: k.id, name: k.name, state: k.state, ...(k.canary && { canary: true as const }) };
}

type ExpiryColumns = { status: Column; canary: Column; expiresAt: Column };

/** Active keys, not canaries (they never verify), that expire after `from` and at or before `to`. */
export function expiringWhere(keys: ExpiryColumns, from: number, to: number): SQL | undefined {
  return and(eq(keys.status, 'active'), eq(keys.canary, false), gt(keys.expiresAt, from), lte(keys.expiresAt, to));
}

/** The quotas among `rows`, by key. */
export function storedQuotas(rows: ReadonlyArray<PolicyColumns & { id: string }>): (StoredQuota & { keyId: string })[] {
  return rows.flatMap((row) => {
    const quota = fieldsFromColumns(row).quota;
    return quota ? [{ keyId: row.id, ...quota }] : [];
  });
}
