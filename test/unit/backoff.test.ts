/** The one backoff formula (src/backoff.ts) the retry loops share. */
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/backoff.js';

describe('backoffMs', () => {
  it('starts at the minimum, doubles with each failure and stops at the maximum', () => {
    expect([0, 1, 2, 3, 4, 5].map((failures) => backoffMs(failures, 100, 2000))).toEqual([100, 200, 400, 800, 1600, 2000]);
    expect(backoffMs(10_000, 5_000, 600_000), 'a long run of failures neither overflows nor passes the cap').toBe(600_000);
  });
});
