/**
 * Counts verifications in memory and writes them to the store about once a second and at
 * shutdown, with the quota uses the verifier took from the ledger. A flush writes in chunks of
 * at most `FLUSH_CHUNK_KEYS` keys, one transaction each, and lets other work run between
 * chunks: a flush of every key a busy second touched never holds verify up for long
 * (docs/performance.md). A chunk that fails keeps its counts, and those of the chunks after
 * it, for the next flush, so a full disk delays usage instead of losing it. A kill loses at
 * most one interval: of usage counts, and of quota uses (after a restart those uses are
 * available again).
 */
import { setImmediate as turn } from 'node:timers/promises';
import { QuotaLedger, type StoredQuota } from '../../decide/quota.js';
import type { Clock } from '../clock.js';
import { SharedFlush } from '../flush.js';
import type { Store, UsageDelta } from '../store.js';
import { CallerCounter, UNLABELLED_CALLERS } from './callers.js';
import { splitByKey } from './chunks.js';

export const FLUSH_INTERVAL_MS = 1000;
/**
 * Keys per store write: each chunk holds the event loop for its CPU time. 50 rather than 100
 * took verify's p99 at 10 connections from 5.5 to 4.5 ms; 25 was worse again at one
 * connection, where more chunks meant more requests waiting behind one (docs/performance.md).
 */
export const FLUSH_CHUNK_KEYS = 50;
export const USAGE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

type Counts = { ok: number; rejected: number };

export type UsageTick = { at: number; keys: { id: string; ok: number; rejected: number }[] };

/**
 * Where a tracker writes: the store, for a daemon; the daemon, for a replica (its acks carry
 * the counts). `shared`: other processes take from the same quotas, so the tracker reads them
 * back after each write.
 */
export type UsageSink = Pick<Store, 'applyUsage' | 'quotas'> & { readonly shared?: unknown };

export class UsageTracker {
  private buckets = new Map<string, Map<number, Counts>>();
  private readonly callers = new CallerCounter();
  private lastUsed = new Map<string, number>();
  private stopTimer: (() => void) | undefined;
  private readonly flusher = new SharedFlush(() => this.flushNow());

  /** `onFlush` hears of each chunk once the store has it. */
  constructor(
    private readonly store: UsageSink,
    private readonly clock: Clock,
    private readonly onFlush: (tick: UsageTick) => void = () => {},
    private readonly quotas: QuotaLedger = new QuotaLedger(),
    private readonly chunkKeys = FLUSH_CHUNK_KEYS,
  ) {}

  record(keyId: string, ok: boolean, caller: string | undefined, at: number): void {
    const minute = Math.floor(at / 60_000);
    let perKey = this.buckets.get(keyId);
    if (!perKey) this.buckets.set(keyId, (perKey = new Map()));
    let counts = perKey.get(minute);
    if (!counts) perKey.set(minute, (counts = { ok: 0, rejected: 0 }));
    if (ok) {
      counts.ok++;
      this.lastUsed.set(keyId, at);
    } else counts.rejected++;
    this.callers.record(keyId, caller || UNLABELLED_CALLERS, ok, at);
  }

  /**
   * Counts usage another process counted (a replica, whose acks carry it) as if counted here;
   * its quota uses against `quotaOf(keyId)`, the key's quota as last written.
   */
  merge(delta: UsageDelta, quotaOf: (keyId: string) => StoredQuota | null | undefined): void {
    this.restore({ ...delta, quotas: [] });
    const now = this.clock.now();
    for (const use of delta.quotas ?? []) {
      const quota = quotaOf(use.keyId);
      if (quota) this.quotas.absorb(use, quota, now);
    }
  }

  /** Writes everything counted before the call (shared with concurrent calls: daemon/flush.ts). */
  flush(): Promise<void> {
    return this.flusher.flush();
  }

  /**
   * Flushes before a read so it shows every use so far; a failed flush (a full disk) must not
   * fail the read, and its counts stay pending for the next flush.
   */
  async flushForRead(): Promise<void> {
    await this.flush().catch(() => undefined);
  }

  private async flushNow(): Promise<void> {
    if (this.buckets.size > 0) await this.writeCounts();
    // Daemons sharing a store each take from their own ledger: read back what all of them
    // used, also when this one counted nothing since. An idle daemon that skipped it went on
    // granting, 38 s after another daemon had used the quota up, the uses it last saw left.
    const quotaKeys = this.store.shared ? this.quotas.keyIds() : [];
    if (quotaKeys.length > 0) this.quotas.rebase(await this.store.quotas(quotaKeys), this.clock.now());
  }

  private async writeCounts(): Promise<void> {
    const delta: UsageDelta = {
      buckets: [...this.buckets].flatMap(([keyId, perKey]) => [...perKey].map(([minute, c]) => ({ keyId, minute, ...c }))),
      callers: this.callers.drain(),
      lastUsed: [...this.lastUsed].map(([keyId, at]) => ({ keyId, at })),
      quotas: this.quotas.drain(),
    };
    this.buckets = new Map();
    this.lastUsed = new Map();
    const chunks = splitByKey(delta, this.chunkKeys);
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) await turn();
      try {
        await this.store.applyUsage(chunk, this.clock.now() - USAGE_RETENTION_MS);
      } catch (err) {
        for (const unwritten of chunks.slice(i)) this.restore(unwritten);
        throw err;
      }
      this.onFlush(tickOf(chunk, this.clock.now()));
    }
  }

  private restore(delta: UsageDelta): void {
    this.quotas.restore(delta.quotas ?? []);
    for (const b of delta.buckets) {
      let perKey = this.buckets.get(b.keyId);
      if (!perKey) this.buckets.set(b.keyId, (perKey = new Map()));
      const c = perKey.get(b.minute) ?? { ok: 0, rejected: 0 };
      perKey.set(b.minute, { ok: c.ok + b.ok, rejected: c.rejected + b.rejected });
    }
    this.callers.restore(delta.callers);
    for (const u of delta.lastUsed) {
      if ((this.lastUsed.get(u.keyId) ?? 0) < u.at) this.lastUsed.set(u.keyId, u.at);
    }
  }

  start(onError: (err: unknown) => void, intervalMs = FLUSH_INTERVAL_MS): void {
    this.stopTimer = this.clock.every(intervalMs, () => this.flush().catch(onError));
  }

  async stop(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    await this.flush();
  }
}

/** Each key's verifications in `delta`, as listeners hear of them. */
function tickOf(delta: UsageDelta, at: number): UsageTick {
  const keys = new Map<string, { id: string; ok: number; rejected: number }>();
  for (const b of delta.buckets) {
    const key = keys.get(b.keyId) ?? { id: b.keyId, ok: 0, rejected: 0 };
    key.ok += b.ok;
    key.rejected += b.rejected;
    keys.set(b.keyId, key);
  }
  return { at, keys: [...keys.values()] };
}
