import { describe, expect, it } from 'vitest';
import { formatDuration, formatElapsed, parseDuration } from '../../src/duration.js';

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

describe('durations as typed', () => {
  it('read and print as a person writes them', () => {
    expect([parseDuration('30s'), parseDuration('1m'), parseDuration('m'), parseDuration('90'), parseDuration('2h'), parseDuration('1d')]).toEqual([30, 60, 60, 90, 7200, 86_400]);
    for (const bad of ['', '1w', '-1m', '1.5h', 'h1']) expect(parseDuration(bad), bad).toBeUndefined();
    expect([formatDuration(86_400), formatDuration(7200), formatDuration(60), formatDuration(90)]).toEqual(['1d', '2h', '1m', '90s']);
  });
});
