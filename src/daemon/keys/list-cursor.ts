/**
 * The key list's cursors: the sort, its direction and the sort key of one row, as base64url
 * JSON. A cursor names its sort so that one taken from another order (or direction) is refused
 * instead of silently landing somewhere else. The cursors lists gave out before sorts (`[at,
 * id]`, see ../cursor.ts) still page the default order.
 */
import { positionOf, sortOf } from '../db/key-list.js';
import { KeywardError } from '../errors.js';
import { KEY_SORTS, type KeySort, type KeyView, type SortPosition } from '../store.js';

type Order = { sort: KeySort; reverse: boolean };

export function encodeKeyCursor(order: Order, row: KeyView): string {
  return Buffer.from(JSON.stringify({ s: order.sort, r: order.reverse ? 1 : 0, p: positionOf(order.sort, row) })).toString('base64url');
}

/** The position a cursor names in `order`; `invalid_request` on `path` for anything else. */
export function decodeKeyCursor(cursor: string, order: Order, path: 'cursor' | 'before'): SortPosition {
  const parsed = parse(cursor);
  if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
    // An `[at, id]` cursor from before sorts: the default order, oldest first.
    const legacy = sortOf({});
    if (order.sort === legacy.sort && order.reverse === legacy.reverse) return [-parsed[0], parsed[1]];
    throw refused(path, 'belongs to the default order, not this sort');
  }
  if (isCursor(parsed)) {
    if (parsed.s !== order.sort || (parsed.r === 1) !== order.reverse) throw refused(path, `belongs to another sort (${parsed.s}${parsed.r ? ', reversed' : ''})`);
    return parsed.p;
  }
  throw refused(path, 'is not a cursor this daemon gave out');
}

function parse(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The types of each sort's key, so that a forged cursor never reaches SQL with the wrong type. */
const SHAPES: Record<KeySort, readonly ('number' | 'string')[]> = {
  name: ['string'],
  newest: ['number', 'string'],
  lastUsed: ['number', 'string'],
  uses24h: ['number', 'string'],
  status: ['string', 'string'],
  owner: ['string', 'string'],
};

function isCursor(v: unknown): v is { s: KeySort; r: 0 | 1; p: SortPosition } {
  if (typeof v !== 'object' || v === null) return false;
  const { s, r, p } = v as Record<string, unknown>;
  if (typeof s !== 'string' || !(KEY_SORTS as readonly string[]).includes(s) || (r !== 0 && r !== 1) || !Array.isArray(p)) return false;
  const shape = SHAPES[s as KeySort];
  return p.length === shape.length && p.every((x, i) => typeof x === shape[i] && (typeof x !== 'number' || Number.isSafeInteger(x)));
}

function refused(path: 'cursor' | 'before', message: string): KeywardError {
  return new KeywardError('invalid_request', `The ${path} ${message}; start again from the first page`, [{ path, message }]);
}
