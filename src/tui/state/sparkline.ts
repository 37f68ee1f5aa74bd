/** Per-minute counts as a one-line bar chart. */
const BARS = '▁▂▃▄▅▆▇█';
const NONE = '·';

/**
 * One character per value, scaled to `max` (pass the same max for lines that are compared);
 * a zero is a dot so an idle minute is visibly different from a quiet one.
 */
export function sparkline(values: readonly number[], max = Math.max(0, ...values)): string {
  return values
    .map((v) => {
      if (v <= 0 || max <= 0) return NONE;
      const level = Math.ceil((Math.min(v, max) / max) * BARS.length) - 1;
      return BARS[Math.max(0, level)];
    })
    .join('');
}
