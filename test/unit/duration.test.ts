import { describe, expect, it } from 'vitest';
import { formatElapsed } from '../../src/duration.js';

describe('time watched and left', () => {
  it('shows the two largest units, rounding down', () => {
    expect(formatElapsed(192_400)).toBe('3m12s');
    expect(formatElapsed(600_000)).toBe('10m');
    expect(formatElapsed(3_900_000)).toBe('1h5m');
    expect(formatElapsed(3_600_000 + 59_000)).toBe('1h');
    expect(formatElapsed(2 * 86_400_000 + 3 * 3_600_000 + 5_000)).toBe('2d3h');
    expect(formatElapsed(999)).toBe('0s');
    expect(formatElapsed(-5)).toBe('0s');
  });
});
