/**
 * Leases outlive the daemon that granted them: a killed daemon's replicas keep answering from
 * their copies until their leases run out, and a daemon started again at once knows nothing of
 * them. So the home keeps `replica-leases`, a time (wall clock, ms) no lease this home's
 * daemon granted outlasts, and a new daemon lets no narrowing write return before it (at most
 * one lease after its start). The file is written coarsely — a horizon some seconds ahead,
 * again only once that is reached — and exactly at a clean stop; a home whose daemon never had
 * replicas has no file and waits for nothing.
 */
import { rmSync } from 'node:fs';
import { readPrivate, writePrivate } from '../../private-files.js';

/** How far ahead a recorded horizon reaches, so a daemon with replicas writes every few seconds, not every ack. */
const STEP_MS = 5000;

export class LeaseHorizon {
  private recorded = 0;

  /** `file` undefined: a daemon without a home file for it (nothing is recorded). */
  constructor(private readonly file: string | undefined) {}

  /** How long leases of an earlier run may still hold at `now`: at most `leaseMs`. */
  outstanding(now: number, leaseMs: number): number {
    if (!this.file) return 0;
    let until = 0;
    try {
      until = Number(readPrivate(this.file)?.trim() ?? 0) || 0;
    } catch {
      // unreadable (not ours, a link): the safe answer is a whole lease
      return leaseMs;
    }
    return Math.min(leaseMs, Math.max(0, until - now));
  }

  /**
   * Records, before a lease is granted, that it ends by `until`; false when that cannot be
   * written (a full disk): the lease must not be granted then.
   */
  covers(until: number): boolean {
    if (!this.file || until <= this.recorded) return true;
    try {
      writePrivate(this.file, `${until + STEP_MS}\n`);
    } catch {
      return false;
    }
    this.recorded = until + STEP_MS;
    return true;
  }

  /** The daemon stops; its leases end by `until` (at or before now: none left). */
  stopped(until: number, now: number): void {
    if (!this.file) return;
    try {
      if (until > now) writePrivate(this.file, `${until}\n`);
      else rmSync(this.file, { force: true });
    } catch {
      // the coarse horizon recorded with the grants stays, and is later than `until`
    }
  }
}
