/**
 * The window of a large key list the TUI holds: a few pages of the daemon's list in the
 * table's sort and filter, each page with the cursors that continue it, around the table's
 * cursor. Pure: the feed fetches pages and hands them here. Below the feed's `fullLimit` there
 * is no window: every key is loaded and sorted and filtered locally, as before.
 */
import type { KeyCountsJson, KeyJson, KeyListParams } from '../../client/client.js';
import type { Move } from './cursor.js';
import type { SortId } from './table.js';

/** What the table asks the daemon for: its sort, direction and filter. */
export type WindowQuery = { readonly sort: SortId; readonly reversed: boolean; readonly filter: string };

export type WindowPage = { readonly ids: readonly string[]; readonly prev: string | null; readonly next: string | null };

export type KeyWindow = {
  readonly query: WindowQuery;
  readonly pages: readonly WindowPage[];
  /** What the query matches on the daemon, by status. */
  readonly matched: KeyCountsJson;
  /** Set by `g`/`G`: the end the cursor lands on with this window, once (`seq` tells jumps apart). */
  readonly landing?: { readonly to: 'start' | 'end'; readonly seq: number };
};

const SERVER_SORT = { name: 'name', created: 'newest', lastUsed: 'lastUsed', uses: 'uses24h', status: 'status', owner: 'owner' } as const satisfies Record<SortId, KeyListParams['sort']>;

/** The list parameters of a table query. */
export function listParams(query: WindowQuery): Pick<KeyListParams, 'sort' | 'reverse' | 'filter'> {
  const filter = query.filter.trim();
  return { sort: SERVER_SORT[query.sort], reverse: query.reversed, ...(filter && { filter }) };
}

export function sameQuery(a: WindowQuery, b: WindowQuery): boolean {
  return a.sort === b.sort && a.reversed === b.reversed && a.filter.trim() === b.filter.trim();
}

export function pageOf(page: { keys: readonly KeyJson[]; prevCursor: string | null; nextCursor: string | null }): WindowPage {
  return { ids: page.keys.map((k) => k.id), prev: page.prevCursor, next: page.nextCursor };
}

/** The window's rows, as the collection holds them now (live events apply there); deleted ones gone. */
export function windowRows(window: KeyWindow, keys: ReadonlyMap<string, KeyJson>): KeyJson[] {
  const rows: KeyJson[] = [];
  for (const page of window.pages) for (const id of page.ids) {
    const key = keys.get(id);
    if (key) rows.push(key);
  }
  return rows;
}

/** The ids of the window's rows, in order. */
export function windowIds(window: KeyWindow): string[] {
  return window.pages.flatMap((p) => p.ids);
}

export const atStart = (window: KeyWindow): boolean => window.pages[0]?.prev == null;
export const atEnd = (window: KeyWindow): boolean => window.pages[window.pages.length - 1]?.next == null;

/**
 * Whether `move` from row `index` of the window's `total` rows needs rows it does not hold: `g`
 * or `G` towards an end it does not reach, or a step past its first or last row.
 */
export function pastHeld(window: KeyWindow, move: Move, index: number, total: number): boolean {
  if (move === 'top') return !atStart(window);
  if (move === 'bottom') return !atEnd(window);
  const down = move === 'pageDown' || (typeof move === 'number' && move > 0);
  return down ? !atEnd(window) && index >= total - 1 : !atStart(window) && index <= 0;
}

/** `page` added after the window, dropping pages from the front beyond `maxPages`; and the ids dropped. */
export function appended(window: KeyWindow, page: WindowPage, maxPages: number): { window: KeyWindow; dropped: string[] } {
  const pages = [...window.pages, page];
  const cut = Math.max(0, pages.length - maxPages);
  return { window: { ...window, pages: pages.slice(cut) }, dropped: pages.slice(0, cut).flatMap((p) => p.ids) };
}

/** `page` added before the window, dropping pages from the end beyond `maxPages`; and the ids dropped. */
export function prepended(window: KeyWindow, page: WindowPage, maxPages: number): { window: KeyWindow; dropped: string[] } {
  const pages = [page, ...window.pages];
  return { window: { ...window, pages: pages.slice(0, maxPages) }, dropped: pages.slice(maxPages).flatMap((p) => p.ids) };
}

/**
 * Which way the window should grow for a cursor at `index` of its rows: the next page when
 * fewer than `margin` rows follow it, the previous when fewer precede it.
 */
export function growth(window: KeyWindow, index: number, margin: number): 'after' | 'before' | undefined {
  const total = window.pages.reduce((n, p) => n + p.ids.length, 0);
  if (!atEnd(window) && index >= total - margin) return 'after';
  if (!atStart(window) && index < margin) return 'before';
  return undefined;
}
