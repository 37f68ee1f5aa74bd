/**
 * The key table's view: which rows a filter and sort leave, and the cursor over them. Pure,
 * so 10,000 rows cost a sort when the data or the order changes and only arithmetic when the
 * cursor moves.
 */
import type { KeyJson } from '../../client/client.js';
import { stripUnsafe } from '../../sanitize.js';
import { START, type Cursor } from './cursor.js';

const SORTS = [
  { id: 'name', label: 'name' },
  { id: 'created', label: 'newest' },
  { id: 'lastUsed', label: 'last used' },
  { id: 'uses', label: 'uses 24h' },
  { id: 'status', label: 'status' },
] as const;
export type SortId = (typeof SORTS)[number]['id'];

export type TableView = Cursor & { readonly sort: SortId; readonly filter: string };

export const initialView: TableView = { ...START, sort: 'name', filter: '' };

function byName(a: KeyJson, b: KeyJson): number {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : 1;
}

const COMPARE: Record<SortId, (a: KeyJson, b: KeyJson) => number> = {
  name: byName,
  created: (a, b) => (a.createdAt === b.createdAt ? byName(a, b) : a.createdAt < b.createdAt ? 1 : -1),
  lastUsed: (a, b) => {
    if (a.lastUsedAt === b.lastUsedAt) return byName(a, b);
    if (a.lastUsedAt === null) return 1;
    if (b.lastUsedAt === null) return -1;
    return a.lastUsedAt < b.lastUsedAt ? 1 : -1;
  },
  uses: (a, b) => b.uses24h - a.uses24h || byName(a, b),
  status: (a, b) => (a.status === b.status ? byName(a, b) : a.status === 'active' ? -1 : 1),
};

/** The keys matching `filter` (case-insensitive, in the name, hint or id), sorted. */
export function deriveRows(keys: Iterable<KeyJson>, sort: SortId, filter: string): KeyJson[] {
  const needle = stripUnsafe(filter).trim().toLowerCase();
  const rows: KeyJson[] = [];
  for (const key of keys) {
    if (!needle || key.name.toLowerCase().includes(needle) || key.hint.toLowerCase().includes(needle) || key.id.toLowerCase() === needle) {
      rows.push(key);
    }
  }
  return rows.sort(COMPARE[sort]);
}

/** Puts the cursor on key `id` (e.g. the one just created). */
export function focusKey(view: TableView, id: string): TableView {
  return { ...view, cursorId: id };
}

export function nextSort(view: TableView): TableView {
  const at = SORTS.findIndex((s) => s.id === view.sort);
  return { ...view, sort: SORTS[(at + 1) % SORTS.length]!.id };
}

export function sortLabel(sort: SortId): string {
  return SORTS.find((s) => s.id === sort)!.label;
}

export function withFilter(view: TableView, filter: string): TableView {
  return { ...view, filter, offset: 0 };
}
