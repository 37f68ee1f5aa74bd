/**
 * Counts verifications in memory and writes them to the store in one transaction per flush
 * (about once a second, and at shutdown), with the quota uses the verifier took from the
 * ledger. A flush that fails keeps its counts for the next one, so a full disk delays usage
 * instead of losing it. A kill loses at most one interval: of usage counts, and of quota uses
 * (after a restart those uses are available again).
 */
import { QuotaLedger, type StoredQuota } from '../../decide/quota.js';
import type { Clock } from '../clock.js';
import type { Store, UsageDelta } from '../store.js';
import { CallerCounter } from './callers.js';

export const FLUSH_INTERVAL_MS = 1000;
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
  private flushing: Promise<UsageTick | undefined> | undefined;

  constructor(
    private readonly store: UsageSink,
    private readonly clock: Clock,
    private readonly onFlush: (tick: UsageTick) => void = () => {},
    private readonly quotas: QuotaLedger = new QuotaLedger(),
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
    if (caller) this.callers.record(keyId, caller, ok, at);
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

  /** Writes what has been counted since the last flush. Concurrent calls share one flush. */
  flush(): Promise<UsageTick | undefined> {
    if (!this.flushing) {
      this.flushing = this.flushNow().finally(() => {
        this.flushing = undefined;
      });
    }
    return this.flushing;
  }

  /**
   * Flushes before a read so it shows every use so far; a failed flush (a full disk) must not
   * fail the read, and its counts stay pending for the next flush.
   */
  async flushForRead(): Promise<void> {
    await this.flush().catch(() => undefined);
  }

  private async flushNow(): Promise<UsageTick | undefined> {
    if (this.buckets.size === 0) return undefined;
    const buckets = this.buckets;
    const lastUsed = this.lastUsed;
    this.buckets = new Map();
    this.lastUsed = new Map();
    const delta: UsageDelta = {
      buckets: [...buckets].flatMap(([keyId, perKey]) => [...perKey].map(([minute, c]) => ({ keyId, minute, ...c }))),
      callers: this.callers.drain(),
      lastUsed: [...lastUsed].map(([keyId, at]) => ({ keyId, at })),
      quotas: this.quotas.drain(),
    };
    try {
      await this.store.applyUsage(delta, this.clock.now() - USAGE_RETENTION_MS);
    } catch (err) {
      this.restore(delta);
      throw err;
    }
    // Daemons sharing a store each take from their own ledger: read back what all of them used.
    if (this.store.shared) this.quotas.rebase(await this.store.quotas(this.quotas.keyIds()), this.clock.now());
    const tick: UsageTick = {
      at: this.clock.now(),
      keys: [...buckets].map(([id, perKey]) => {
        let ok = 0;
        let rejected = 0;
        for (const c of perKey.values()) {
          ok += c.ok;
          rejected += c.rejected;
        }
        return { id, ok, rejected };
      }),
    };
    this.onFlush(tick);
    return tick;
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
