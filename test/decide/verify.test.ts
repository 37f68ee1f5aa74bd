/**
 * The decision on a plain entry object, no daemon: every outcome, the order in which they are
 * checked (the first failing check answers), and that a refused request costs nothing.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, type KeyEntry, type KeyLabels, type KeyPolicy } from '../../src/decide/policy.js';
import { hashSecret } from '../../src/decide/secret.js';
import { decide, newCounters, verifyKey, type Counters } from '../../src/decide/verify.js';
import { generateSecret } from '../../src/daemon/secrets/format.js';

const NOW = Date.parse('2030-01-01T00:00:30Z');

const NONE: KeyPolicy & KeyLabels = { scopes: null, allowedIps: null, rateLimit: null, quota: null, owner: null, meta: null };

function entry(fields: Partial<KeyPolicy & KeyLabels> = {}, base: Partial<KeyEntry> = {}): KeyEntry {
  return { id: 'key_1', name: 'orders-svc', status: 'active', expiresAt: null, policy: compilePolicy({ ...NONE, ...fields }), ...base };
}

/** A key that fails every policy check for the request `{ip: '10.9.9.9', scope: 'orders:write'}` once its limits are used up. */
const strict = {
  allowedIps: ['192.0.2.0/24'],
  scopes: ['orders:read'],
  rateLimit: { limit: 1, windowSeconds: 60 },
  quota: { remaining: 1, refill: null, refilledAt: NOW, setAt: NOW },
};

describe('decide', () => {
  it('answers a key without policy with null labels', () => {
    expect(entry().policy).toBeUndefined();
    expect(decide(entry(), {}, newCounters(), NOW)).toEqual({ valid: true, keyId: 'key_1', name: 'orders-svc', owner: null, meta: null, scopes: null });
  });

  it('returns owner, meta, scopes, rate limit and quota on success', () => {
    const e = entry({ ...strict, owner: 'team-orders', meta: { plan: 'pro' } });
    expect(decide(e, { ip: '192.0.2.9', scope: 'orders:read' }, newCounters(), NOW)).toEqual({
      valid: true,
      keyId: 'key_1',
      name: 'orders-svc',
      owner: 'team-orders',
      meta: { plan: 'pro' },
      scopes: ['orders:read'],
      rateLimit: { limit: 1, windowSeconds: 60, remaining: 0, resetSeconds: 30 },
      quota: { remaining: 0 },
    });
  });

  it('checks status, expiry, IP, scope, rate limit, quota in that order', () => {
    const counters = newCounters();
    const request = { ip: '10.9.9.9', scope: 'orders:write' };
    const code = (e: KeyEntry, r: typeof request | Record<string, string> = request) => {
      const result = decide(e, r, counters, NOW);
      return result.valid ? 'valid' : result.code;
    };
    // Use up the rate limit and quota of another key with the same policy, then of this one.
    const full = entry(strict);
    expect(code(full, { ip: '192.0.2.1', scope: 'orders:read' })).toBe('valid');

    expect(code(entry(strict, { status: 'inactive', expiresAt: NOW - 1 }))).toBe('inactive');
    expect(code(entry(strict, { expiresAt: NOW }))).toBe('expired');
    expect(code(full)).toBe('ip_not_allowed');
    expect(code(full, { ...request, ip: '192.0.2.1' })).toBe('insufficient_scope');
    expect(code(full, { ip: '192.0.2.1', scope: 'orders:read' })).toBe('rate_limited');
    const quotaOnly = entry({ ...strict, rateLimit: null }, { id: 'key_1' });
    expect(code(quotaOnly, { ip: '192.0.2.1', scope: 'orders:read' })).toBe('quota_exhausted');
  });

  it('refuses a missing IP when the key has an allow list, and ignores IP otherwise', () => {
    expect(decide(entry({ allowedIps: ['0.0.0.0/0'] }), {}, newCounters(), NOW)).toEqual({ valid: false, code: 'ip_not_allowed' });
    expect(decide(entry({ owner: 'x' }), { ip: 'garbage' }, newCounters(), NOW).valid).toBe(true);
  });

  it('needs every scope asked for; a key without scopes has no scope restriction', () => {
    const e = entry({ scopes: ['orders:*', 'billing:read'] });
    expect(decide(e, { scope: ['orders:write', 'billing:read'] }, newCounters(), NOW).valid).toBe(true);
    expect(decide(e, { scope: ['orders:write', 'billing:write'] }, newCounters(), NOW)).toEqual({ valid: false, code: 'insufficient_scope' });
    expect(decide(e, {}, newCounters(), NOW).valid).toBe(true);
    expect(decide(entry({ scopes: [] }), { scope: 'orders:read' }, newCounters(), NOW)).toEqual({ valid: false, code: 'insufficient_scope' });
    expect(decide(entry({ owner: 'x' }), { scope: 'anything' }, newCounters(), NOW).valid).toBe(true);
  });

  it('says when to retry a rate-limited or exhausted key', () => {
    const counters = newCounters();
    const limited = entry({ rateLimit: { limit: 1, windowSeconds: 60 } });
    decide(limited, {}, counters, NOW);
    // With a limit of 1 the previous window must fade completely: 30 s to its end, then 60.
    expect(decide(limited, {}, counters, NOW)).toEqual({
      valid: false,
      code: 'rate_limited',
      retryAfterSeconds: 90,
      rateLimit: { limit: 1, windowSeconds: 60, remaining: 0, resetSeconds: 30 },
    });
    const refilling = entry({ quota: { remaining: 0, refill: { amount: 5, intervalSeconds: 60 }, refilledAt: NOW - 50_000, setAt: NOW - 50_000 } }, { id: 'key_2' });
    expect(decide(refilling, {}, counters, NOW)).toEqual({ valid: false, code: 'quota_exhausted', retryAfterSeconds: 10 });
  });

  it('takes neither rate nor quota for a request the quota refuses, nor quota for one the rate limit refuses', () => {
    const counters: Counters = newCounters();
    const e = entry({ rateLimit: { limit: 2, windowSeconds: 60 }, quota: { remaining: 0, refill: null, refilledAt: NOW, setAt: NOW } });
    for (let i = 0; i < 5; i++) expect(decide(e, {}, counters, NOW)).toMatchObject({ code: 'quota_exhausted' });
    expect(counters.limiter.check('key_1', { limit: 2, windowSeconds: 60 }, NOW)).toMatchObject({ allowed: true, state: { remaining: 1 } });

    const both = entry({ rateLimit: { limit: 1, windowSeconds: 60 }, quota: { remaining: 5, refill: null, refilledAt: NOW, setAt: NOW } }, { id: 'key_3' });
    expect(decide(both, {}, counters, NOW).valid).toBe(true);
    for (let i = 0; i < 5; i++) expect(decide(both, {}, counters, NOW)).toMatchObject({ code: 'rate_limited' });
    expect(counters.quotas.drain()).toEqual([{ keyId: 'key_3', setAt: NOW, period: NOW, used: 1 }]);
  });
});

