/** Reads a key's usage: per-minute buckets (zeros filled in) and its callers. */
import { KeywardError } from '../errors.js';
import { iso } from '../http/openapi.js';
import type { Store } from '../store.js';
import { callerLabel } from './callers.js';
import type { UsageTracker } from './tracker.js';

export class UsageService {
  constructor(
    private readonly store: Store,
    private readonly tracker: UsageTracker,
    private readonly now: () => number,
  ) {}

  async forKey(keyId: string, minutes: number) {
    await this.tracker.flushForRead();
    if (!(await this.store.getKey(keyId))) throw new KeywardError('not_found', `No key with id ${keyId}`);
    const last = Math.floor(this.now() / 60_000);
    const first = last - minutes + 1;
    const stored = new Map((await this.store.usageBuckets(keyId, first)).map((b) => [b.minute, b]));
    const buckets = Array.from({ length: minutes }, (_, i) => {
      const minute = first + i;
      const b = stored.get(minute);
      return { start: iso(minute * 60_000), ok: b?.ok ?? 0, rejected: b?.rejected ?? 0 };
    });
    const callers = (await this.store.callers(keyId)).map((c) => ({
      caller: callerLabel(c.caller),
      firstSeenAt: iso(c.firstSeenAt),
      lastSeenAt: iso(c.lastSeenAt),
      ok: c.ok,
      rejected: c.rejected,
    }));
    return { buckets, callers };
  }
}
