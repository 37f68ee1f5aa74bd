/**
 * Whole numbers as en-US writes them, `1,000,000`, for the limits in the daemon's messages and
 * the CLI's counts. Not `toLocaleString`: its first call loads ICU's locale data, which cost
 * 40–100 ms of the daemon's start-up and of every CLI command that builds a schema, for a comma.
 */
export function withThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}
