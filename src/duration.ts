/**
 * Time watched and left as a person reads a countdown (`3m12s`, `10m`, `1h5m`): the rotation's
 * watch window in the daemon's guard messages, the CLI and the TUI. Pure, shared by all three.
 * (Durations typed on the command line are read by `parseDuration` in cli/policy-flags.ts.)
 */

const UNITS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
const SPAN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * `3m12s`, `10m`, `1h5m`, `2d3h`: the two largest units that are not zero, whole seconds
 * rounded down (a countdown never claims more time has passed than has).
 */
export function formatElapsed(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000)) * 1000;
  const parts: string[] = [];
  for (const [unit, size] of Object.entries(UNITS)) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  const shown = parts.filter((p, i) => i === 0 || !p.startsWith('0'));
  return shown.length ? shown.join('') : '0s';
}
