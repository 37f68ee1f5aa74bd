/**
 * Whole numbers as en-US writes them, `1,000,000`, for the limits in the daemon's messages and
 * the counts the CLI and the TUI show. Not `toLocaleString`: its first call loads ICU's locale
 * data, which cost 40–100 ms of the daemon's start-up and of every CLI command that builds a
 * schema, for a comma.
 */
export function withThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** `1 key`, `3 keys`, `1,500 times`. */
export function plural(count: number, noun: string): string {
  return `${withThousands(count)} ${noun}${count === 1 ? '' : 's'}`;
}
