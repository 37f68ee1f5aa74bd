/**
 * The opaque cursors of paged lists (keys, tombstones, alerts): the sort position of the last
 * row of a page, a time and an id, as base64url JSON. A cursor the daemon did not give out is
 * an `invalid_request`.
 */
import { KeywardError } from './errors.js';

export type Position = { at: number; id: string };

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'number' && typeof id === 'string') return { at, id };
  } catch {
    // fall through to the error below
  }
  throw new KeywardError('invalid_request', 'The cursor is not one this daemon gave out', [{ path: 'cursor', message: 'is invalid' }]);
}

/** A page of `limit` from `rows` fetched with one extra, and the cursor to the next page (null on the last). */
export function pageOf<T>(rows: T[], limit: number, position: (row: T) => Position): { page: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { page, nextCursor: more ? encodeCursor(position(page[page.length - 1]!)) : null };
}
