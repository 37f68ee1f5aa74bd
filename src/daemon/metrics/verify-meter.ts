/**
 * Counts verifications for `/metrics` on the hot path: per outcome, and a latency histogram.
 * A verify may cost a few microseconds, so recording one must cost next to nothing: a Map
 * lookup of the outcome's index, a scan of 12 bucket bounds, increments into typed arrays
 * allocated once. prom-client's own `inc`/`observe` build label hashes and a closure per call;
 * they are fed from these arrays only when Prometheus scrapes (registry.ts).
 */

/** Latency buckets in seconds: 25 µs (a verify answered from memory) up to a second (a stalled loop). */
export const VERIFY_BUCKETS = [0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1] as const;

/** The outcome of a verification: `valid`, or the code of the refusal. */
export type VerifyOutcome = { valid: true } | { valid: false; code: string };

/** Outcomes told apart; the refusal codes are a closed set well under it, so `other` stays empty. */
const MAX_OUTCOMES = 32;
const OTHER = MAX_OUTCOMES - 1;

export class VerifyMeter {
  private readonly outcomeIndex = new Map<string, number>([['valid', 0]]);
  private readonly outcomeNames: string[] = ['valid'];
  private readonly counts = new Float64Array(MAX_OUTCOMES);
  /** Cumulative-free bucket counts; the last slot is `+Inf`. */
  private readonly buckets = new Float64Array(VERIFY_BUCKETS.length + 1);
  /** [sum of seconds, count]. */
  private readonly totals = new Float64Array(2);

  /** One answered verification: what it decided, and how long it took in seconds. */
  record(outcome: VerifyOutcome, seconds: number): void {
    this.counts[outcome.valid ? 0 : this.indexOf(outcome.code)]!++;
    let b = 0;
    while (b < VERIFY_BUCKETS.length && seconds > VERIFY_BUCKETS[b]!) b++;
    this.buckets[b]!++;
    this.totals[0]! += seconds;
    this.totals[1]!++;
  }

  private indexOf(code: string): number {
    let i = this.outcomeIndex.get(code);
    if (i === undefined) {
      // First sight of a code: the only allocation, once per code for the daemon's life.
      i = this.outcomeNames.length < OTHER ? this.outcomeNames.push(code) - 1 : OTHER;
      this.outcomeIndex.set(code, i);
    }
    return i;
  }

  /** Verifications so far per outcome. */
  outcomes(): Array<{ outcome: string; count: number }> {
    const named = this.outcomeNames.map((outcome, i) => ({ outcome, count: this.counts[i]! }));
    return this.counts[OTHER] ? [...named, { outcome: 'other', count: this.counts[OTHER] }] : named;
  }

  /** The histogram so far: counts per bucket (not cumulative, `+Inf` last), sum and count. */
  latency(): { buckets: number[]; sum: number; count: number } {
    return { buckets: [...this.buckets], sum: this.totals[0]!, count: this.totals[1]! };
  }
}
