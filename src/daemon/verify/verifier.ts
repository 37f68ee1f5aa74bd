/**
 * The daemon's verification: the decisions of `src/decide/verify.ts` (format, existence,
 * status, expiry, IP, scope, rate limit, quota) against the in-memory index, with every
 * decision about a known key counted for usage — a refusal for IP, scope, rate or quota as a
 * rejected use, like any other — and every presentation of a canary, a deleted key or a key a
 * rotation cut over counted for its alert (caller, ip, time). Every answer is counted for
 * `/metrics` too (outcome, time since the request arrived). Never reads the store.
 */
import { performance } from 'node:perf_hooks';
import { verifyKey, type Counters, type Decision, type VerifyRequest, type VerifyResult } from '../../decide/verify.js';
import type { AlertService } from '../alerts/service.js';
import type { VerifyMeter } from '../metrics/verify-meter.js';
import type { UsageTracker } from '../usage/tracker.js';
import { answerJson } from './answer.js';
import type { KeyIndex } from './key-index.js';

export class Verifier {
  private readonly lookup: (hash: string) => ReturnType<KeyIndex['lookup']>;

  constructor(
    index: KeyIndex,
    private readonly usage: UsageTracker,
    private readonly alerts: Pick<AlertService, 'sighted'>,
    private readonly counters: Counters,
    private readonly now: () => number,
    private readonly meter: VerifyMeter,
  ) {
    this.lookup = (hash) => index.lookup(hash);
  }

  /** `startedAt` is the `performance.now()` of the request's arrival, for the latency metric. */
  verify(request: VerifyRequest, caller: string | undefined, startedAt = performance.now()): VerifyResult {
    return this.decide(request, caller, startedAt).result;
  }

  /** `verify`, as the JSON the route answers with (the fast path writes it as it is). */
  verifyJson(request: VerifyRequest, caller: string | undefined, startedAt = performance.now()): string {
    const { result, entry } = this.decide(request, caller, startedAt);
    return answerJson(result, entry?.policy);
  }

  private decide(request: VerifyRequest, caller: string | undefined, startedAt: number): Decision {
    const at = this.now();
    const decision = verifyKey(request, this.lookup, this.counters, at);
    const { result, entry, sighting } = decision;
    if (entry) this.usage.record(entry.id, result.valid, caller, at);
    if (sighting) this.alerts.sighted(sighting, caller, request.ip, at);
    this.meter.record(result, (performance.now() - startedAt) / 1000);
    return decision;
  }
}
