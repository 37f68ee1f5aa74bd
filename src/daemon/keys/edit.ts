/**
 * Key edits, pure: what a create's or an edit's input asks for, and which fields of a key an
 * edit really changes (what the audit event of a `PATCH` names).
 */
import type { StoredQuota } from '../../decide/quota.js';
import { KeywardError } from '../errors.js';
import type { KeyEdit, KeyFields, KeyRow } from '../store.js';
import type { KeyFieldsInput, QuotaInput } from './policy-schemas.js';

/** A key's fields as a create or an edit sends them (`expiresAt` in ms). */
export type KeyInput = KeyFieldsInput & { name?: string; expiresAt?: number | null };

/** Every field null: a key without description, labels or policy. */
export const NO_FIELDS: KeyFields = { description: null, owner: null, meta: null, scopes: null, allowedIps: null, rateLimit: null, quota: null };

/** A quota as an operator sets it: counting starts now, refills from now. */
function setQuota(input: QuotaInput | null, at: number): StoredQuota | null {
  return input && { remaining: input.remaining, refill: input.refill ?? null, refilledAt: at, setAt: at };
}

/** The edit `input` asks for: absent fields unchanged, null cleared, a quota stamped `at`. */
export function editOf(input: KeyInput, at: number): KeyEdit {
  const { quota, ...rest } = input;
  const edit: KeyEdit = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  if (quota !== undefined) edit.quota = setQuota(quota, at);
  return edit;
}

/**
 * A key that would be expired from its first moment is a mistake (a date typed wrong), never
 * what the operator meant. Decided by the daemon's clock, so a test clock governs it too.
 */
export function refusePastExpiry(expiresAt: number | null, now: number): void {
  if (expiresAt !== null && expiresAt <= now) {
    throw new KeywardError('invalid_request', `Invalid request body (expiresAt: must be in the future, it is ${new Date(expiresAt).toISOString()})`, [
      { path: 'expiresAt', message: 'must be in the future' },
    ]);
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields `edit` changes on `key`, in a stable order. Setting a quota always counts: it
 * starts the counting over, even with the numbers it had.
 */
export function changedFields(key: KeyRow, edit: KeyEdit): (keyof KeyEdit)[] {
  return (Object.keys(edit) as (keyof KeyEdit)[])
    .filter((field) => edit[field] !== undefined)
    .filter((field) => (field === 'quota' && edit.quota !== null) || !same(key[field], edit[field]))
    .sort();
}

/**
 * `edit` with a new quota stamped after the key's current one: a quota set twice within one
 * millisecond must still start its counting over (`setAt` is how counters tell settings apart).
 */
export function stampedAfter(key: KeyRow, edit: KeyEdit): KeyEdit {
  if (!edit.quota || !key.quota || edit.quota.setAt > key.quota.setAt) return edit;
  return { ...edit, quota: { ...edit.quota, setAt: key.quota.setAt + 1 } };
}

/** The audit detail of an edit: the fields changed, and a rename's old and new name. */
export function editDetail(key: KeyRow, edit: KeyEdit, changed: (keyof KeyEdit)[]): Record<string, unknown> {
  return { fields: changed, ...(changed.includes('name') && { name: { from: key.name, to: edit.name } }) };
}
