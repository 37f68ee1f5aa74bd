/**
 * Leases of the replica protocol (docs/replicas.md), counted the safe way round (Gray &
 * Cheriton, 1989): the replica counts a lease from the moment it *sent* the ack that renewed
 * it, the daemon from the moment it *granted* it, each on its own monotonic clock. The grant
 * always happens after the send, so however long the ack and its answer take, the replica's
 * lease ends first; the daemon may treat a replica as silent once its own count has run out.
 * Pure: the callers pass the times.
 */

/** One lease as one side counts it. */
export class Lease {
  private until = Number.NEGATIVE_INFINITY;

  /**
   * Extends the lease to `from + ms`. Never shortens it: the answer to an older ack can arrive
   * after a newer one's, and each grant is valid from its own start.
   */
  extend(from: number, ms: number): void {
    this.until = Math.max(this.until, from + ms);
  }

  holds(now: number): boolean {
    return now < this.until;
  }

  /** When the lease runs out (-Infinity: never granted, or dropped). */
  get endsAt(): number {
    return this.until;
  }

  drop(): void {
    this.until = Number.NEGATIVE_INFINITY;
  }
}

/** What the daemon knows of a replica when its ack arrives. */
export type Standing = {
  /** Its stream is open: it hears of changes. */
  streaming: boolean;
  /** The highest `seq` it has acked (after this ack). */
  acked: number;
  /** The `seq` its copy started at (the snapshot's, or the resume point): acks below it say nothing. */
  floor: number;
  /** Its current lease has not run out on the daemon's clock. */
  leaseHolds: boolean;
  /** Since when it has owed the oldest narrowing change it has not acked; undefined: it owes none. */
  behindSince: number | undefined;
};

/**
 * Whether the daemon renews a replica's lease on an ack, at `now`, when `narrowed` is the
 * newest narrowing change. A replica that owes no narrowing change is renewed. One that owes
 * one is renewed only while its lease still holds and for less than `giveUpMs`: an ack that
 * merely crossed a change on the wire keeps its replica, one stuck behind is given up — no
 * more grants, and the writes waiting on it wait out the last one. A replica whose lease ran
 * out gets a new one only once it has acked every narrowing change.
 */
export function renews(replica: Standing, narrowed: number, now: number, giveUpMs: number): boolean {
  if (!replica.streaming || replica.acked < replica.floor) return false;
  if (replica.acked >= narrowed) return true;
  return replica.leaseHolds && replica.behindSince !== undefined && now - replica.behindSince < giveUpMs;
}
