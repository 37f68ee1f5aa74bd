/**
 * Sightings counted in memory on the verify path, between two flushes of the alert service:
 * one entry per kind, key and caller (at most `OPEN_ALERTS_PER_KEY` callers a key and kind, the
 * rest counted without one), so a flood of presentations costs a map update each and becomes
 * one sighting with a count. Nothing here touches the store.
 */
import type { Sighting } from '../../decide/verify.js';
import type { AlertSighting } from '../store.js';
import { NO_CALLER, OPEN_ALERTS_PER_KEY } from './dedup.js';

/** What a sighting of `entry` records besides who and when: what the alert's reader needs to know. */
function detailOf({ kind, entry }: Sighting): Record<string, unknown> {
  const deleted = entry.deletedAt === undefined ? {} : { deletedAt: new Date(entry.deletedAt).toISOString() };
  if (kind === 'old_key.presented_after_cutover') return { rotationId: entry.rotatedOutBy, ...deleted };
  return deleted;
}

export class SightingCounter {
  private pending = new Map<string, AlertSighting>();
  /**
   * The callers each kind and key has been counted for, since the daemon started: at most
   * `OPEN_ALERTS_PER_KEY`, so a key's further callers are counted without one from the start
   * and a flood of fresh names costs each flush one sighting a key (measured: bench alerts).
   */
  private readonly callers = new Map<string, Set<string>>();

  /** `count` presentations, the first at `firstAt` and the last at `at` (a replica reports them so). */
  record(sighting: Sighting, caller: string | undefined, ip: string | undefined, at: number, count = 1, firstAt = at): void {
    const group = `${sighting.kind}\u0000${sighting.entry.id}`;
    const who = this.callerOf(group, caller ?? NO_CALLER);
    const key = `${group}\u0000${who}`;
    let s = this.pending.get(key);
    if (!s) {
      const { entry } = sighting;
      s = {
        kind: sighting.kind,
        keyId: entry.id,
        keyName: entry.name,
        caller: who,
        ip: null,
        count: 0,
        firstSeenAt: firstAt,
        lastSeenAt: at,
        detail: detailOf(sighting),
        tombstone: entry.deletedAt !== undefined,
      };
      this.pending.set(key, s);
    }
    s.count += count;
    s.firstSeenAt = Math.min(s.firstSeenAt, firstAt);
    s.lastSeenAt = Math.max(s.lastSeenAt, at);
    if (ip !== undefined) s.ip = ip;
  }

  /** `caller`, if the group has room for it (or has it already); else no caller. */
  private callerOf(group: string, caller: string): string {
    if (caller === NO_CALLER) return caller;
    let known = this.callers.get(group);
    if (!known) this.callers.set(group, (known = new Set()));
    if (known.has(caller)) return caller;
    if (known.size >= OPEN_ALERTS_PER_KEY) return NO_CALLER;
    known.add(caller);
    return caller;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Everything counted (or the first `limit`), for a flush; what it takes is no longer counted here. */
  drain(limit = Number.POSITIVE_INFINITY): AlertSighting[] {
    if (limit >= this.pending.size) {
      const all = [...this.pending.values()];
      this.pending = new Map();
      return all;
    }
    const some: AlertSighting[] = [];
    for (const [key, s] of this.pending) {
      if (some.length >= limit) break;
      some.push(s);
      this.pending.delete(key);
    }
    return some;
  }

  /** Puts back what a failed flush drained (added to what was counted since). */
  restore(sightings: readonly AlertSighting[]): void {
    for (const s of sightings) {
      const key = `${s.kind}\u0000${s.keyId}\u0000${s.caller}`;
      const now = this.pending.get(key);
      if (!now) {
        this.pending.set(key, { ...s });
        continue;
      }
      now.count += s.count;
      now.firstSeenAt = Math.min(now.firstSeenAt, s.firstSeenAt);
      now.ip ??= s.ip;
    }
  }
}
