/**
 * The fast path's reading of a verify body (src/daemon/verify/fast-body.ts) against the route's
 * own schema: whatever it accepts, VerifyBody accepts and reads the same; whatever VerifyBody
 * accepts, it accepts too (else plain requests would leave the fast path).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastVerifyBody } from '../../src/daemon/verify/fast-body.js';
import { VerifyBody } from '../../src/daemon/verify/routes.js';

const near = (n: number) => fc.integer({ min: Math.max(0, n - 2), max: n + 2 });
const sized = (n: number) => near(n).map((length) => 'k'.repeat(length));
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('', ' ', '  x  ', '\u0000\u001b[2J', '\u202e', '\u00a0'));
const scope = fc.oneof(
  fc.constantFrom('orders:write', 'orders:*', '*', 'a/b.c-d_e:f', 'orders:', ':x', 'no spaces', 'orders::x', '**', 'x:*:y', ''),
  sized(128).map((s) => s.replaceAll('k', 'a')),
  text,
);
const ip = fc.oneof(
  fc.constantFrom('192.0.2.1', '10.1', '::ffff:10.0.0.1', '2001:db8::1', 'fe80::1%eth0', '0x0a.0.0.1', '1.2.3.4 ', ' 1.2.3.4', '256.1.1.1', '::', '1.2.3.04'),
  fc.ipV4(),
  fc.ipV6(),
  sized(64),
  text,
);
const other = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.constant({}), fc.constant([]));
const field = <T>(valid: fc.Arbitrary<T>) => fc.option(fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: other }), { nil: undefined });
const body = fc.record(
  {
    key: field(fc.oneof(fc.constantFrom('kw_x', ''), sized(512), text)),
    caller: field(fc.oneof(sized(128), text)),
    scope: field(fc.oneof(scope, fc.array(scope, { maxLength: 3 }), fc.array(fc.constant('a:b'), { minLength: 63, maxLength: 66 }))),
    ip: field(ip),
    extra: field(text),
  },
  { requiredKeys: [] },
);
const value = fc.oneof({ weight: 20, arbitrary: body }, { weight: 1, arbitrary: fc.jsonValue() });

describe('fastVerifyBody', () => {
  it('reads every body as VerifyBody does, declining only what VerifyBody refuses', () => {
    fc.assert(
      fc.property(value, (input) => {
        // What the fast path is given: parsed JSON.
        const json = JSON.parse(JSON.stringify(input ?? null)) as unknown;
        const schema = VerifyBody.safeParse(json);
        const fast = fastVerifyBody(json);
        if (schema.success) expect(fast).toEqual(schema.data);
        else expect(fast).toBeUndefined();
      }),
      { numRuns: 20_000 },
    );
  });
});
