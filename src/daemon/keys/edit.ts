/** Which fields of a key an edit really changes: what the audit event of a `PATCH` names. Pure. */
import type { KeyEdit, KeyRow } from '../store.js';

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
