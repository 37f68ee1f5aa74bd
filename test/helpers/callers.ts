/**
 * Verifications with caller labels on a clock the test moves: each verify is one millisecond
 * after the last, so which callers are the most recent is exact.
 */
import { expect } from 'vitest';
import type { TestApp } from './daemon.js';

export function callerTraffic(start = Date.parse('2026-03-01T00:00:00Z')) {
  let clock = start;
  return {
    /** The daemon's clock: pass as `now`. */
    now: () => clock,
    advance(ms: number): void {
      clock += ms;
    },
    async verify(t: TestApp, secret: string, caller: string): Promise<void> {
      clock += 1;
      const res = await t.api('POST', '/v1/verify', { key: secret, caller });
      expect(res.status).toBe(200);
    },
  };
}
