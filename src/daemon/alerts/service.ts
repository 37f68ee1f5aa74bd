/**
 * Alerts (docs/alerts.md). The verify path counts sightings in memory (`sighted`); a flush
 * writes them in one transaction about once a second (and at shutdown) and announces each
 * alert raised or counted on the event bus. A flush that fails keeps its sightings for the
 * next one, so a full disk delays alerts instead of losing them. Besides: the check for keys
 * that expire within 7 days, acknowledging, and forgetting tombstones after a year.
 */
import { setImmediate as turn } from 'node:timers/promises';
import type { Sighting } from '../../decide/verify.js';
import type { Clock } from '../clock.js';
import { decodeCursor, pageOf } from '../cursor.js';
import type { EventBus } from '../events/bus.js';
import { SharedFlush } from '../flush.js';
import type { Actor, AlertChange, AlertSighting, Store } from '../store.js';
import { FLUSH_INTERVAL_MS } from '../usage/tracker.js';
import { LEAK_PREFIX } from '../limits.js';
import { HOUR_MS, leakReported, NO_CALLER } from './dedup.js';
import { EXPIRING_WITHIN_MS, leakLocation } from './kinds.js';
import { alertJson, type AlertJson } from './schemas.js';
import { SightingCounter } from './sightings.js';

const EXPIRY_CHECK_MS = 60_000;
/**
 * Sightings a flush writes in one transaction: ~5 ms of SQLite for sightings that count on open
 * alerts, ~40 ms for ones that raise new alerts (measured on this box: 20,000 took 0.22 s and
 * 1.5 s in one transaction).
 */
const FLUSH_CHUNK = 500;

export type AlertServiceDeps = {
  store: Store;
  events: EventBus;
  clock: Clock;
  /** Forgets the tombstones of keys deleted over a year ago (the key service's, which keeps the index). */
  pruneTombstones: () => Promise<void>;
};

/** A live key a scanner found: its secret's SHA-256 (proof it holds the secret) and where (`FILE:LINE`). */
export type Leak = { sha256: string; where: string };

export type AlertPage = { alerts: AlertJson[]; nextCursor: string | null };

export class AlertService {
  private readonly pending = new SightingCounter();
  private readonly flusher = new SharedFlush(() => this.flushNow());
  /** Keys (and expiry) already reported expiring by this daemon, so the check asks the store only about new ones. */
  private readonly expiringSeen = new Set<string>();
  private stops: (() => void)[] = [];

  constructor(private readonly deps: AlertServiceDeps) {}

  /**
   * The verify path: counts the sighting in memory, never touches the store. A replica's
   * report brings `count` presentations at once, the first at `firstAt`.
   */
  sighted(sighting: Sighting, caller: string | undefined, ip: string | undefined, at: number, count = 1, firstAt = at): void {
    this.pending.record(sighting, caller, ip, at, count, firstAt);
  }

  /** Writes every sighting counted before the call (shared with concurrent calls: daemon/flush.ts). */
  flush(): Promise<void> {
    return this.flusher.flush();
  }

  /** Flushes before a read so it shows every sighting so far; a failed flush must not fail the read. */
  async flushForRead(): Promise<void> {
    await this.flush().catch(() => undefined);
  }

  /**
   * Writes in transactions of `FLUSH_CHUNK` sightings, yielding between them, so a flush of a
   * flood's worth never holds the event loop (and every verify) for long.
   */
  private async flushNow(): Promise<void> {
    if (this.pending.size === 0) return;
    const sightings = this.pending.drain();
    for (let from = 0; from < sightings.length; from += FLUSH_CHUNK) {
      if (from > 0) await turn();
      let changes: AlertChange[];
      try {
        changes = await this.deps.store.recordSightings(sightings.slice(from, from + FLUSH_CHUNK), this.deps.clock.now());
      } catch (err) {
        this.pending.restore(sightings.slice(from));
        throw err;
      }
      this.announce(changes);
    }
  }

  private announce(changes: readonly AlertChange[]): void {
    for (const { alert, raised } of changes) this.deps.events.publish({ type: raised ? 'alert.raised' : 'alert.updated', alert: alertJson(alert) });
  }

