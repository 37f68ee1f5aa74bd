/**
 * The fast path's verify answer (src/daemon/verify/answer.ts) is the text JSON.stringify makes of
 * the result, whatever the key's labels hold: the daemon's two paths must answer alike.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EntryPolicy, KeyEntry } from '../../src/decide/policy.js';
import { decide, newCounters, type VerifyResult } from '../../src/decide/verify.js';
import { answerJson } from '../../src/daemon/verify/answer.js';

const text = fc.string({ unit: 'binary', maxLength: 40 });
const meta = fc.option(fc.dictionary(text, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), { nil: null });
const policy: fc.Arbitrary<EntryPolicy> = fc.record({
  scopes: fc.option(fc.array(text, { maxLength: 5 }), { nil: null }),
  allowedIps: fc.constant(null),
  rateLimit: fc.option(fc.record({ limit: fc.integer({ min: 1, max: 1_000_000 }), windowSeconds: fc.integer({ min: 1, max: 86_400 }) }), { nil: null }),
  quota: fc.option(
    fc.record({ remaining: fc.integer({ min: 0, max: 1_000_000 }), refill: fc.constant(null), refilledAt: fc.constant(0), setAt: fc.constant(0) }),
    { nil: null },
  ),
  owner: fc.option(text, { nil: null }),
  meta,
});
const entry: fc.Arbitrary<KeyEntry> = fc.record({
  id: text,
  name: text,
  status: fc.constantFrom('active' as const, 'inactive' as const),
  expiresAt: fc.constantFrom(null, 0, Number.MAX_SAFE_INTEGER),
  policy: fc.option(policy, { nil: undefined }),
});

describe('answerJson', () => {
  it('writes what JSON.stringify writes for every decision about any key', () => {
    fc.assert(
      fc.property(entry, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 10 ** 13 }), (key, uses, now) => {
        const counters = newCounters();
        for (let i = 0; i < uses; i++) {
          const result = decide(key, {}, counters, now + i * 7_919);
          expect(answerJson(result, key.policy)).toBe(JSON.stringify(result));
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes the labels a result holds even when they are not its policy’s', () => {
    fc.assert(
      fc.property(policy, text, meta, (p, owner, otherMeta) => {
        const result: VerifyResult = { valid: true, keyId: 'key_1', name: 'n', owner, meta: otherMeta, scopes: p.scopes };
        expect(answerJson(result, p)).toBe(JSON.stringify(result));
        expect(answerJson(result, undefined)).toBe(JSON.stringify(result));
      }),
    );
  });

  it('answers with an edited policy’s new labels, not the ones written before', () => {
    const p: EntryPolicy = { scopes: ['a:*'], allowedIps: null, rateLimit: null, quota: null, owner: 'team', meta: { plan: 'pro' } };
    const result: VerifyResult = { valid: true, keyId: 'key_1', name: 'n', owner: p.owner, meta: p.meta, scopes: p.scopes };
    expect(answerJson(result, p)).toBe(JSON.stringify(result));
    const edited = { ...p, meta: { plan: 'free' } };
    const after: VerifyResult = { ...result, meta: edited.meta };
    expect(answerJson(after, edited)).toBe(JSON.stringify(after));
  });
});
