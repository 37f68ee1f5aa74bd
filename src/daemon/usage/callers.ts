/**
 * Caller labels are chosen by whoever presents a key (a service may pass on a client's header),
 * so their number is not ours to decide: a stream of fresh labels once wrote 20,000 rows in
 * ten seconds and filled the disk. Each key keeps its `CALLERS_KEPT` most recently seen
 * callers, in memory between flushes and in the store; the rest are added up under
 * `OTHER_CALLERS`, an empty label that no real caller has (verify drops empty labels), shown as
 * `OTHER_CALLERS_LABEL`, which no real caller's label reads as either (`cleanCallerLabel`).
 */
import { OTHER_CALLERS_LABEL, UNLABELLED_CALLERS_LABEL } from '../../caller-label.js';
import type { UsageDelta } from '../store.js';

export const CALLERS_KEPT = 1000;
/** How many of a key's callers a usage read answers, the most recently seen first. */
export const CALLERS_LISTED = 100;
export const OTHER_CALLERS = '';
/**
 * The uses that came with no caller label, counted under a label no cleaned one can be (cleaned
 * labels are trimmed), so a key's callers add up to its uses.
 */
export const UNLABELLED_CALLERS = ' ';

/** A stored caller as the API and screens show it. */
export function callerLabel(caller: string): string {
  return caller === OTHER_CALLERS ? OTHER_CALLERS_LABEL : caller === UNLABELLED_CALLERS ? UNLABELLED_CALLERS_LABEL : caller;
}

/** Whether a stored caller is one system: not a row keyward adds up, of which nobody can say who moved. */
export function isOneCaller(caller: string): boolean {
  return caller !== OTHER_CALLERS && caller !== UNLABELLED_CALLERS;
}

type CallerCounts = UsageDelta['callers'][number];

/** Callers counted since the last flush, at most `CALLERS_KEPT` (plus the rest) per key. */
export class CallerCounter {
  private perKey = new Map<string, Map<string, CallerCounts>>();

  record(keyId: string, caller: string, ok: boolean, at: number): void {
    this.add({ keyId, caller, at, ok: ok ? 1 : 0, rejected: ok ? 0 : 1 });
  }

  /** Everything counted, for a flush; the counter starts empty. */
  drain(): CallerCounts[] {
    const all = [...this.perKey.values()].flatMap((callers) => [...callers.values()]);
    this.perKey = new Map();
    return all;
  }

  /** Puts back what a failed flush drained, under the same limit. */
  restore(callers: readonly CallerCounts[]): void {
    for (const c of callers) this.add(c);
  }

  private add(counts: CallerCounts): void {
    let callers = this.perKey.get(counts.keyId);
    if (!callers) this.perKey.set(counts.keyId, (callers = new Map()));
    let c = callers.get(counts.caller);
    if (!c) {
      if (counts.caller !== OTHER_CALLERS && callers.size - (callers.has(OTHER_CALLERS) ? 1 : 0) >= CALLERS_KEPT) this.foldOldest(counts.keyId, callers);
      callers.set(counts.caller, (c = { keyId: counts.keyId, caller: counts.caller, at: counts.at, ok: 0, rejected: 0 }));
    }
    c.at = Math.max(c.at, counts.at);
    c.ok += counts.ok;
    c.rejected += counts.rejected;
  }

  /** Adds the least recently seen caller of a full key to its others (a scan, only when full). */
  private foldOldest(keyId: string, callers: Map<string, CallerCounts>): void {
    let oldest: CallerCounts | undefined;
    for (const c of callers.values()) if (c.caller !== OTHER_CALLERS && (!oldest || c.at < oldest.at)) oldest = c;
    if (!oldest) return;
    callers.delete(oldest.caller);
    const others = callers.get(OTHER_CALLERS);
    if (others) {
      others.at = Math.max(others.at, oldest.at);
      others.ok += oldest.ok;
      others.rejected += oldest.rejected;
    } else callers.set(OTHER_CALLERS, { ...oldest, keyId, caller: OTHER_CALLERS });
  }
}
