/** The framework-neutral outcome → HTTP mapping every middleware shares. */
import { describe, expect, it } from 'vitest';
import { rateLimitHeaders, rejectionAnswer, unavailableAnswer } from '../../src/integration/outcome.js';

describe('rejectionAnswer', () => {
  it('answers a bad key with 401 and an invalid_token challenge', () => {
    for (const code of ['malformed', 'not_found', 'inactive', 'expired'] as const) {
      const answer = rejectionAnswer({ valid: false, code });
      expect(answer, code).toMatchObject({ status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' }, body: { error: { code: 'unauthorized', reason: code } } });
      expect(answer.body.error.message).not.toBe('');
    }
  });

  it('answers a request without a key with 401 and a challenge carrying no error code (RFC 6750 §3.1)', () => {
    expect(rejectionAnswer({ valid: false, code: 'missing' })).toEqual({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer' },
      body: { error: { code: 'unauthorized', reason: 'missing', message: 'An API key is required: Authorization: Bearer kw_…' } },
    });
  });

  it('answers a missing scope with 403 naming the scopes the route needs', () => {
    expect(rejectionAnswer({ valid: false, code: 'insufficient_scope' }, ['orders:read', 'orders:write'])).toEqual({
      status: 403,
      headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="orders:read orders:write"' },
      body: { error: { code: 'forbidden', reason: 'insufficient_scope', message: 'The API key lacks a scope this request needs' } },
    });
  });

  it('answers a refused address with 403 and no challenge: another token would not help', () => {
    expect(rejectionAnswer({ valid: false, code: 'ip_not_allowed' })).toMatchObject({ status: 403, headers: {}, body: { error: { reason: 'ip_not_allowed' } } });
  });

  it('answers a rate limit with 429, Retry-After and the RateLimit fields', () => {
    const state = { limit: 100, windowSeconds: 60, remaining: 0, resetSeconds: 17 };
    expect(rejectionAnswer({ valid: false, code: 'rate_limited', retryAfterSeconds: 3, rateLimit: state })).toMatchObject({
      status: 429,
      headers: { 'Retry-After': '3', 'RateLimit-Policy': '"key";q=100;w=60', RateLimit: '"key";r=0;t=17' },
      body: { error: { code: 'too_many_requests', reason: 'rate_limited' } },
    });
  });

  it('answers an exhausted quota with 429, and Retry-After only when a refill is coming', () => {
    expect(rejectionAnswer({ valid: false, code: 'quota_exhausted', retryAfterSeconds: 3600 }).headers).toEqual({ 'Retry-After': '3600' });
    expect(rejectionAnswer({ valid: false, code: 'quota_exhausted' })).toMatchObject({ status: 429, headers: {} });
  });
});

describe('rateLimitHeaders and unavailableAnswer', () => {
  it('send nothing without a rate limit, and fail closed with 503', () => {
    expect(rateLimitHeaders(undefined)).toEqual({});
    expect(unavailableAnswer()).toMatchObject({ status: 503, headers: { 'Retry-After': '1' }, body: { error: { code: 'unavailable' } } });
  });
});
