/**
 * The daemon's side of in-process verification (docs/replicas.md). Every change to the
 * verification index becomes a `change` with the next `seq`, queued to every replica's stream
 * — bounded, so a replica that stops reading is cut off instead of buffered — and kept a while
 * so a replica that reconnects can resume instead of taking a new snapshot. A replica's acks
 * renew its lease (`renews` in src/replica/lease.ts says when) and carry its usage, which the
 * usage tracker counts as its own, and its sightings of canaries and deleted keys, which the
 * alerts count as their own. A write that narrows access waits in `settled()` until every
 * replica with a lease has acked it or its lease has run out. Long because those four share
 * one state (the replicas, their acks and leases, the `seq`s) that would only be passed around
 * if split.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { QuotaLedger } from '../../decide/quota.js';
import { sightingOf } from '../../decide/verify.js';
import { Lease, renews } from '../../replica/lease.js';
import { encodeChunk, parseResumeToken, toWire, type Hello, type ReplicaMessages, type WireKey } from '../../replica/wire.js';
import { KeywardError } from '../errors.js';
import { EventStream, type Frame, type Queued, type StreamOwner } from '../events/streams.js';
import { narrows, type Access } from '../keys/narrowing.js';
import type { AlertService } from '../alerts/service.js';
import type { IndexedKey } from '../../decide/policy.js';
import type { UsageDelta } from '../store.js';
import type { UsageTracker } from '../usage/tracker.js';
import type { KeyIndex } from '../verify/key-index.js';
import type { LeaseHorizon } from './horizon.js';
import type { AckAnswer, AckInput } from './schemas.js';

export type ReplicaOptions = {
  leaseMs: number;
  heartbeatMs: number;
  /** How often a replica acks at least. */
  ackMs: number;
  /** How long a replica may owe a narrowing change and still be renewed. */
  giveUpMs: number;
  /** Bytes of frames a replica may leave untaken before it is cut off. */
  queueBytes: number;
  /** Keys per snapshot chunk. */
  chunkKeys: number;
  /** Changes kept for replicas that reconnect: at least this many, up to twice as many. */
  resumeChanges: number;
  /** Streams one operator may hold, and all together. */
  perOperator: number;
  total: number;
};

/**
 * A 1 s lease renewed every 250 ms rides out three lost acks. 4 MiB of queue is ~15,000
 * changes: a replica that lags that far is better served by a snapshot.
 */
export const REPLICA_DEFAULTS: ReplicaOptions = {
  leaseMs: 1000,
  heartbeatMs: 250,
  ackMs: 250,
  giveUpMs: 250,
  queueBytes: 4 * 1024 * 1024,
  // Each chunk is made in one task (sse.ts turns the loop between frames): 2,000 keys held the
  // loop 100–125 ms while nine replicas loaded 100,000 keys each, 500 under 60 ms.
  chunkKeys: 500,
  resumeChanges: 10_000,
  perOperator: 64,
  total: 256,
};

/** Time for leases: monotonic, never the time of day (which an operator or NTP may step). */
export type LeaseClock = { now(): number; after(ms: number, task: () => void): () => void };

