/**
 * Quotas: a key may be used `remaining` more times; a refill, when set, puts `remaining` back
 * to `amount` (it does not add up) every `intervalSeconds`, counted from when the quota was
 * set. Each verifying process takes uses from its own `QuotaLedger` in memory; the uses go to
 * the store with the usage flush, where `settle` subtracts them, never below zero. Several
 * processes therefore overshoot a quota by at most what they accept in one flush interval.
 *
 * Every use carries the quota's `setAt` (when an operator last set it) and its refill
 * `period`: uses counted before an operator reset the quota, or in a period a refill has since
 * replaced, no longer count against it.
 */

export type QuotaRefill = { amount: number; intervalSeconds: number };

/** A key's quota as the store keeps it. */
export type StoredQuota = {
  remaining: number;
  refill: QuotaRefill | null;
  /** Start of the current refill period (the time the quota was set, plus whole intervals). */
  refilledAt: number;
  /** When an operator last set the quota: the counters of older settings no longer apply. */
  setAt: number;
};

/** Uses of one key's quota in one refill period, as a flush carries them to the store. */
export type QuotaUse = { keyId: string; setAt: number; period: number; used: number };

/** `quota` at `now`: after any refill due since `refilledAt`. */
export function refilled<Q extends StoredQuota>(quota: Q, now: number): Q {
  if (!quota.refill) return quota;
  const intervalMs = quota.refill.intervalSeconds * 1000;
  const periods = Math.floor((now - quota.refilledAt) / intervalMs);
  if (periods <= 0) return quota;
  return { ...quota, remaining: quota.refill.amount, refilledAt: quota.refilledAt + periods * intervalMs };
}

/** When the next refill happens, or null without one. */
export function nextRefillAt(quota: StoredQuota): number | null {
  return quota.refill ? quota.refilledAt + quota.refill.intervalSeconds * 1000 : null;
}

/**
 * The stored quota once a flush's `use` is taken from it: brought to the use's refill period
 * first (refills with no use need not be stored: readers apply them), then the use subtracted
 * if it was counted against this setting and this period; never below zero.
 */
export function settle(stored: StoredQuota, use: Omit<QuotaUse, 'keyId'>): StoredQuota {
  if (use.setAt !== stored.setAt) return stored;
  const current = refilled(stored, use.period);
  if (use.period !== current.refilledAt) return current;
  return { ...current, remaining: Math.max(0, current.remaining - use.used) };
}

type Live = StoredQuota & { used: number };

/** An allowed use, taken on `commit()`; a class, so a verify allocates no closure for it. */
class Allowed {
  readonly allowed = true;
  readonly remaining: number;
  constructor(private readonly state: Live) {
    this.remaining = state.remaining - 1;
  }

  commit(): void {
    this.state.remaining--;
    this.state.used++;
  }
}

export type QuotaDecision = Allowed | { allowed: false; retryAfterSeconds: number | null };

/** One process's view of the quotas it enforces, and the uses it has not flushed yet. */
export class QuotaLedger {
  private readonly live = new Map<string, Live>();

  /**
   * Whether `keyId` may be used once more at `now`. `quota` is the key's quota as last
   * written; the ledger keeps counting from it until an operator sets it again (a new
   * `setAt`). The use is taken only on `commit()`.
   */
  take(keyId: string, quota: StoredQuota, now: number): QuotaDecision {
    const state = this.current(keyId, quota, now);
    if (state.remaining <= 0) {
      const next = nextRefillAt(state);
      return { allowed: false, retryAfterSeconds: next === null ? null : Math.max(1, Math.ceil((next - now) / 1000)) };
    }
    return new Allowed(state);
  }

  private current(keyId: string, quota: StoredQuota, now: number): Live {
    let state = this.live.get(keyId);
    if (!state || state.setAt !== quota.setAt) {
      state = { ...quota, used: 0 };
      this.live.set(keyId, state);
    }
    const after = refilled(state, now);
    if (after !== state) {
      // A new period: uses of the old one are replaced by the refill, in the store too.
      Object.assign(state, { remaining: after.remaining, refilledAt: after.refilledAt, used: 0 });
    }
    return state;
  }

  /**
   * Counts uses another process took (a replica reports them with its acks) as if taken
   * here: they lower what this process sees left and go to the store with its next flush.
   * Uses of an older setting or of a refill period since replaced no longer count.
   */
  absorb(use: QuotaUse, quota: StoredQuota, now: number): void {
    if (use.setAt !== quota.setAt) return;
    const state = this.current(use.keyId, quota, now);
    if (use.period !== state.refilledAt) return;
    state.remaining = Math.max(0, state.remaining - use.used);
    state.used += use.used;
  }

  /** The uses counted since the last drain, for a flush; they are no longer pending. */
  drain(): QuotaUse[] {
    const uses: QuotaUse[] = [];
    for (const [keyId, state] of this.live) {
      if (state.used === 0) continue;
      uses.push({ keyId, setAt: state.setAt, period: state.refilledAt, used: state.used });
      state.used = 0;
    }
    return uses;
  }

  /** Puts back the uses of a flush that failed, unless the quota has moved on since. */
  restore(uses: readonly QuotaUse[]): void {
    for (const use of uses) {
      const state = this.live.get(use.keyId);
      if (state && state.setAt === use.setAt && state.refilledAt === use.period) state.used += use.used;
    }
  }

  /** `quota` as this process counts it at `now`, without taking anything. */
  peek(keyId: string, quota: StoredQuota, now: number): StoredQuota {
    const state = this.live.get(keyId);
    const { used: _used, ...live } = state && state.setAt === quota.setAt ? state : { ...quota, used: 0 };
    return refilled(live, now);
  }

  /** The keys this ledger counts for. */
  keyIds(): string[] {
    return [...this.live.keys()];
  }

  /**
   * Takes in the store's quotas after a flush, so this process sees what the others used:
   * the store's count, less what this process took since (still pending).
   */
  rebase(stored: ReadonlyArray<StoredQuota & { keyId: string }>, now: number): void {
    for (const { keyId, ...quota } of stored) {
      const state = this.live.get(keyId);
      if (!state || state.setAt !== quota.setAt) continue;
      const current = refilled(quota, Math.max(now, state.refilledAt));
      const pending = current.refilledAt === state.refilledAt ? state.used : 0;
      Object.assign(state, { remaining: Math.max(0, current.remaining - pending), refilledAt: current.refilledAt, used: pending });
    }
  }

  /** Forgets a key (it was deleted). */
  forget(keyId: string): void {
    this.live.delete(keyId);
  }
}
