/**
 * Durations as people type and read them, shared by the daemon's messages, the CLI and the
 * TUI: spans typed as `30s`, `1m`, `1d` (flags, the TUI's forms), and time watched and left as a
 * countdown (`3m12s`, `10m`, `1h5m`: the rotation's watch window), and times relative to now
 * (`5m ago`, `in 1d23h`). Pure.
 */

const UNITS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

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

const TYPED_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const TYPED = /^(\d*)([smhd]?)$/;

/** `30s`, `1m`, `m` (one minute), `90` (seconds) → seconds; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const match = TYPED.exec(text.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  return Number(match[1] === '' ? 1 : match[1]) * TYPED_UNITS[match[2] || 's']!;
}

/** `3600` → `1h`, `90` → `90s`: the largest unit that divides it (what `parseDuration` reads back). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/**
 * `just now`, `5m ago`, `3h ago`, `2d ago`; a future time as the time left in its two largest
 * units, `in 1d23h`: one unit rounded down would say `in 1d` of a key with two days left less a
 * minute, and the TUI, which rounds up, `expires 2d`.
 */
export function ago(iso: string | null, now: number, none = 'never'): string {
  if (iso === null) return none;
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  if (ms <= -60_000) return `in ${formatElapsed(-ms)}`;
  if (ms < 60_000) return 'just now';
  const text = ms < 3_600_000 ? `${Math.floor(ms / 60_000)}m` : ms < 86_400_000 ? `${Math.floor(ms / 3_600_000)}h` : `${Math.floor(ms / 86_400_000)}d`;
  return `${text} ago`;
}
