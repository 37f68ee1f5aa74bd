import { describe, expect, it } from 'vitest';
import { withThousands } from '../../src/thousands.js';

describe('withThousands', () => {
  it('writes whole numbers as en-US toLocaleString does', () => {
    const samples = [0, 7, 42, 999, 1000, 1001, 12_345, 100_000, 999_999, 1_000_000, 10_000_000, 123_456_789, Number.MAX_SAFE_INTEGER];
    for (let i = 0; i < 200; i++) samples.push(Math.floor(Math.random() * 10 ** (1 + (i % 15))));
    for (const n of samples) expect(withThousands(n), String(n)).toBe(n.toLocaleString('en-US'));
  });
});
