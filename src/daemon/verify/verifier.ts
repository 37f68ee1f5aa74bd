/**
 * The verification decision (DESIGN.md §7): shape and checksum first (no lookup), then the
 * SHA-256 in the in-memory index, then status and expiry. Every decision about a known key is
 * counted for usage, and every answer for `/metrics` (outcome, time since the request
 * arrived). Never reads the store.
 */
import { performance } from 'node:perf_hooks';
import type { VerifyMeter } from '../metrics/verify-meter.js';
import { hashSecret, isWellFormed, KEY_PREFIX } from '../secrets/format.js';
import type { UsageTracker } from '../usage/tracker.js';
import type { KeyIndex } from './key-index.js';

export type VerifyResult =
  | { valid: true; keyId: string; name: string }
  | { valid: false; code: 'malformed' | 'not_found' | 'inactive' | 'expired' };

export class Verifier {
  constructor(
    private readonly index: KeyIndex,
    private readonly usage: UsageTracker,
    private readonly now: () => number,
    private readonly meter: VerifyMeter,
  ) {}

  /** `startedAt` is the `performance.now()` of the request's arrival, for the latency metric. */
  verify(key: string, caller: string | undefined, startedAt = performance.now()): VerifyResult {
    const result = this.decide(key, caller);
    this.meter.record(result, (performance.now() - startedAt) / 1000);
    return result;
  }

  private decide(key: string, caller: string | undefined): VerifyResult {
    if (!isWellFormed(key, KEY_PREFIX)) return { valid: false, code: 'malformed' };
    const entry = this.index.lookup(hashSecret(key));
    if (!entry) return { valid: false, code: 'not_found' };
    const at = this.now();
    if (entry.status !== 'active') {
      this.usage.record(entry.id, false, caller, at);
      return { valid: false, code: 'inactive' };
    }
    if (entry.expiresAt !== null && entry.expiresAt <= at) {
      this.usage.record(entry.id, false, caller, at);
      return { valid: false, code: 'expired' };
    }
    this.usage.record(entry.id, true, caller, at);
    return { valid: true, keyId: entry.id, name: entry.name };
  }
}
