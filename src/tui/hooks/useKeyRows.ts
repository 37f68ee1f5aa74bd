/**
 * The table's rows and cursor. Up to the feed's `fullLimit` every key is in the collection,
 * sorted and filtered here; above it the rows are the daemon's window around the cursor
 * (state/window.ts), which this hook keeps following the cursor, asking for the sort and
 * filter the view shows, and jumping to either end on g/G.
 */
import { useEffect, useMemo, useRef } from 'react';
import type { KeyJson } from '../../client/client.js';
import type { FeedSnapshot, KeyFeed } from '../feed.js';
import { moveCursor, type Move } from '../state/cursor.js';
import { deriveRows, type TableView } from '../state/table.js';
import { atEnd, atStart, pastHeld, windowRows } from '../state/window.js';
import { useTableCursor } from './useTableCursor.js';

export type KeyRowsInput = {
  feed: KeyFeed;
  snapshot: FeedSnapshot;
  view: TableView;
  setView: (next: (current: TableView) => TableView) => void;
  currentView: () => TableView;
  /** Table rows on screen. */
  height: number;
};

export function useKeyRows({ feed, snapshot, view, setView, currentView, height }: KeyRowsInput) {
  const { window } = snapshot;
  const { keys } = snapshot.collection;
  const rows: KeyJson[] = useMemo(
    () => (window ? windowRows(window, keys) : deriveRows(keys.values(), view.sort, view.filter, view.reversed)),
    [window, keys, view.sort, view.filter, view.reversed],
  );
  useEffect(() => feed.setQuery({ sort: view.sort, reversed: view.reversed, filter: view.filter }), [feed, view.sort, view.reversed, view.filter]);

  // A window fetched for g/G lands the cursor on its end in the very render that shows it, so
  // no frame of the old window's edge goes out first (frames are capped at 20 a second).
  const landed = useRef(0);
  const landing = window?.landing && window.landing.seq !== landed.current ? window.landing : undefined;
  // A window for a new sort or filter is its first page: the cursor goes to its top. Left where
  // it was (row 230 of the old order), it was clamped to the new page's last row, which read as
  // the start of the list.
  const windowQuery = window && JSON.stringify(window.query);
  const lastQuery = useRef(windowQuery);
  const requeried = windowQuery !== undefined && lastQuery.current !== undefined && windowQuery !== lastQuery.current;
  const landingAt = landing ? (landing.to === 'start' ? 0 : Number.MAX_SAFE_INTEGER) : requeried ? 0 : undefined;
  const shownView = landingAt === undefined ? view : { ...view, cursorId: null, cursorIndex: landingAt, offset: landingAt };
  useEffect(() => {
    lastQuery.current = windowQuery;
    if (landingAt === undefined) return;
    if (landing) landed.current = landing.seq;
    setView((v) => ({ ...v, cursorId: null, cursorIndex: landingAt, offset: landingAt }));
  }, [landing, landingAt, windowQuery, setView]);
  // A window's rows shift as its pages come and go, and the cursor's line stays put — except
  // with the list's first row on screen, where a key created above it comes into view, as in
  // a list held whole. Kept, it stayed above the screen until k or g.
  const keepRow = (at: TableView) => window !== undefined && !(atStart(window) && at.offset === 0);
  const { cursor, selectedNow } = useTableCursor(rows, shownView, setView, currentView, height, keepRow(shownView));
  useEffect(() => {
    if (window && cursor.index >= 0) feed.followCursor(cursor.index);
  }, [feed, window, cursor.index]);

  const moveTo = (move: Move) => {
    const jump = window && ((move === 'top' && !atStart(window)) || (move === 'bottom' && !atEnd(window)));
    if (!jump) return setView((v) => moveCursor(rows, v, move, height, keepRow(v)));
    // The far end of a window is another page: the cursor lands there with it (`landing`).
    feed.jump(move === 'top' ? 'start' : 'end');
  };
  /** Whether `move` needs rows the window does not hold (never without a window: every key is held). */
  const needsDaemon = (move: Move) => window !== undefined && pastHeld(window, move, cursor.index, rows.length);
  return { rows, cursor, selectedNow, moveTo, needsDaemon };
}
