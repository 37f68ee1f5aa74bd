/**
 * Where the table's cursor is over the rows as drawn, remembered in the view so it stays on its
 * key (or its place, when the key goes) as the rows change under it.
 */
import { useEffect } from 'react';
import type { KeyJson } from '../../client/client.js';
import { resolveCursor } from '../state/cursor.js';
import type { TableView } from '../state/table.js';

export function useTableCursor(rows: readonly KeyJson[], view: TableView, setView: (next: (current: TableView) => TableView) => void, currentView: () => TableView, height: number, keepRow = false) {
  const cursor = resolveCursor(rows, view, height, keepRow);
  const selected = rows[cursor.index];
  useEffect(() => {
    if (selected && (view.cursorId !== selected.id || view.cursorIndex !== cursor.index || view.offset !== cursor.offset)) {
      setView((v) => ({ ...v, cursorId: selected.id, cursorIndex: cursor.index, offset: cursor.offset }));
    }
  }, [selected, cursor.index, cursor.offset, view.cursorId, view.cursorIndex, view.offset, setView]);
  /** The key under the cursor now, also between a keypress and its redraw. */
  const selectedNow = (): KeyJson | undefined => rows[resolveCursor(rows, currentView(), height, keepRow).index];
  return { cursor, selectedNow };
}