describe('verifyKey', () => {
  it('checks the format before looking up, and reports the entry of a known key', () => {
    const secret = generateSecret('kw_');
    const e = entry();
    const lookups: string[] = [];
    const lookup = (hash: string) => (lookups.push(hash), hash === hashSecret(secret) ? e : undefined);
    expect(verifyKey({ key: 'kw_typo' }, lookup, newCounters(), NOW)).toEqual({ result: { valid: false, code: 'malformed' } });
    expect(lookups).toEqual([]);
    expect(verifyKey({ key: generateSecret('kw_') }, lookup, newCounters(), NOW)).toEqual({ result: { valid: false, code: 'not_found' } });
    expect(verifyKey({ key: secret }, lookup, newCounters(), NOW)).toMatchObject({ result: { valid: true }, entry: e });
    expect(verifyKey({ key: generateSecret('kwo_') }, lookup, newCounters(), NOW).result).toEqual({ valid: false, code: 'malformed' });
    expect(verifyKey({ key: '' }, lookup, newCounters(), NOW).result).toEqual({ valid: false, code: 'malformed' });
    expect(lookups).toHaveLength(2);
  });

  it('looks a key of any other format up by its hash (an imported key)', () => {
    const foreign = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
    const e = entry();
    const lookup = (hash: string) => (hash === hashSecret(foreign) ? e : undefined);
    expect(verifyKey({ key: foreign }, lookup, newCounters(), NOW)).toMatchObject({ result: { valid: true }, entry: e });
    expect(verifyKey({ key: '3f1c2a9e-7b4d-4e21-9c55-0a8f6d2b1e70' }, lookup, newCounters(), NOW).result).toEqual({ valid: false, code: 'not_found' });
  });
});
