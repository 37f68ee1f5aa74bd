/** Scope syntax and matching: exact, a trailing `*` segment, `*` alone, all of a list required. */
import { describe, expect, it } from 'vitest';
import { scopeGrants, scopeProblem, scopesGranted } from '../../src/decide/scopes.js';

describe('scopeGrants', () => {
  const cases: Array<[string, string, boolean]> = [
    ['orders:read', 'orders:read', true],
    ['orders:read', 'orders:write', false],
    ['orders:read', 'orders:read:all', false],
    ['orders:read', 'Orders:read', false],
    ['orders:*', 'orders:read', true],
    ['orders:*', 'orders:refunds:write', true],
    ['orders:*', 'orders', false],
    ['orders:*', 'orders:', false],
    ['orders:*', 'ordersx:read', false],
    ['orders:*', 'orders:*', true],
    ['orders:read', 'orders:*', false],
    ['orders:refunds:*', 'orders:refunds:read', true],
    ['orders:refunds:*', 'orders:read', false],
    ['*', 'anything:at:all', true],
    ['*', 'x', true],
  ];
  for (const [pattern, scope, expected] of cases) {
    it(`${pattern} ${expected ? 'grants' : 'does not grant'} ${scope}`, () => {
      expect(scopeGrants(pattern, scope)).toBe(expected);
    });
  }
});

describe('scopesGranted', () => {
  it('needs every wanted scope covered by some granted one', () => {
    expect(scopesGranted(['orders:read', 'billing:*'], ['orders:read', 'billing:invoices'])).toBe(true);
    expect(scopesGranted(['orders:read', 'billing:*'], ['orders:read', 'orders:write'])).toBe(false);
    expect(scopesGranted([], ['orders:read'])).toBe(false);
    expect(scopesGranted([], [])).toBe(true);
  });
});

describe('scopeProblem', () => {
  it('accepts resource:action scopes and a trailing wildcard', () => {
    for (const scope of ['orders', 'orders:read', 'orders:*', '*', 'api/v2:orders.read', 'a_b-c:d']) expect(scopeProblem(scope), scope).toBeUndefined();
  });

  it('refuses empty, over-long, spaced, inner-wildcard and odd-character scopes', () => {
    for (const scope of ['', 'x'.repeat(129), 'orders read', 'orders:*:read', '*:read', 'orders:', ':read', 'orders::read', 'ord*', 'orders:\u202Eread', 'ключ']) {
      expect(scopeProblem(scope), JSON.stringify(scope)).toBeDefined();
    }
  });
});