const monotonicClock: LeaseClock = {
  now: () => performance.now(),
  after(ms, task) {
    const timer = setTimeout(task, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export type HubDeps = {
  index: KeyIndex;
  /** Resolves once the index holds every key: a snapshot waits for it (verify/warm-index.ts). */
  indexReady?: Promise<void>;
  usage: UsageTracker;
  /** Where the sightings replicas report are counted, as the daemon's verify path counts its own. */
  alerts: Pick<AlertService, 'sighted'>;
  /** Told how many replica streams are open whenever that changes (the `/metrics` gauge). */
  onConnected?: (open: number) => void;
  /** The ledger the daemon's verifications take quota from (the tracker flushes it). */
  quotas: QuotaLedger;
  /** The daemon's time of day: expiry and quotas are decided by it, on replicas too. */
  now: () => number;
  /** False while the daemon cannot follow its store's changes (a shared store it cannot reach). */
  following: () => boolean;
  isActive: (operatorId: string) => boolean;
  log: (line: string) => void;
  horizon: LeaseHorizon;
  clock?: LeaseClock;
  options?: Partial<ReplicaOptions>;
};

export type ReplicaSession = {
  /** The replica's id, as its hello says. */
  id: string;
  stream: EventStream;
  /** What goes out before the queued changes: hello, the snapshot or the missed changes, ready. */
  opening(): AsyncGenerator<Frame>;
};

type Replica = {
  readonly id: string;
  readonly owner: StreamOwner;
  readonly stream: EventStream;
  /** The `seq` its copy starts at; acks below it say nothing. */
  readonly floor: number;
  acked: number;
  readonly lease: Lease;
  /** Its lease's length: the daemon's, or the shorter one it asked for. */
  readonly leaseMs: number;
  /** Writes waiting for it to ack `seq` (or for its lease to run out). */
  waiters: { seq: number; done: () => void }[];
  cancelTimer?: () => void;
  /** Its lease is withheld because it stays behind (logged once). */
  givenUp: boolean;
};

const NO_POLICY = { scopes: null, allowedIps: null, rateLimit: null, quota: null } as const;
const DAY_MINUTES = 24 * 60;
/** How far ahead of the daemon's clock a replica's usage times may be. */
const SKEW_MS = 60_000;

function accessOf(key: WireKey | undefined): Access | undefined {
  return key && { status: key.status, expiresAt: key.expiresAt, ...(key.policy ?? NO_POLICY), deleted: key.deletedAt !== undefined };
}

function frame<E extends keyof ReplicaMessages>(event: E, message: ReplicaMessages[E]): Queued {
  const data = JSON.stringify(message);
  return { frame: { event, data }, size: data.length + event.length + 16 };
}

/**
 * A change kept for replicas that resume, its frame made when first sent: with no replica
 * connected (an import into a daemon nobody replicates) nothing is serialised, which was
 * 0.5–0.9 µs of the loop's CPU an imported key. The change's key is a copy made for it
 * (`toWire`), never changed after.
 */
class Kept {
  private queued: Queued | undefined;
  constructor(
    readonly seq: number,
    private readonly change: ReplicaMessages['change'],
  ) {}

  get item(): Queued {
    return (this.queued ??= frame('change', this.change));
  }
}

export class ReplicaHub {
  /** Names this run's `seq`s, so a resume token from an earlier run gets a snapshot. */
  readonly epoch = randomBytes(9).toString('base64url');
  private readonly options: ReplicaOptions;
  private readonly clock: LeaseClock;
  private seq = 0;
  /** The newest narrowing change. */
  private narrowed = 0;
  /** Narrowing changes some replica may not have acked, oldest first, with when they happened. */
  private owed: { seq: number; at: number }[] = [];
  /** The latest changes, for replicas that resume: serialised when first sent (`Kept`). */
  private recent: Kept[] = [];
  private readonly replicas = new Map<string, Replica>();
  /** Until then leases of this daemon's previous run may hold: narrowing writes wait for it. */
  private readonly quietUntil: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: HubDeps) {
    this.options = { ...REPLICA_DEFAULTS, ...deps.options };
    this.clock = deps.clock ?? monotonicClock;
    this.quietUntil = this.clock.now() + deps.horizon.outstanding(Date.now(), this.options.leaseMs);
    this.unsubscribe = deps.index.onChange((before, after) => this.changed(before, after));
  }

  /** Replicas with an open stream. */
  get connected(): number {
    let n = 0;
    for (const replica of this.replicas.values()) if (!replica.stream.closed) n++;
    return n;
  }

  /**
   * Resolves once no replica answers from a copy without the newest narrowing change: each
   * has acked it, or its lease has run out. Writes that may narrow call it before answering.
   */
  settled(): Promise<void> {
    const target = this.narrowed;
    const at = this.clock.now();
    const waits: Promise<void>[] = [];
    if (target > 0 && at < this.quietUntil) waits.push(new Promise((done) => this.clock.after(this.quietUntil - at, done)));
    for (const replica of this.replicas.values()) {
      if (replica.acked >= target || !replica.lease.holds(at)) continue;
      waits.push(
        new Promise((done) => {
          replica.waiters.push({ seq: target, done });
          this.arm(replica);
        }),
      );
    }
    return waits.length === 0 ? Promise.resolve() : Promise.all(waits).then(() => undefined);
  }

  /** A new replica's stream: a snapshot, or only the changes after `resume` when they are all still kept. */
  open(owner: StreamOwner, resume?: string, leaseMs?: number): ReplicaSession {
    this.refuseOverCap(owner);
    const from = resume === undefined ? undefined : parseResumeToken(resume);
    const replay = from?.epoch === this.epoch ? this.changesAfter(from.seq) : undefined;
    const stream = new EventStream(owner, this.options.queueBytes);
    const replica: Replica = {
      id: `rep_${randomBytes(12).toString('base64url')}`,
      owner,
      stream,
      floor: this.seq,
      acked: replay ? from!.seq : -1,
      lease: new Lease(),
      leaseMs: Math.min(leaseMs ?? this.options.leaseMs, this.options.leaseMs),
      waiters: [],
      givenUp: false,
    };
    this.replicas.set(replica.id, replica);
    this.deps.onConnected?.(this.connected);
    stream.onClose(() => {
      this.deps.onConnected?.(this.connected);
      if (!replica.lease.holds(this.clock.now())) this.forget(replica);
    });
    this.startHeartbeat();
    const { heartbeatMs } = this.options;
    // A shorter lease needs acks at least as often, relative to it.
    const ackMs = Math.min(this.options.ackMs, Math.floor(replica.leaseMs / 4));
    const hello: Omit<Hello, 'keys'> = { replicaId: replica.id, epoch: this.epoch, seq: replica.floor, leaseMs: replica.leaseMs, heartbeatMs, ackMs, resumed: replay !== undefined, marksNarrowing: true };
    return { id: replica.id, stream, opening: () => this.opening(hello, replay) };
  }

  /** Takes an ack: counts its usage, notes how far the replica is, and renews its lease or not. */
  ack(owner: StreamOwner, body: AckInput): AckAnswer {
    const now = this.deps.now();
    const quotas = body.usage ? this.countUsage(body.usage, now) : [];
    if (body.sightings) this.countSightings(body.sightings, now);
    const answer = (lease: AckAnswer['lease'], leaseMs = 0): AckAnswer => ({ lease, leaseMs, now, seq: this.seq, quotas });
    const replica = this.replicas.get(body.replicaId);
    if (!replica || replica.owner.id !== owner.id) return answer('unknown');
    if (body.seq !== undefined) replica.acked = Math.max(replica.acked, Math.min(body.seq, this.seq));
    if (body.closing) {
      // It has stopped answering from its copy: nothing to wait out.
      this.forget(replica);
      return answer('withheld');
    }
    this.release(replica);
    if (body.seq === undefined) return answer('withheld');
    const at = this.clock.now();
    const standing = {
      streaming: !replica.stream.closed,
      acked: replica.acked,
      floor: replica.floor,
      leaseHolds: replica.lease.holds(at),
      behindSince: this.owed.find((change) => change.seq > replica.acked)?.at,
    };
    const { leaseMs } = replica;
    const giveUpMs = Math.min(this.options.giveUpMs, leaseMs / 4);
    if (!renews(standing, this.narrowed, at, giveUpMs) || !this.deps.following() || !this.deps.horizon.covers(Date.now() + leaseMs)) {
      if (standing.streaming && standing.behindSince !== undefined && !replica.givenUp) {
        replica.givenUp = true;
        this.deps.log(`replica ${replica.id} of operator "${owner.name}" stays behind a narrowing change: its lease is not renewed until it catches up`);
      }
      return answer('withheld');
    }
    replica.givenUp = false;
    replica.lease.extend(at, leaseMs);
    this.arm(replica);
    return answer('granted', leaseMs);
  }

  /** Closes every stream; records when the leases out there end, for the next run. */
  close(): void {
    this.unsubscribe();
    clearInterval(this.heartbeat);
    const at = this.clock.now();
    let lastEnd = at;
    for (const replica of this.replicas.values()) {
      lastEnd = Math.max(lastEnd, replica.lease.endsAt);
      replica.stream.close();
    }
    const now = Date.now();
    this.deps.horizon.stopped(now + (lastEnd - at), now);
  }

  private changed(before: IndexedKey | undefined, after: IndexedKey | undefined): void {
    const seq = ++this.seq;
    const key = after && toWire(after);
    const narrowing = narrows(accessOf(before && toWire(before)), accessOf(key));
    if (narrowing) {
      this.narrowed = seq;
      if (this.replicas.size > 0) this.owed.push({ seq, at: this.clock.now() });
    }
    const change = key ? { seq, key } : { seq, removed: before!.id };
    const kept = new Kept(seq, narrowing ? { ...change, narrows: true } : change);
    this.recent.push(kept);
    // Trimmed when twice the number to keep, not at every change: splicing one off the front
    // of 10,000 at each change cost an import ~6 µs a key (an import puts 10,000 keys a call).
    if (this.recent.length >= 2 * this.options.resumeChanges) this.recent.splice(0, this.recent.length - this.options.resumeChanges);
    if (this.replicas.size === 0) return;
    const { item } = kept;
    for (const replica of this.replicas.values()) this.deliver(replica, item);
  }

  /** The kept changes after `seq`, or undefined when some of them are no longer kept. */
  private changesAfter(seq: number): Queued[] | undefined {
    if (seq > this.seq) return undefined;
    const first = this.recent[0]?.seq ?? this.seq + 1;
    if (seq < first - 1) return undefined;
    return this.recent.filter((change) => change.seq > seq).map((change) => change.item);
  }

  private async *opening(opened: Omit<Hello, 'keys'>, replay: Queued[] | undefined): AsyncGenerator<Frame> {
    // Changes made meanwhile are queued for the replica from the moment it opened (its floor).
    // A load that failed (logged) gives no snapshot: the stream ends, the replica asks the daemon.
    if (!replay && !(await (this.deps.indexReady?.then(() => true, () => false) ?? true))) {
      this.replicas.get(opened.replicaId)?.stream.close();
      return;
    }
    const hello: Hello = { ...opened, keys: replay ? 0 : this.deps.index.size };
    yield frame('hello', hello).frame;
    if (replay) {
      for (const item of replay) yield item.frame;
    } else {
      // The index changes while the snapshot goes out; those changes are queued behind it and
      // carry whole keys, so applying them after the snapshot ends in the current state.
      let chunk: IndexedKey[] = [];
      for (const entry of this.deps.index.entries()) {
        chunk.push(entry);
        if (chunk.length < this.options.chunkKeys) continue;
        yield frame('snapshot', encodeChunk(chunk)).frame;
        chunk = [];
      }
      if (chunk.length > 0) yield frame('snapshot', encodeChunk(chunk)).frame;
    }
    yield frame('ready', { seq: hello.seq }).frame;
  }

  private deliver(replica: Replica, item: Queued): void {
    if (replica.stream.closed || replica.stream.offer(item)) return;
    const { name } = replica.owner;
    this.deps.log(`cut off replica ${replica.id} of operator "${name}": it fell more than ${Math.round(this.options.queueBytes / 1024)} KiB behind`);
    replica.stream.close();
  }

  /** Uses a replica reports, counted by the tracker as the daemon's own; answers the quotas they touched. */
  private countUsage(usage: AckInput['usage'] & object, now: number): AckAnswer['quotas'] {
    const { index, quotas } = this.deps;
    const known = (item: { keyId: string }) => index.get(item.keyId) !== undefined;
    const minute = Math.floor(now / 60_000);
    const delta: UsageDelta = {
      buckets: usage.buckets.filter((b) => known(b) && b.minute > minute - DAY_MINUTES && b.minute <= minute + 1),
      callers: usage.callers.filter((c) => known(c) && c.at <= now + SKEW_MS),
      lastUsed: usage.lastUsed.filter((u) => known(u) && u.at <= now + SKEW_MS),
      quotas: usage.quotas.filter(known),
    };
    const quotaOf = (keyId: string) => index.get(keyId)?.policy?.quota;
    this.deps.usage.merge(delta, quotaOf);
    return [...new Set(usage.quotas.map((use) => use.keyId))].flatMap((keyId) => {
      const quota = quotaOf(keyId);
      return quota ? [{ keyId, ...quotas.peek(keyId, quota, now) }] : [];
    });
  }

  /**
   * Sightings a replica reports, counted as if this daemon's verify had seen them (the same
   * dedup), but only where this daemon's index marks the key so: `sightingOf`, the decision
   * verify takes, must name the same kind. A replica cannot raise an alert about any other key.
   */
  private countSightings(sightings: NonNullable<AckInput['sightings']>, now: number): void {
    for (const reported of sightings) {
      const entry = this.deps.index.get(reported.keyId);
      const sighting = entry && sightingOf(entry);
      if (!sighting || sighting.kind !== reported.kind) continue;
      // Times as usage's are taken: at most a minute ahead, the first within a day of the last;
      // and the last at most a day behind (a replica's clock set wrong would date the alert,
      // and the webhooks it sends, to 1970).
      const last = Math.min(Math.max(reported.lastSeenAt, now - DAY_MINUTES * 60_000), now + SKEW_MS);
      const first = Math.min(Math.max(reported.firstSeenAt, last - DAY_MINUTES * 60_000), last);
      this.deps.alerts.sighted(sighting, reported.caller, reported.ip, last, reported.count, first);
    }
  }

  /** Lets go of the writes waiting for what `replica` has now acked. */
  private release(replica: Replica): void {
    const waiting = replica.waiters;
    replica.waiters = waiting.filter((w) => w.seq > replica.acked);
    for (const w of waiting) if (w.seq <= replica.acked) w.done();
    if (replica.waiters.length === 0) replica.cancelTimer?.();
  }

  /** While writes wait for `replica`, wakes up when its lease runs out. */
  private arm(replica: Replica): void {
    replica.cancelTimer?.();
    replica.cancelTimer = undefined;
    if (replica.waiters.length === 0) return;
    replica.cancelTimer = this.clock.after(Math.max(0, replica.lease.endsAt - this.clock.now()), () => this.leaseEnded(replica));
  }

  private leaseEnded(replica: Replica): void {
    if (replica.lease.holds(this.clock.now())) return this.arm(replica);
    // It no longer answers from its copy, and gets no new lease before it acks what it owes.
    for (const w of replica.waiters.splice(0)) w.done();
    if (replica.stream.closed) this.forget(replica);
  }

  private forget(replica: Replica): void {
    replica.stream.close();
    replica.cancelTimer?.();
    for (const w of replica.waiters.splice(0)) w.done();
    this.replicas.delete(replica.id);
    if (this.replicas.size === 0) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  private refuseOverCap(owner: StreamOwner): void {
    const { total, perOperator } = this.options;
    const open = [...this.replicas.values()].filter((r) => !r.stream.closed);
    if (open.length >= total) throw new KeywardError('too_many_streams', `The daemon already has ${total} replica streams open, its limit; try again later`);
    if (open.filter((r) => r.owner.id === owner.id).length >= perOperator) {
      throw new KeywardError('too_many_streams', `Operator "${owner.name}" already has ${perOperator} replica streams open, the limit per operator; close one first`);
    }
  }

  /** Heartbeats; and the sweep: disabled operators' streams close, gone replicas are forgotten once their leases end, old owed changes are dropped. */
  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      const at = this.clock.now();
      const beat = frame('heartbeat', { seq: this.seq });
      for (const replica of [...this.replicas.values()]) {
        // A disabled operator's replica hears nothing more and gets no lease (its acks are
        // refused), but the writes waiting on it still wait out the lease it holds.
        if (!this.deps.isActive(replica.owner.id)) replica.stream.close();
        if (!replica.stream.closed) this.deliver(replica, beat);
        else if (!replica.lease.holds(at)) this.forget(replica);
      }
      let oldest = Number.POSITIVE_INFINITY;
      for (const replica of this.replicas.values()) oldest = Math.min(oldest, Math.max(replica.acked, replica.floor));
      this.owed = this.owed.filter((change) => change.seq > oldest);
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }
}
