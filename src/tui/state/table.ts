/**
 * The key table's view: which rows a filter and sort leave, and the cursor over them. Pure,
 * so 10,000 rows cost a sort when the data or the order changes and only arithmetic when the
 * cursor moves.
 */
import type { KeyJson } from '../../client/client.js';
import { stripUnsafe } from '../../sanitize.js';
import type { ColumnId } from './columns.js';
import { START, type Cursor } from './cursor.js';

/**
 * The orders `s` cycles through, each on one column, in the direction that reads naturally
 * first (names A→Z, the newest and the busiest first); `S` reverses it.
 */
const SORTS = [
  { id: 'name', label: 'name', descending: false },
  { id: 'created', label: 'created', descending: true },
  { id: 'lastUsed', label: 'last used', descending: true },
  { id: 'uses', label: 'uses 24h', descending: true },
  { id: 'status', label: 'status', descending: false },
  { id: 'owner', label: 'owner', descending: false },
] as const satisfies readonly { id: ColumnId; label: string; descending: boolean }[];
export type SortId = (typeof SORTS)[number]['id'];

export type TableView = Cursor & { readonly sort: SortId; readonly reversed: boolean; readonly filter: string };

export const initialView: TableView = { ...START, sort: 'name', reversed: false, filter: '' };

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
  // As the daemon's list sorts them (src/daemon/db/key-list.ts): no owner as '', so those first.
  owner: (a, b) => {
    const x = a.owner ?? '';
    const y = b.owner ?? '';
    return x === y ? byName(a, b) : x < y ? -1 : 1;
  },
};

/** The keys matching `filter` (case-insensitive, in the name, owner or hint, or the whole id), sorted. */
export function deriveRows(keys: Iterable<KeyJson>, sort: SortId, filter: string, reversed = false): KeyJson[] {
  const needle = stripUnsafe(filter).trim().toLowerCase();
  const rows: KeyJson[] = [];
  for (const key of keys) {
    if (
      !needle ||
      key.name.toLowerCase().includes(needle) ||
      key.owner?.toLowerCase().includes(needle) ||
      key.hint.toLowerCase().includes(needle) ||
      key.id.toLowerCase() === needle
    ) {
      rows.push(key);
    }
  }
  const compare = COMPARE[sort];
  return rows.sort(reversed ? (a, b) => compare(b, a) : compare);
}

/** Puts the cursor on key `id` (e.g. the one just created). */
export function focusKey(view: TableView, id: string): TableView {
  return { ...view, cursorId: id };
}

/** The next order, in its natural direction. */
export function nextSort(view: TableView): TableView {
  const at = SORTS.findIndex((s) => s.id === view.sort);
  return { ...view, sort: SORTS[(at + 1) % SORTS.length]!.id, reversed: false };
}

export function reverseSort(view: TableView): TableView {
  return { ...view, reversed: !view.reversed };
}

/** The sorted column and its direction as drawn: ▲ ascending (A→Z, oldest, fewest), ▼ descending. */
export function sortShown(view: Pick<TableView, 'sort' | 'reversed'>): { readonly column: ColumnId; readonly label: string; readonly arrow: '▲' | '▼' } {
  const sort = SORTS.find((s) => s.id === view.sort)!;
  return { column: sort.id, label: sort.label, arrow: sort.descending !== view.reversed ? '▼' : '▲' };
}

export function withFilter(view: TableView, filter: string): TableView {
  return { ...view, filter, offset: 0 };
}

/** What the table says when it has no rows. */
export function emptyText(view: TableView, loaded: boolean, problem: string | undefined, canAdd: boolean): string {
  if (!loaded) return problem ?? 'Loading keys…';
  if (view.filter) return `No key matches "${view.filter}"; esc clears the filter`;
  return canAdd ? 'No keys yet: press a to add one' : 'No keys yet';
}
