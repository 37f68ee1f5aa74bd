import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/duration.js';

describe('durations', () => {
  it('reads spans as people write them', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration(' 15 ')).toBe(900_000);
    expect(parseDuration('1H')).toBe(3_600_000);
    for (const bad of ['', 'm', '10x', '-5m', '1.5h', '10m 5s', 'ten']) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it('shows the two largest units, rounding down', () => {
    expect(formatDuration(192_400)).toBe('3m12s');
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(3_900_000)).toBe('1h5m');
    expect(formatDuration(3_600_000 + 59_000)).toBe('1h');
    expect(formatDuration(2 * 86_400_000 + 3 * 3_600_000 + 5_000)).toBe('2d3h');
    expect(formatDuration(999)).toBe('0s');
    expect(formatDuration(-5)).toBe('0s');
  });
});
