/**
 * The TUI's window over a large key list stays bounded (src/tui/state/window.ts): a page added
 * after the window drops pages from its front beyond `maxPages`, a page added before it drops
 * pages from its end, and each says which ids it dropped so the collection lets go of them.
 */
import { describe, expect, it } from 'vitest';
import { appended, atEnd, atStart, pastHeld, prepended, windowIds, type KeyWindow, type WindowPage } from '../../src/tui/state/window.js';

/** Page `n` of a list in pages of two rows, with the cursors that continue it. */
const page = (n: number): WindowPage => ({ ids: [`k${2 * n}`, `k${2 * n + 1}`], prev: n === 0 ? null : `before-${n}`, next: `after-${n}` });
const windowOf = (...pages: WindowPage[]): KeyWindow => ({ query: { sort: 'name', reversed: false, filter: '' }, pages, matched: { total: 100, active: 100, inactive: 0 } });

describe('appended', () => {
  it('keeps every page up to maxPages, dropping none', () => {
    const { window, dropped } = appended(windowOf(page(0), page(1)), page(2), 3);
    expect(window.pages).toEqual([page(0), page(1), page(2)]);
    expect(dropped).toEqual([]);
  });

  it('drops pages from the front beyond maxPages, and names their ids', () => {
    const { window, dropped } = appended(windowOf(page(0), page(1), page(2)), page(3), 2);
    expect(window.pages).toEqual([page(2), page(3)]);
    expect(dropped).toEqual(['k0', 'k1', 'k2', 'k3']);
    // The window no longer starts the list: paging back up fetches the dropped pages again.
    expect(atStart(window)).toBe(false);
    expect(window.pages[0]!.prev).toBe('before-2');
  });

  it('never holds more than maxPages pages, however far it grows', () => {
    let window = windowOf(page(0));
    const gone: string[] = [];
    for (let n = 1; n < 20; n++) {
      const grown = appended(window, page(n), 4);
      window = grown.window;
      gone.push(...grown.dropped);
      expect(window.pages.length).toBe(Math.min(n + 1, 4));
    }
    expect(windowIds(window)).toEqual(['k32', 'k33', 'k34', 'k35', 'k36', 'k37', 'k38', 'k39']);
    // Every row is either held or dropped, once.
    expect([...gone, ...windowIds(window)]).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`));
  });
});

describe('prepended', () => {
  it('keeps every page up to maxPages, dropping none', () => {
    const { window, dropped } = prepended(windowOf(page(5), page(6)), page(4), 3);
    expect(window.pages).toEqual([page(4), page(5), page(6)]);
    expect(dropped).toEqual([]);
  });

  it('drops pages from the end beyond maxPages, and names their ids', () => {
    const last = { ...page(7), next: null };
    expect(atEnd(windowOf(page(5), page(6), last))).toBe(true);
    const { window, dropped } = prepended(windowOf(page(5), page(6), last), page(4), 2);
    expect(window.pages).toEqual([page(4), page(5)]);
    expect(dropped).toEqual(['k12', 'k13', 'k14', 'k15']);
    // The window no longer ends the list: paging back down fetches the dropped pages again.
    expect(atEnd(window)).toBe(false);
  });

  it('never holds more than maxPages pages, however far it grows', () => {
    let window = windowOf(page(19));
    const gone: string[] = [];
    for (let n = 18; n >= 0; n--) {
      const grown = prepended(window, page(n), 4);
      window = grown.window;
      gone.push(...grown.dropped);
      expect(window.pages.length).toBe(Math.min(20 - n, 4));
    }
    expect(windowIds(window)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
    expect(atStart(window)).toBe(true);
    expect([...windowIds(window), ...gone].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`).sort());
  });
});

describe('pastHeld', () => {
  // Pages 1 and 2 of a longer list: rows k2…k5, with more before and after.
  const middle = windowOf(page(1), page(2));
  const last = { ...page(2), next: null };

  it('says g or G needs the daemon only towards an end the window does not reach', () => {
    expect(pastHeld(middle, 'top', 2, 4)).toBe(true);
    expect(pastHeld(middle, 'bottom', 2, 4)).toBe(true);
    expect(pastHeld(windowOf(page(0)), 'top', 1, 2)).toBe(false);
    expect(pastHeld(windowOf(page(1), last), 'bottom', 0, 4)).toBe(false);
  });

  it('says a step needs the daemon only from the first or last row held, towards rows not held', () => {
    expect(pastHeld(middle, 1, 2, 4), 'a row held below').toBe(false);
    expect(pastHeld(middle, 1, 3, 4), 'down from the last row held').toBe(true);
    expect(pastHeld(middle, 'pageDown', 3, 4)).toBe(true);
    expect(pastHeld(middle, -1, 0, 4), 'up from the first row held').toBe(true);
    expect(pastHeld(middle, 'pageUp', 1, 4)).toBe(false);
    expect(pastHeld(windowOf(page(1), last), 1, 3, 4), 'the list ends there').toBe(false);
    expect(pastHeld(windowOf(page(0)), -1, 0, 2), 'the list starts there').toBe(false);
  });
});
