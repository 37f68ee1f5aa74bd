/** The policy as people type and read it: one reading for the CLI's flags and the TUI's forms. */
import { describe, expect, it } from 'vitest';
import { parsePerInterval, perIntervalText, quotaPhrase, ratePhrase, scopesPhrase } from '../../src/policy-text.js';

describe('N/DURATION', () => {
  it('reads a count per interval and prints what it reads back', () => {
    expect(parsePerInterval('100/1m')).toEqual({ count: 100, seconds: 60 });
    expect(parsePerInterval(' 5 / 30s ')).toEqual({ count: 5, seconds: 30 });
    expect(perIntervalText(10_000, 86_400)).toBe('10000/1d');
    expect(parsePerInterval(perIntervalText(7, 90))).toEqual({ count: 7, seconds: 90 });
  });

  it('says what is wrong with the rest', () => {
    expect(parsePerInterval('100')).toEqual({ problem: 'is not N/DURATION: a whole number, a slash and a duration in s, m, h or d' });
    expect(parsePerInterval('100/1w')).toEqual({ problem: 'is not N/DURATION: a whole number, a slash and a duration in s, m, h or d' });
    expect(parsePerInterval('lots/1m')).toEqual({ problem: 'needs a whole number before the slash' });
    expect(parsePerInterval('-1/1m')).toEqual({ problem: 'needs a whole number before the slash' });
  });
});

describe('phrases', () => {
  it('tell "no restriction" from "nothing"', () => {
    expect(scopesPhrase(null)).toBe('any (no restriction)');
    expect(scopesPhrase([])).toBe('none');
    expect(scopesPhrase(['orders:*', 'billing:read'])).toBe('orders:*, billing:read');
    expect(ratePhrase(null)).toBe('none');
    expect(ratePhrase({ limit: 100, windowSeconds: 60 })).toBe('100 per 1m');
    expect(ratePhrase({ limit: 10_000, windowSeconds: 3600 })).toBe('10,000 per 1h');
  });

  it('write a quota with its refill, the next refill as the caller wants it', () => {
    expect(quotaPhrase(null, String)).toBe('unlimited');
    expect(quotaPhrase({ remaining: 3, refill: null, nextRefillAt: null }, String)).toBe('3 left');
    const quota = { remaining: 940, refill: { amount: 1000, intervalSeconds: 86_400 }, nextRefillAt: '2026-05-02T09:00:00.000Z' };
    expect(quotaPhrase(quota, () => 'in 5h')).toBe('940 left; back to 1,000 every 1d (next in 5h)');
  });
});
