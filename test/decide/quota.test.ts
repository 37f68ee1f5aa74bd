/**
 * Quotas: taking uses in memory, exhaustion, refills on schedule (a refill sets, not adds),
 * never below zero, and settling a flush's uses in the store, across resets and periods.
 */
import { describe, expect, it } from 'vitest';
import { nextRefillAt, QuotaLedger, refilled, settle, type StoredQuota } from '../../src/decide/quota.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3_600_000;

function take(ledger: QuotaLedger, quota: StoredQuota, at: number, n = 1): number {
  let taken = 0;
  for (let i = 0; i < n; i++) {
    const d = ledger.take('key', quota, at);
    if (d.allowed) {
      d.commit();
      taken++;
    }
  }
  return taken;
}

describe('QuotaLedger', () => {
  const fixed: StoredQuota = { remaining: 3, refill: null, refilledAt: T0, setAt: T0 };
  const hourly: StoredQuota = { remaining: 3, refill: { amount: 5, intervalSeconds: 3600 }, refilledAt: T0, setAt: T0 };

  it('takes uses until none remain, then refuses for good without a refill', () => {
    const ledger = new QuotaLedger();
    const first = ledger.take('key', fixed, T0);
    expect(first).toMatchObject({ allowed: true, remaining: 2 });
    if (first.allowed) first.commit();
    expect(take(ledger, fixed, T0, 5)).toBe(2);
    expect(ledger.take('key', fixed, T0 + 1000 * HOUR)).toEqual({ allowed: false, retryAfterSeconds: null });
  });

  it('takes nothing for a decision that is not committed', () => {
    const ledger = new QuotaLedger();
    for (let i = 0; i < 10; i++) expect(ledger.take('key', fixed, T0).allowed).toBe(true);
    expect(ledger.drain()).toEqual([]);
  });

  it('refills to the amount on schedule and says when', () => {
    const ledger = new QuotaLedger();
    expect(take(ledger, hourly, T0, 10)).toBe(3);
    expect(ledger.take('key', hourly, T0 + HOUR - 1)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(ledger.take('key', hourly, T0 + 20 * 60_000)).toEqual({ allowed: false, retryAfterSeconds: 2400 });
    expect(take(ledger, hourly, T0 + HOUR, 10)).toBe(5);
    // Two idle intervals later: one refill to the amount, not two added up.
    expect(take(ledger, hourly, T0 + 3 * HOUR + 5, 20)).toBe(5);
  });

  it('drains pending uses with their setting and period, once', () => {
    const ledger = new QuotaLedger();
    take(ledger, hourly, T0 + 1, 2);
    expect(ledger.drain()).toEqual([{ keyId: 'key', setAt: T0, period: T0, used: 2 }]);
    expect(ledger.drain()).toEqual([]);
    take(ledger, hourly, T0 + 2, 1);
    take(ledger, hourly, T0 + HOUR + 1, 2);
    // The use of the replaced period is gone: the refill replaced it in the store too.
    expect(ledger.drain()).toEqual([{ keyId: 'key', setAt: T0, period: T0 + HOUR, used: 2 }]);
  });

  it('puts back the uses of a failed flush unless the period moved on', () => {
    const ledger = new QuotaLedger();
    take(ledger, hourly, T0, 2);
    const uses = ledger.drain();
    ledger.restore(uses);
    expect(ledger.drain()).toEqual(uses);
    ledger.restore(uses);
    take(ledger, hourly, T0 + HOUR, 1);
    ledger.restore(uses);
    expect(ledger.drain()).toEqual([{ keyId: 'key', setAt: T0, period: T0 + HOUR, used: 1 }]);
  });

  it('starts over when an operator sets the quota again', () => {
    const ledger = new QuotaLedger();
    take(ledger, fixed, T0, 3);
    expect(ledger.take('key', fixed, T0).allowed).toBe(false);
    const reset = { ...fixed, remaining: 2, setAt: T0 + 10 };
    expect(take(ledger, reset, T0 + 10, 5)).toBe(2);
    expect(ledger.drain()).toEqual([{ keyId: 'key', setAt: T0 + 10, period: T0, used: 2 }]);
  });

  it('rebases on the store, keeping what it took since the flush', () => {
    const ledger = new QuotaLedger();
    const big = { ...fixed, remaining: 100 };
    take(ledger, big, T0, 10);
    ledger.drain();
    take(ledger, big, T0, 5); // pending, not in the store yet
    // The store: 100 − 10 (ours) − 30 (another process's).
    ledger.rebase([{ keyId: 'key', ...big, remaining: 60 }], T0);
    expect(ledger.take('key', big, T0)).toMatchObject({ allowed: true, remaining: 54 });
    expect(ledger.drain()).toEqual([{ keyId: 'key', setAt: T0, period: T0, used: 5 }]);
    // A store row of another setting is ignored.
    ledger.rebase([{ keyId: 'key', ...big, remaining: 1, setAt: T0 + 1 }], T0);
    expect(ledger.take('key', big, T0)).toMatchObject({ remaining: 54 });
  });
});

describe('settle', () => {
  const stored: StoredQuota = { remaining: 10, refill: { amount: 10, intervalSeconds: 60 }, refilledAt: T0, setAt: T0 };

  it('subtracts the uses of the current setting and period, never below zero', () => {
    expect(settle(stored, { setAt: T0, period: T0, used: 4 })).toMatchObject({ remaining: 6, refilledAt: T0 });
    expect(settle(stored, { setAt: T0, period: T0, used: 40 })).toMatchObject({ remaining: 0 });
  });

  it('drops the uses of an older setting or of a period the store has moved past', () => {
    expect(settle(stored, { setAt: T0 - 5, period: T0, used: 4 })).toBe(stored);
    const later = { ...stored, remaining: 8, refilledAt: T0 + 60_000 };
    expect(settle(later, { setAt: T0, period: T0, used: 4 })).toBe(later);
  });

  it('refills before subtracting a use counted in a newer period', () => {
    const empty = { ...stored, remaining: 0 };
    expect(settle(empty, { setAt: T0, period: T0 + 120_000, used: 3 })).toMatchObject({ remaining: 7, refilledAt: T0 + 120_000 });
  });
});

describe('refilled and nextRefillAt', () => {
  it('leave a quota without refill alone', () => {
    const quota: StoredQuota = { remaining: 0, refill: null, refilledAt: T0, setAt: T0 };
    expect(refilled(quota, T0 + 1e12)).toBe(quota);
    expect(nextRefillAt(quota)).toBeNull();
  });

  it('align refills to whole intervals from when the quota was set', () => {
    const quota: StoredQuota = { remaining: 0, refill: { amount: 7, intervalSeconds: 10 }, refilledAt: T0, setAt: T0 };
    expect(refilled(quota, T0 + 9_999)).toBe(quota);
    expect(refilled(quota, T0 + 25_000)).toMatchObject({ remaining: 7, refilledAt: T0 + 20_000 });
    expect(nextRefillAt(refilled(quota, T0 + 25_000))).toBe(T0 + 30_000);
  });
});
