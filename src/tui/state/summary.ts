/**
 * The header's second line: what the table holds, fitted to the terminal. Its parts are drawn
 * in one order (counts, open alerts, attention, rotations, sort, filter) but kept in another
 * when the line is too wide: a filter in force explains why only some keys show, so it
 * outlasts the counts' breakdown, the sort and the rotations. A part is shortened or dropped
 * whole rather than cut mid-word at the right edge, where the filter stood and was lost first.
 * Before the keys are read (the daemon's store down at the start) it counts nothing: zero
 * keys would be a claim.
 */
import { plural, withThousands } from '../../thousands.js';
import { fit, widthOf } from '../format.js';
import type { AttentionCounts } from './attention.js';

export type SummaryInput = {
  /** Whether the keys were read at all: until then the counts are unknown, not zero. */
  readonly loaded: boolean;
  readonly active: number;
  readonly inactive: number;
  readonly attention: AttentionCounts;
  readonly rotating: number;
  /** Alerts not acknowledged yet. */
  readonly alerts: number;
  /** The sort as drawn, `name ▲`. */
  readonly sort: string;
  readonly filter: string;
  readonly shown: number;
};

const KINDS = ['counts', 'alerts', 'attention', 'rotating', 'sort', 'filter'] as const;
export type SummaryPart = { readonly kind: (typeof KINDS)[number]; readonly text: string };

const SEPARATOR = ' · ';
const REASONS = ['leaked', 'tripped', 'expired', 'expiring', 'unused'] as const;

/** The parts that fit `width` columns, in the order drawn; the first is always the counts. */
export function summaryParts(input: SummaryInput, width: number): SummaryPart[] {
  const { attention } = input;
  const total = input.active + input.inactive;
  const flagged = REASONS.reduce((sum, reason) => sum + attention[reason], 0);
  // Only the reasons some key has: a row of zeros would take the room of the sort and the filter.
  const reasons = REASONS.filter((reason) => attention[reason] > 0)
    .map((reason) => `${withThousands(attention[reason])} ${reason}`)
    .join(', ');
  const keys = plural(total, 'key');
  // Until the keys are read every form of the counts says so: zero keys would be a claim.
  const counted = (text: string) => (input.loaded ? text : 'keys not loaded yet');
  const shownOf = input.loaded ? `: ${withThousands(input.shown)} of ${withThousands(total)}` : '';
  const parts: Record<SummaryPart['kind'], string | undefined> = {
    counts: counted(`${keys}: ${withThousands(input.active)} active, ${withThousands(input.inactive)} inactive`),
    alerts: input.alerts > 0 ? `! ${plural(input.alerts, 'open alert')}` : undefined,
    attention: flagged > 0 ? `⚠ ${withThousands(flagged)} need attention (${reasons})` : undefined,
    rotating: input.rotating > 0 ? `↻ ${input.rotating} rotating` : undefined,
    sort: `sort: ${input.sort}`,
    filter: input.filter ? `filter "${input.filter}"${shownOf}` : undefined,
  };
  const drawn = (): SummaryPart[] =>
    KINDS.flatMap((kind) => {
      const text = parts[kind];
      return text === undefined ? [] : [{ kind, text }];
    });
  const overflow = () => widthOf(drawn().map((part) => part.text).join(SEPARATOR)) - width;
  // Each step frees room while the line is too wide, the least telling first: a part and what
  // it becomes (undefined: dropped).
  const steps: [SummaryPart['kind'], () => string | undefined][] = [
    ['counts', () => counted(input.inactive > 0 ? `${keys}, ${withThousands(input.inactive)} inactive` : keys)],
    ['attention', () => parts.attention && `⚠ ${withThousands(flagged)} need attention`],
    ['sort', () => undefined],
    ['rotating', () => undefined],
    ['attention', () => undefined],
    // The filter's own text gives way before its numbers, which say why rows are missing.
    ['filter', () => parts.filter && `filter "${fit(input.filter, Math.max(2, widthOf(input.filter) - overflow())).trimEnd()}"${shownOf}`],
    ['counts', () => counted(keys)],
    ['alerts', () => undefined],
  ];
  const taken: { kind: SummaryPart['kind']; before: string | undefined; after: string | undefined }[] = [];
  for (const [kind, reduce] of steps) {
    if (overflow() <= 0) break;
    const before = parts[kind];
    parts[kind] = reduce();
    taken.push({ kind, before, after: parts[kind] });
  }
  // The step that made the line fit may have freed more than it needed: a part shortened before
  // it gets its words back where they fit again, the most telling first. A dropped part stays
  // dropped, or a less telling one would return beside the gap of a more telling one.
  for (const { kind, before, after } of taken.slice(0, -1).reverse()) {
    if (after === undefined || parts[kind] !== after) continue;
    parts[kind] = before;
    if (overflow() > 0) parts[kind] = after;
  }
  return drawn();
}
