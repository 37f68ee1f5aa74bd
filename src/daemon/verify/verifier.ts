/**
 * The verification decision (DESIGN.md §7): shape and checksum first (no lookup), then the
 * SHA-256 in the in-memory index, then status and expiry. Every decision about a known key is
 * counted for usage. Never reads the store.
 */
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
  ) {}

  verify(key: string, caller: string | undefined): VerifyResult {
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
