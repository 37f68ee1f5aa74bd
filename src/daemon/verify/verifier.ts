/**
 * The daemon's verification: the decisions of `src/decide/verify.ts` (format, existence,
 * status, expiry, IP, scope, rate limit, quota) against the in-memory index, with every
 * decision about a known key counted for usage — a refusal for IP, scope, rate or quota as a
 * rejected use, like any other. Never reads the store.
 */
import { verifyKey, type Counters, type VerifyRequest, type VerifyResult } from '../../decide/verify.js';
import type { UsageTracker } from '../usage/tracker.js';
import type { KeyIndex } from './key-index.js';

export type { VerifyRequest, VerifyResult };

export class Verifier {
  private readonly lookup: (hash: string) => ReturnType<KeyIndex['lookup']>;

  constructor(
    index: KeyIndex,
    private readonly usage: UsageTracker,
    private readonly counters: Counters,
    private readonly now: () => number,
  ) {
    this.lookup = (hash) => index.lookup(hash);
  }

  verify(request: VerifyRequest, caller: string | undefined): VerifyResult {
    const at = this.now();
    const { result, entry } = verifyKey(request, this.lookup, this.counters, at);
    if (entry) this.usage.record(entry.id, result.valid, caller, at);
    return result;
  }
}
