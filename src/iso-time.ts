/**
 * A time as a person types it for an expiry or a scheduled step, read as ISO-8601 and nothing
 * else: `Date.parse` also reads `12/31/2030` and `2030-1-5`, and rolls `2030-02-30` over to
 * March 2, so a typo became another day without a word. Shared by the CLI's flags and the TUI's
 * forms. Pure.
 */

// A date; optionally a time to the minute, second or fraction; then optionally Z or an offset.
const ISO =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?:T(?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2})(?:\.(?<fraction>\d+))?)?(?<zone>Z|(?<sign>[+-])(?<zoneHours>\d{2}):?(?<zoneMinutes>\d{2}))?)?$/i;

function daysIn(year: number, month: number): number {
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  return last.getUTCDate();
}

/**
 * `2030-12-31`, `2030-12-31T12:00Z`, `2030-12-31T12:00:00.5+02:00` → milliseconds since the
 * epoch; undefined for any other form and for a day or time that does not exist (Feb 30, month
 * 13, 24:00). A bare date is midnight UTC and a date-time without a zone is local time, as
 * JavaScript reads both.
 */
export function parseIsoTime(text: string): number | undefined {
  const parts = ISO.exec(text)?.groups;
  if (!parts) return undefined;
  const n = (name: string) => Number(parts[name] ?? 0);
  const [year, month, day, hour, minute, second] = [n('year'), n('month'), n('day'), n('hour'), n('minute'), n('second')];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  if (n('zoneHours') > 23 || n('zoneMinutes') > 59) return undefined;
  const ms = Number((parts.fraction ?? '').slice(0, 3).padEnd(3, '0'));
  // The setters rather than the Date constructor, which reads years 0–99 as 1900–1999.
  const at = new Date(0);
  if (parts.hour !== undefined && parts.zone === undefined) {
    at.setFullYear(year, month - 1, day);
    at.setHours(hour, minute, second, ms);
    return at.getTime();
  }
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(hour, minute, second, ms);
  const offsetMinutes = (parts.sign === '-' ? -1 : 1) * (n('zoneHours') * 60 + n('zoneMinutes'));
  return at.getTime() - offsetMinutes * 60_000;
}
