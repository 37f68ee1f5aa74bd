/**
 * Spans of time as people write and read them (`90s`, `10m`, `1h30m`, `3m12s`): the rotation
 * watch window is chosen this way in the CLI and the TUI and shown this way by the daemon's
 * guard messages. Pure, shared by all three.
 */

const UNITS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
const SPAN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `10m` → 600000, `1h30m` → 5400000; a bare number is minutes. Undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (/^\d+$/.test(value)) return Number(value) * UNITS.m;
  const match = SPAN.exec(value);
  if (!match || value === '') return undefined;
  const [, d, h, m, s] = match;
  return Number(d ?? 0) * UNITS.d + Number(h ?? 0) * UNITS.h + Number(m ?? 0) * UNITS.m + Number(s ?? 0) * UNITS.s;
}

/**
 * `3m12s`, `10m`, `1h5m`, `2d3h`: the two largest units that are not zero, whole seconds
 * rounded down (a countdown never claims more time has passed than has).
 */
export function formatDuration(ms: number): string {
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
