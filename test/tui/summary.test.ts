/**
 * The header's second line at every width: nothing cut mid-part, the counts always, and a
 * filter in force kept (with its numbers) over the counts' breakdown, the sort, the rotations
 * and the attention, which give way in that order.
 */
import { describe, expect, it } from 'vitest';
import { widthOf } from '../../src/tui/format.js';
import { summaryParts, type SummaryInput } from '../../src/tui/state/summary.js';
import { MIN_COLUMNS } from '../../src/tui/screens/TooSmallScreen.js';

const NONE = { leaked: 0, tripped: 0, expired: 0, expiring: 0, unused: 0 };
const BIG: SummaryInput = { loaded: true, active: 100_001, inactive: 0, attention: NONE, rotating: 0, alerts: 1, sort: 'name ▲', filter: 'k4242', shown: 11 };
const BUSY: SummaryInput = { ...BIG, inactive: 12, attention: { ...NONE, leaked: 1, expiring: 2 }, rotating: 1 };

const line = (input: SummaryInput, width: number) =>
  summaryParts(input, width)
    .map((part) => part.text)
    .join(' · ');

describe('summaryParts', () => {
  it('draws every part whole when the line fits', () => {
    expect(line(BUSY, 200)).toBe(
      '100,013 keys: 100,001 active, 12 inactive · ! 1 open alert · ⚠ 3 need attention (1 leaked, 2 expiring) · ↻ 1 rotating · sort: name ▲ · filter "k4242": 11 of 100,013',
    );
    expect(line({ ...BIG, filter: '' }, 80), 'no filter, no attention: as before at 80 columns').toBe('100,001 keys: 100,001 active, 0 inactive · ! 1 open alert · sort: name ▲');
  });

  it('says the keys are not loaded yet rather than counting zero of them', () => {
    const unknown = { ...BIG, loaded: false, active: 0, inactive: 0, alerts: 0, filter: '' };
    expect(line(unknown, 80)).toBe('keys not loaded yet · sort: name ▲');
    expect(line(unknown, MIN_COLUMNS)).toBe('keys not loaded yet · sort: name ▲');
    expect(line({ ...unknown, filter: 'k42' }, 80), 'a filter, but no numbers it cannot know').toBe('keys not loaded yet · sort: name ▲ · filter "k42"');
  });

  it('keeps the filter at 80 columns by shortening the counts, where it used to be cut to "filt…"', () => {
    expect(line(BIG, 80)).toBe('100,001 keys · ! 1 open alert · sort: name ▲ · filter "k4242": 11 of 100,001');
    expect(line({ ...BIG, inactive: 3 }, 80)).toBe('100,004 keys, 3 inactive · ! 1 open alert · filter "k4242": 11 of 100,004');
  });

  it('gives way in order: the breakdowns, the sort, the rotations, the attention, the filter’s own text, the inactive count', () => {
    const seen = new Set<string>();
    for (let width = 200; width >= MIN_COLUMNS; width--) seen.add(summaryParts(BUSY, width).map((p) => p.kind).join(','));
    expect([...seen]).toEqual([
      'counts,alerts,attention,rotating,sort,filter',
      'counts,alerts,attention,rotating,filter',
      'counts,alerts,attention,filter',
      'counts,alerts,filter',
    ]);
    expect(line(BUSY, MIN_COLUMNS), 'the open alert outlasts all but the counts and the filter').toBe('100,013 keys · ! 1 open alert · filter "k…": 11 of 100,013');
    expect(line(BUSY, 110)).toBe('100,013 keys, 12 inactive · ! 1 open alert · ⚠ 3 need attention · ↻ 1 rotating · filter "k4242": 11 of 100,013');
  });

  it('shortens the counts before the attention, and nothing that would fit whole', () => {
    const viewer = { loaded: true, active: 7, inactive: 0, attention: { ...NONE, leaked: 1 }, rotating: 0, alerts: 4, sort: 'name ▲', filter: '', shown: 7 };
    expect(line(viewer, 80)).toBe('7 keys · ! 4 open alerts · ⚠ 1 need attention (1 leaked) · sort: name ▲');
    // Whatever a step dropped to make room, a part shortened before it is given back when it fits.
    for (const input of [BIG, BUSY, viewer]) {
      const whole = new Map(summaryParts(input, 1000).map((part) => [part.kind, part.text]));
      for (let width = MIN_COLUMNS; width <= 200; width++) {
        const parts = summaryParts(input, width);
        for (const [i, part] of parts.entries()) {
          if (part.kind === 'filter' || part.text === whole.get(part.kind)) continue;
          const restored = parts.map((p, j) => (j === i ? whole.get(p.kind)! : p.text)).join(' · ');
          expect(widthOf(restored), `${width}: ${part.kind} could be whole`).toBeGreaterThan(width);
        }
      }
    }
  });

  it('fits every width the TUI draws, cutting a long filter’s text but never its numbers', () => {
    const long = { ...BUSY, filter: 'a-very-long-filter-that-someone-pasted-'.repeat(3) };
    for (let width = MIN_COLUMNS; width <= 200; width++) {
      for (const input of [BIG, BUSY, long]) {
        const text = line(input, width);
        expect(widthOf(text), `${width}: ${text}`).toBeLessThanOrEqual(width);
        expect(text, `${width}: the filter's numbers`).toMatch(/": 11 of 100,0\d\d$/);
      }
    }
    expect(line(long, 80)).toBe('100,013 keys, 12 inactive · ! 1 open alert · filter "a-very-lon…": 11 of 100,013');
  });
});
