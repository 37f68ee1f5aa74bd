/**
 * How much a key was used in the last hour, and by whom last, in the words the TUI's questions
 * and the CLI's deactivate and delete share: what a deactivation would break (accepted uses),
 * or that something still presents a key about to be deleted (every presentation). Pure.
 */
import { isAddedUpLabel } from './caller-label.js';
import type { UsageJson } from './client/client.js';
import { ago } from './duration.js';
import { plural } from './thousands.js';

/** The window looked back over, in minutes: what `GET /v1/keys/{id}/usage?minutes=` is asked. */
export const RECENT_USE_MINUTES = 60;

/**
 * `It was accepted 1,500 times in the last hour, last by orders 2m ago` (`accepted`: only uses
 * it verified for, the last caller one it verified for), or `presented` counting refusals too;
 * undefined when there were none or usage could not be read.
 */
export function recentUse(usage: UsageJson | undefined, now: number, counted: 'accepted' | 'presented'): string | undefined {
  const accepted = counted === 'accepted';
  const times = usage?.buckets.reduce((n, b) => n + b.ok + (accepted ? 0 : b.rejected), 0) ?? 0;
  if (!usage || times === 0) return undefined;
  const since = now - RECENT_USE_MINUTES * 60_000;
  const last = usage.callers
    .filter((c) => Date.parse(c.lastSeenAt) >= since && (!accepted || c.ok > 0) && !isAddedUpLabel(c.caller))
    .sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt))[0];
  const who = last ? `, last by ${last.caller} ${ago(last.lastSeenAt, now)}` : '';
  return `It was ${counted} ${plural(times, 'time')} in the last hour${who}`;
}
