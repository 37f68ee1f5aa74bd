/**
 * The one decision of which writes take access away (src/daemon/keys/narrowing.ts): every
 * narrowing the design names narrows, every widening or neutral change does not, and an
 * unclear case errs towards narrowing.
 */
import { describe, expect, it } from 'vitest';
import { narrows, type Access } from '../../src/daemon/keys/narrowing.js';

const open: Access = { status: 'active', expiresAt: null, scopes: null, allowedIps: null, rateLimit: null, quota: null };
const quota = { remaining: 100, refill: { amount: 100, intervalSeconds: 3600 }, refilledAt: 1000, setAt: 1000 };
const policed: Access = {
  status: 'active',
  expiresAt: 2_000_000,
  scopes: ['orders:*', 'billing:read'],
  allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
  rateLimit: { limit: 100, windowSeconds: 60 },
  quota,
};

describe('narrows', () => {
  it('counts every write the design calls narrowing', () => {
    const cases: Array<[string, Access, Access | undefined]> = [
      ['delete', policed, undefined],
      ['delete, the key kept as its tombstone', { ...policed, status: 'inactive' }, { ...open, status: 'inactive', deleted: true }],
      ['deactivate', open, { ...open, status: 'inactive' }],
      ['a first expiry', open, { ...open, expiresAt: 5 }],
      ['an earlier expiry', policed, { ...policed, expiresAt: 1_999_999 }],
      ['scopes where there were none', open, { ...open, scopes: ['orders:read'] }],
      ['a scope dropped', policed, { ...policed, scopes: ['orders:*'] }],
      ['a wildcard narrowed', policed, { ...policed, scopes: ['orders:read', 'billing:read'] }],
      ['an allow list where there was none', open, { ...open, allowedIps: ['10.0.0.0/8'] }],
      ['a range narrowed', policed, { ...policed, allowedIps: ['10.1.0.0/16', '2001:db8::/32'] }],
      ['a range split with a part left out', policed, { ...policed, allowedIps: ['10.0.0.0/9', '10.128.0.0/10', '2001:db8::/32'] }],
      ['a range replaced by another family', policed, { ...policed, allowedIps: ['10.0.0.0/8', '192.0.2.0/24'] }],
      ['a rate limit where there was none', open, { ...open, rateLimit: { limit: 1000, windowSeconds: 1 } }],
      ['a lower limit', policed, { ...policed, rateLimit: { limit: 99, windowSeconds: 60 } }],
      ['a longer window', policed, { ...policed, rateLimit: { limit: 100, windowSeconds: 61 } }],
      ['a quota where there was none', open, { ...open, quota }],
      ['a lower quota', policed, { ...policed, quota: { ...quota, remaining: 5, setAt: 2000, refilledAt: 2000 } }],
      ['a quota set again with the same numbers (its counting starts over)', policed, { ...policed, quota: { ...quota, setAt: 2000, refilledAt: 2000 } }],
      ['a refill dropped', policed, { ...policed, quota: { ...quota, refill: null } }],
    ];
    for (const [what, before, after] of cases) expect(narrows(before, after), what).toBe(true);
  });

  it('lets widening and neutral writes answer at once', () => {
    const cases: Array<[string, Access | undefined, Access | undefined]> = [
      ['create', undefined, policed],
      ['a tombstone forgotten (a year on): unknown as it was', { ...open, status: 'inactive', deleted: true }, undefined],
      ['activate', { ...open, status: 'inactive' }, open],
      ['no change (a rename, a label)', policed, { ...policed }],
      ['expiry cleared', policed, { ...policed, expiresAt: null }],
      ['a later expiry', policed, { ...policed, expiresAt: 3_000_000 }],
      ['scopes cleared', policed, { ...policed, scopes: null }],
      ['a scope added', policed, { ...policed, scopes: ['orders:*', 'billing:read', 'refunds:write'] }],
      ['a scope widened to its wildcard', policed, { ...policed, scopes: ['orders:*', 'billing:*'] }],
      ['allow list cleared', policed, { ...policed, allowedIps: null }],
      ['a range widened', policed, { ...policed, allowedIps: ['10.0.0.0/7', '2001:db8::/31'] }],
      ['a range split in halves', policed, { ...policed, allowedIps: ['10.0.0.0/9', '10.128.0.0/9', '2001:db8::/33', '2001:db8:8000::/33'] }],
      ['rate limit cleared', policed, { ...policed, rateLimit: null }],
      ['a higher limit', policed, { ...policed, rateLimit: { limit: 200, windowSeconds: 60 } }],
      ['quota cleared', policed, { ...policed, quota: null }],
      ['a change to an inactive key that stays inactive', { ...open, status: 'inactive' }, { ...open, status: 'inactive' }],
    ];
    for (const [what, before, after] of cases) expect(narrows(before, after), what).toBe(false);
  });

  it('errs towards narrowing when it cannot tell', () => {
    expect(narrows({ ...policed, allowedIps: ['not-an-address'] }, { ...policed, allowedIps: ['0.0.0.0/0', '::/0'] }), 'an old entry it cannot read').toBe(true);
    expect(narrows(policed, { ...policed, rateLimit: { limit: 1000, windowSeconds: 3600 } }), 'more requests over a longer window').toBe(true);
  });
});
