/**
 * A cursor over a list that changes under it (live updates): it follows the item it is on by
 * id, falls back to its position when that item goes, and keeps a viewport `height` rows
 * tall around itself, scrolling as little as possible.
 */
export type Cursor = {
  /** The item under the cursor. */
  readonly cursorId: string | null;
  /** Where the cursor was, for when its item disappears. */
  readonly cursorIndex: number;
  /** First row on screen. */
  readonly offset: number;
};

export type Move = number | 'top' | 'bottom' | 'pageUp' | 'pageDown';

export const START: Cursor = { cursorId: null, cursorIndex: 0, offset: 0 };

type Identified = { readonly id: string };

function clamp(n: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, n));
}

function scrolled(index: number, offset: number, height: number, count: number): number {
  const rows = Math.max(1, height);
  let next = offset;
  if (index < next) next = index;
  if (index >= next + rows) next = index - rows + 1;
  return clamp(next, 0, Math.max(0, count - rows));
}

/**
 * Where the cursor is in `rows` now (-1 when empty), and the offset that shows it. With
 * `keepRow` (a window of a longer list, whose rows shift as pages come and go) a cursor whose
 * item moved keeps its line on screen: the view moves with it.
 */
export function resolveCursor(rows: readonly Identified[], cursor: Cursor, height: number, keepRow = false): { index: number; offset: number } {
  if (rows.length === 0) return { index: -1, offset: 0 };
  let index = cursor.cursorIndex;
  let offset = cursor.offset;
  if (cursor.cursorId !== null && rows[index]?.id !== cursor.cursorId) {
    const found = rows.findIndex((r) => r.id === cursor.cursorId);
    if (found >= 0) {
      if (keepRow) offset += found - index;
      index = found;
    }
  }
  index = clamp(index, 0, rows.length - 1);
  return { index, offset: scrolled(index, offset, height, rows.length) };
}

export function moveCursor<C extends Cursor>(rows: readonly Identified[], cursor: C, move: Move, height: number, keepRow = false): C {
  if (rows.length === 0) return cursor;
  const { index, offset } = resolveCursor(rows, cursor, height, keepRow);
  const page = Math.max(1, height - 1);
  const target =
    move === 'top' ? 0 : move === 'bottom' ? rows.length - 1 : move === 'pageUp' ? index - page : move === 'pageDown' ? index + page : index + move;
  const next = clamp(target, 0, rows.length - 1);
  return { ...cursor, cursorId: rows[next]!.id, cursorIndex: next, offset: scrolled(next, offset, height, rows.length) };
}
