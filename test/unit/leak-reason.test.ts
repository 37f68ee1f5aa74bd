/** The reason `keyward scan --deactivate` gives: whole when it fits the daemon's limit, else the path's end. */
import { describe, expect, it } from 'vitest';
import { REASON_MAX } from '../../src/daemon/limits.js';
import { leakReason } from '../../src/scan/report.js';

describe('leakReason', () => {
  it('names FILE:LINE whole when it fits', () => {
    expect(leakReason({ file: 'deploy/.env', line: 3 })).toBe('leaked: deploy/.env:3');
    const fits = 'a'.repeat(REASON_MAX - 'leaked: :12'.length);
    expect(leakReason({ file: fits, line: 12 })).toBe(`leaked: ${fits}:12`);
  });

  it('keeps the end of a longer path after …, never half a character', () => {
    const long = `${'a'.repeat(600)}/config.env`;
    const reason = leakReason({ file: long, line: 42 });
    expect(reason).toHaveLength(REASON_MAX);
    expect(reason).toMatch(/^leaked: …a+\/config\.env:42$/);
    // 😀 is two UTF-16 units: a cut through one drops it whole.
    for (const pad of ['', 'x']) {
      const emoji = leakReason({ file: pad + '😀'.repeat(300), line: 1 });
      expect(emoji.length).toBeLessThanOrEqual(REASON_MAX);
      expect(emoji).toMatch(/^leaked: …(😀)+:1$/u);
    }
  });
});
