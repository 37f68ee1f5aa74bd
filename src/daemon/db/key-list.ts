/**
 * The key list's sorts and keyset paging, the same in both dialects. Each sort is a key of
 * one or two SQL expressions that ascend in the sort's natural order (numbers that read
 * newest or busiest first are negated) and end in a unique column, and each has an index on
 * exactly those expressions (see the schemas). So a page is a range scan from a position —
 * a row-value comparison on the index — whatever the sort, the direction or how deep the
 * page is: at a million keys the last page costs what the first does.
 */
import { and, asc, desc, eq, sql, type Column, type SQL } from 'drizzle-orm';
import { containsText } from './dialects.js';
import { foldName } from '../names.js';
import type { KeyListQuery, KeySort, SortPosition } from '../store.js';

export type KeyListColumns = {
  id: Column;
  status: Column;
  nameFolded: Column;
  owner: Column;
  hint: Column;
  createdAt: Column;
  lastUsedAt: Column;
  uses24h: Column;
};

/** The expressions of each sort's key; they must read exactly as the schemas' sort indexes. */
function sortKey(t: KeyListColumns, sort: KeySort): SQL[] {
  switch (sort) {
    case 'name':
      return [sql`${t.nameFolded}`];
    case 'newest':
      return [sql`(-${t.createdAt})`, sql`${t.id}`];
    case 'lastUsed':
      return [sql`(-coalesce(${t.lastUsedAt}, -1))`, sql`${t.nameFolded}`];
    case 'uses24h':
      return [sql`(-${t.uses24h})`, sql`${t.nameFolded}`];
    case 'status':
      return [sql`${t.status}`, sql`${t.nameFolded}`];
    case 'owner':
      return [sql`coalesce(${t.owner}, '')`, sql`${t.nameFolded}`];
  }
}

/** The sort a query asks for; none is the order lists had before sorts: oldest first. */
export function sortOf(query: Pick<KeyListQuery, 'sort' | 'reverse'>): { sort: KeySort; reverse: boolean } {
  return query.sort ? { sort: query.sort, reverse: query.reverse === true } : { sort: 'newest', reverse: query.reverse !== true };
}

/**
 * The ORDER BY and the paging conditions of a list, to run in turn until `limit` rows are in
 * hand. Past a position (e1, e2) they are `e1 = p1 and e2 > p2` (the rest of its tie) and then
 * `e1 > p1`: each an index range in both dialects, where SQLite would scan for the row value
 * `(e1, e2) > (p1, p2)` over an expression index — and a million never-used keys are one tie.
 * Before a position, the query runs the other way from it (`flipped`) and the caller turns the
 * rows round.
 */
export function keyPaging(t: KeyListColumns, query: KeyListQuery): { steps: PagingStep[]; flipped: boolean } {
  const { sort, reverse } = sortOf(query);
  const key = sortKey(t, sort);
  const flipped = query.before !== undefined || query.fromEnd === true;
  const descending = reverse !== flipped;
  const position = query.before ?? query.after;
  const beyond = (e: SQL, v: string | number) => sql`${e} ${sql.raw(descending ? '<' : '>')} ${v}`;
  const ordered = key.map((e) => (descending ? desc(e) : asc(e)));
  // SQLite sorts every matching row in a temporary b-tree when an ORDER BY names an expression
  // the WHERE holds equal, so such a term is left out: inside a tie, and the owner sort's first
  // term under an owner filter (keyListWhere), where every row is one tie.
  const orderBy = sort === 'owner' && query.owner !== undefined ? ordered.slice(1) : ordered;
  if (!position) return { steps: [{ where: undefined, orderBy }], flipped };
  if (key.length === 1) return { steps: [{ where: beyond(key[0]!, position[0]!), orderBy }], flipped };
  const tie = { where: and(sql`${key[0]} = ${position[0]}`, beyond(key[1]!, position[1]!)), orderBy: ordered.slice(1) };
  return { steps: [tie, { where: beyond(key[0]!, position[0]!), orderBy }], flipped };
}

/** One query of a page: its condition and order. */
export type PagingStep = { where: SQL | undefined; orderBy: SQL[] };

/** What a list's rows are filtered by, in both dialects; the store adds its own text `filter`. */
export function keyListWhere(t: KeyListColumns, query: Omit<KeyListQuery, 'limit' | 'since24h'>, filter: SQL | undefined): SQL | undefined {
  return and(
    query.status ? eq(t.status, query.status) : undefined,
    query.q ? containsText(t.nameFolded, foldName(query.q)) : undefined,
    query.name !== undefined ? eq(t.nameFolded, foldName(query.name.trim())) : undefined,
    // As the owner sort's index reads it, so one owner's keys are a range of that index, in
    // name order: no other index for the owner, and no sort of all that owner's keys a page.
    // An owner is never empty, so `owner=` (nothing after it) is the keys without one.
    query.owner !== undefined ? sql`coalesce(${t.owner}, '') = ${query.owner}` : undefined,
    filter,
  );
}

/** Whether `keyListWhere` leaves any key out: an unnarrowed count is of every key. */
export function narrowsList(query: Pick<KeyListQuery, 'status' | 'q' | 'name' | 'owner' | 'filter'>): boolean {
  return Boolean(query.status) || query.name !== undefined || query.owner !== undefined || matchesText(query);
}

/** Whether a list is matched by text (a substring of names, owners, hints): a trigram lookup or a scan, not an index range. */
export function matchesText(query: Pick<KeyListQuery, 'filter' | 'q'>): boolean {
  return filterText(query.filter) !== undefined || Boolean(query.q);
}

/** The filter as matched: trimmed and folded like names, or nothing to filter by. */
export function filterText(filter: string | undefined): string | undefined {
  const text = filter === undefined ? '' : foldName(filter.trim());
  return text === '' ? undefined : text;
}

/** The sort position of a row as listed, for a cursor: the values of its sort key. */
export function positionOf(sort: KeySort, row: { id: string; name: string; status: string; owner: string | null; createdAt: number; lastUsedAt: number | null; uses24h: number }): SortPosition {
  const name = foldName(row.name);
  switch (sort) {
    case 'name':
      return [name];
    case 'newest':
      return [-row.createdAt, row.id];
    case 'lastUsed':
      return [-(row.lastUsedAt ?? -1), name];
    case 'uses24h':
      return [-row.uses24h, name];
    case 'status':
      return [row.status, name];
    case 'owner':
      return [row.owner ?? '', name];
  }
}
