/**
 * Rate limits per key, counted in memory by each verifying process (a daemon or a replica):
 * N processes may each let `limit` through. A sliding window counter (the weighted
 * sum of the previous and the current fixed window, as Cloudflare and Unkey count): O(1)
 * memory per key whatever the limit, and close to a true sliding window for real traffic.
 * Windows are aligned to multiples of their length since the epoch, so every process agrees
 * where they start. Only accepted requests are counted: a client hammering a limited key
 * does not push its own recovery further away.
 */

export type RateLimit = { limit: number; windowSeconds: number };

/** What a verify reports about a key's rate limit. */
export type RateLimitState = {
  limit: number;
  windowSeconds: number;
  /** Requests left in the sliding window now (after this one, when it was accepted). */
  remaining: number;
  /** Seconds until the current fixed window ends and its count starts to fade. */
  resetSeconds: number;
};

type Window = { windowMs: number; start: number; previous: number; current: number };

/** An allowed request, counted on `commit()`; a class, so a verify allocates no closure for it. */
class Allowed {
  readonly allowed = true;
  constructor(
    readonly state: RateLimitState,
    private readonly window: Window,
  ) {}

  commit(): void {
    this.window.current++;
  }
}

export type RateDecision = Allowed | { allowed: false; state: RateLimitState; retryAfterSeconds: number };

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  /**
   * Whether one more request for `keyId` fits `rule` at `now`. An allowed request counts only
   * once `commit()` is called, so a later check (the quota) can still turn it away for free.
   */
  check(keyId: string, rule: RateLimit, now: number): RateDecision {
    const windowMs = rule.windowSeconds * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    let w = this.windows.get(keyId);
    if (!w || w.windowMs !== windowMs) {
      w = { windowMs, start, previous: 0, current: 0 };
      this.windows.set(keyId, w);
    } else if (w.start !== start) {
      w.previous = start - w.start === windowMs ? w.current : 0;
      w.current = 0;
      w.start = start;
    }
    const elapsed = now - start;
    const weighted = (w.previous * (windowMs - elapsed)) / windowMs + w.current;
    const resetSeconds = Math.max(1, Math.ceil((windowMs - elapsed) / 1000));
    if (weighted + 1 > rule.limit) {
      const state = { limit: rule.limit, windowSeconds: rule.windowSeconds, remaining: 0, resetSeconds };
      return { allowed: false, state, retryAfterSeconds: Math.max(1, Math.ceil(waitMs(w, rule.limit, elapsed) / 1000)) };
    }
    const state = { limit: rule.limit, windowSeconds: rule.windowSeconds, remaining: Math.max(0, Math.floor(rule.limit - weighted - 1)), resetSeconds };
    return new Allowed(state, w);
  }

  /** Forgets a key's counts (it was deleted). */
  forget(keyId: string): void {
    this.windows.delete(keyId);
  }
}

/**
 * How long until one more request fits, if no other is accepted meanwhile: the previous
 * window's weight must fade enough, or, when the current window alone is full, the wait runs
 * into the next window, where the current count becomes the one that fades.
 */
function waitMs(w: Window, limit: number, elapsed: number): number {
  const room = limit - 1 - w.current;
  if (room >= 0) {
    // previous × (windowMs − e) / windowMs ≤ room  ⇔  e ≥ windowMs × (1 − room / previous)
    return Math.max(0, w.windowMs * (1 - room / w.previous) - elapsed);
  }
  const untilNext = w.windowMs - elapsed;
  return untilNext + Math.max(0, w.windowMs * (1 - (limit - 1) / w.current));
}
