/**
 * Sightings counted in memory on the verify path, between two flushes of the alert service
 * (or two acks of a replica): one entry per kind, key and caller (at most `OPEN_ALERTS_PER_KEY`
 * callers a key and kind in one batch, the rest counted without one), so a flood of
 * presentations costs a map update each and becomes one sighting with a count. Nothing here
 * touches the store.
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

const groupOf = (kind: string, keyId: string) => `${kind}\u0000${keyId}`;
const keyOf = (kind: string, keyId: string, caller: string) => `${groupOf(kind, keyId)}\u0000${caller}`;

export class SightingCounter {
  private pending = new Map<string, AlertSighting>();
  /**
   * The callers each kind and key has pending (not yet drained): at most `OPEN_ALERTS_PER_KEY`,
   * so a flood of fresh names costs a flush at most that many sightings a key (the worst flush
   * `npm run bench -- alerts` measures). Only a bound on the batch: which callers get an alert
   * of their own is the store's to say, against the alerts open when it writes (`callerFor`).
   * A cap kept from the daemon's start instead outlived the alerts it stood for: once they were
   * acknowledged, a new caller still went to the caller-less alert, and raised nothing.
   */
  private readonly callers = new Map<string, Set<string>>();

  /** `count` presentations, the first at `firstAt` and the last at `at` (a replica reports them so). */
  record(sighting: Sighting, caller: string | undefined, ip: string | undefined, at: number, count = 1, firstAt = at): void {
    const who = this.callerOf(groupOf(sighting.kind, sighting.entry.id), caller ?? NO_CALLER);
    const key = keyOf(sighting.kind, sighting.entry.id, who);
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
    const known = this.callers.get(group);
    if (known?.has(caller)) return caller;
    if ((known?.size ?? 0) >= OPEN_ALERTS_PER_KEY) return NO_CALLER;
    this.pendingCaller(group, caller);
    return caller;
  }

  private pendingCaller(group: string, caller: string): void {
    let known = this.callers.get(group);
    if (!known) this.callers.set(group, (known = new Set()));
    known.add(caller);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Everything counted (or the first `limit`), for a flush; what it takes is no longer counted here. */
  drain(limit = Number.POSITIVE_INFINITY): AlertSighting[] {
    if (limit >= this.pending.size) {
      const all = [...this.pending.values()];
      this.pending = new Map();
      this.callers.clear();
      return all;
    }
    const some: AlertSighting[] = [];
    for (const [key, s] of this.pending) {
      if (some.length >= limit) break;
      some.push(s);
      this.pending.delete(key);
      const group = groupOf(s.kind, s.keyId);
      const known = this.callers.get(group);
      known?.delete(s.caller);
      if (known?.size === 0) this.callers.delete(group);
    }
    return some;
  }

  /** Puts back what a failed flush drained (added to what was counted since). */
  restore(sightings: readonly AlertSighting[]): void {
    for (const s of sightings) {
      const key = keyOf(s.kind, s.keyId, s.caller);
      const now = this.pending.get(key);
      if (!now) {
        this.pending.set(key, { ...s });
        // Over the cap, if fresh callers came meanwhile: at most twice it, until the next drain.
        if (s.caller !== NO_CALLER) this.pendingCaller(groupOf(s.kind, s.keyId), s.caller);
        continue;
      }
      now.count += s.count;
      now.firstSeenAt = Math.min(now.firstSeenAt, s.firstSeenAt);
      now.ip ??= s.ip;
    }
  }
}
