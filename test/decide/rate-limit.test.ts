/**
 * The sliding window counter at its window boundaries, with the clock given by the test: the
 * limit within a window, the previous window's weight fading, Retry-After and the counts it
 * reports, and that only committed requests count.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter, type RateLimit } from '../../src/decide/rate-limit.js';

const T0 = Date.parse('2030-01-01T00:00:00Z'); // a multiple of every window below
const rule: RateLimit = { limit: 10, windowSeconds: 60 };

/** Sends `n` requests at `at`, committing each allowed one; returns how many were allowed. */
function send(limiter: RateLimiter, n: number, at: number, r = rule): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    const d = limiter.check('key', r, at);
    if (d.allowed) {
      d.commit();
      allowed++;
    }
  }
  return allowed;
}

describe('RateLimiter', () => {
  it('lets `limit` requests through in a fresh window and refuses the next', () => {
    const limiter = new RateLimiter();
    expect(send(limiter, 10, T0 + 5_000)).toBe(10);
    const refused = limiter.check('key', rule, T0 + 5_000);
    expect(refused).toMatchObject({ allowed: false, state: { limit: 10, windowSeconds: 60, remaining: 0, resetSeconds: 55 } });
  });

  it('counts down remaining and reports seconds to the end of the window', () => {
    const limiter = new RateLimiter();
    const first = limiter.check('key', rule, T0 + 59_500);
    expect(first).toMatchObject({ allowed: true, state: { remaining: 9, resetSeconds: 1 } });
    if (first.allowed) first.commit();
    expect(limiter.check('key', rule, T0 + 59_999)).toMatchObject({ state: { remaining: 8, resetSeconds: 1 } });
  });

  it('carries the previous window at full weight at its boundary, fading linearly', () => {
    const limiter = new RateLimiter();
    expect(send(limiter, 10, T0 + 59_999)).toBe(10);
    // At the boundary the previous window still weighs ~10: nothing fits.
    expect(send(limiter, 1, T0 + 60_000)).toBe(0);
    // A quarter into the window it weighs 7.5: two fit (7.5 + 2 ≤ 10 < 7.5 + 3).
    expect(send(limiter, 5, T0 + 75_000)).toBe(2);
    // Halfway it weighs 5, plus the 2 taken: three more fit.
    expect(send(limiter, 5, T0 + 90_000)).toBe(3);
  });

  it('forgets a window older than the previous one', () => {
    const limiter = new RateLimiter();
    expect(send(limiter, 10, T0)).toBe(10);
    expect(send(limiter, 11, T0 + 120_000)).toBe(10);
  });

  it('says when the next request fits: while the previous window fades', () => {
    const limiter = new RateLimiter();
    send(limiter, 10, T0 + 59_000);
    const at = T0 + 60_000;
    const refused = limiter.check('key', rule, at);
    // 10 × (60 − e)/60 + 1 ≤ 10 from e = 6 s.
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 6 });
    expect(limiter.check('key', rule, at + 5_999).allowed).toBe(false);
    expect(limiter.check('key', rule, at + 6_000).allowed).toBe(true);
  });

  it('says when the next request fits: in the next window when this one is full', () => {
    const limiter = new RateLimiter();
    send(limiter, 10, T0 + 30_000);
    const refused = limiter.check('key', rule, T0 + 30_000);
    // 30 s to the boundary, then 10 × (60 − e)/60 + 1 ≤ 10 from e = 6 s.
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 36 });
    expect(limiter.check('key', rule, T0 + 65_999).allowed).toBe(false);
    expect(limiter.check('key', rule, T0 + 66_000).allowed).toBe(true);
  });

  it('counts only committed requests, and each key on its own', () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 50; i++) expect(limiter.check('key', rule, T0).allowed).toBe(true);
    expect(send(limiter, 10, T0, rule)).toBe(10);
    expect(limiter.check('other', rule, T0).allowed).toBe(true);
  });

  it('starts over when the window length changes, and keeps counts when only the limit does', () => {
    const limiter = new RateLimiter();
    send(limiter, 10, T0);
    expect(limiter.check('key', { limit: 10, windowSeconds: 1 }, T0).allowed).toBe(true);
    send(limiter, 5, T0, { limit: 10, windowSeconds: 1 });
    expect(limiter.check('key', { limit: 5, windowSeconds: 1 }, T0).allowed).toBe(false);
  });

  it('handles a one-second window and a limit of one', () => {
    const limiter = new RateLimiter();
    const one = { limit: 1, windowSeconds: 1 };
    expect(send(limiter, 3, T0 + 999, one)).toBe(1);
    expect(send(limiter, 1, T0 + 1_000, one)).toBe(0);
    expect(send(limiter, 1, T0 + 2_000, one)).toBe(1);
  });
});