  async list(query: { openOnly: boolean; limit: number; cursor?: string; key?: string }): Promise<AlertPage> {
    await this.flushForRead();
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.deps.store.listAlerts({ openOnly: query.openOnly, limit: query.limit + 1, after: after && { lastSeenAt: after.at, id: after.id }, key: query.key });
    const { page, nextCursor } = pageOf(rows, query.limit, (a) => ({ at: a.lastSeenAt, id: a.id }));
    return { alerts: page.map(alertJson), nextCursor };
  }

  async ack(id: string, actor: Actor): Promise<AlertJson> {
    await this.flushForRead();
    const { alert, acknowledged } = await this.deps.store.ackAlert(id, this.deps.clock.now(), actor);
    if (acknowledged) this.announce([{ alert, raised: false }]);
    return alertJson(alert);
  }

  /**
   * After a deactivation that reported a leak at `at`: announces its `key.leaked` alert (the
   * store raised it, or counted on the open one of that location, in that write).
   */
  async announceLeak(keyId: string, reason: string, at: number): Promise<void> {
    const alert = await this.deps.store.openAlert('key.leaked', keyId, leakLocation(reason));
    if (alert) this.announce([{ alert, raised: alert.firstSeenAt === at }]);
  }

  /**
   * A scanner's report of live keys it found (`POST /v1/keys/leaks`): raises `key.leaked`, or
   * counts on the open alert of that key and location, for each hash that is an active key.
   * Anything else is left alone: an unknown hash, an inactive or deleted key, an operator's
   * token (never looked up here, whoever asks), and a canary (found where it was planted; a
   * presentation is what trips it). Says for each leak, in order, whether it was reported.
   */
  async reportLeaks(leaks: readonly Leak[], by: Actor): Promise<boolean[]> {
    const at = this.deps.clock.now();
    const matches = await this.deps.store.findByHashes([...new Set(leaks.map((l) => l.sha256))], false);
    const live = new Map(matches.filter((m) => m.kind === 'key' && m.state === 'active' && !m.canary).map((m) => [m.hash, m]));
    const sightings = leaks.flatMap((l) => {
      const key = live.get(l.sha256);
      return key ? [leakReported(key, LEAK_PREFIX + l.where, at, by.name)] : [];
    });
    if (sightings.length > 0) this.announce(await this.deps.store.recordSightings(sightings, at));
    return leaks.map((l) => live.has(l.sha256));
  }

  /** Raises `key.expiring` for each active key that expires within 7 days, once per key and expiry. */
  async checkExpiring(): Promise<void> {
    const now = this.deps.clock.now();
    const expiring = await this.deps.store.keysExpiring(now, now + EXPIRING_WITHIN_MS);
    const fresh = expiring.filter((k) => !this.expiringSeen.has(`${k.id}@${k.expiresAt}`));
    if (fresh.length === 0) return;
    const sightings: AlertSighting[] = fresh.map((k) => ({
      kind: 'key.expiring',
      keyId: k.id,
      keyName: k.name,
      caller: NO_CALLER,
      ip: null,
      count: 1,
      firstSeenAt: now,
      lastSeenAt: now,
      detail: { expiresAt: new Date(k.expiresAt!).toISOString() },
    }));
    this.announce(await this.deps.store.recordSightings(sightings, now));
    for (const k of fresh) this.expiringSeen.add(`${k.id}@${k.expiresAt}`);
  }

  /** Flushes every second, checks expiries every minute and forgets old tombstones every hour, from now. */
  async start(onError: (err: unknown) => void): Promise<void> {
    const { every } = this.deps.clock;
    const guard = (task: () => Promise<void>) => () => task().catch(onError);
    this.stops = [every(FLUSH_INTERVAL_MS, guard(() => this.flush())), every(EXPIRY_CHECK_MS, guard(() => this.checkExpiring())), every(HOUR_MS, guard(this.deps.pruneTombstones))];
    await Promise.all([this.checkExpiring(), this.deps.pruneTombstones()]).catch(onError);
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    await this.flush();
  }
}

