/**
 * The replica verifier (docs/replicas.md): follows `GET /v1/replica` into a copy of the index,
 * acks at least every `ackMs` and at once after a batch holding a change that narrows access
 * (the daemon marks those: a write is waiting), and answers verify from
 * the copy — with the daemon's own decision code and the daemon's clock — while its lease
 * holds. The lease runs from the moment an ack that renewed it was *sent* (lease.ts), so it
 * always ends before the daemon's count of it. Without a lease verify asks the daemon; when
 * that fails too it rejects, and the service answers 503.
 *
 * Usage is counted by the daemon's own tracker, whose "store" here is the daemon: about once a
 * second its counts ride on an ack, split to fit the daemon's body limit; the answers carry the
 * quotas as every process has used them. Presentations of canaries and deleted keys are
 * counted as the daemon counts them and ride on the next ack, so the daemon raises the same
 * alerts as if it had seen them. `close()` sends what is left. Long because the
 * stream, the acks and the lease share one state that would only be passed around if split.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '../../backoff.js';
import { QuotaLedger, type StoredQuota } from '../../decide/quota.js';
import { RateLimiter } from '../../decide/rate-limit.js';
import { verifyKey, type Counters } from '../../decide/verify.js';
import { ApiError } from '../../client/client.js';
import type { StreamEvent } from '../../client/sse.js';
import { systemClock } from '../../daemon/clock.js';
import type { PresentedKind } from '../../daemon/alerts/kinds.js';
import { SightingCounter } from '../../daemon/alerts/sightings.js';
import type { AckAnswer, AckRequest } from '../../daemon/replica/schemas.js';
import type { AlertSighting, UsageDelta } from '../../daemon/store.js';
import { splitBySize } from '../../daemon/usage/chunks.js';
import { UsageTracker, type UsageSink } from '../../daemon/usage/tracker.js';
import { Lease } from '../../replica/lease.js';
import type { Change, Hello, SnapshotChunk } from '../../replica/wire.js';
import { ReplicaCopy } from './copy.js';
import type { DaemonLink } from './link.js';
import { RemoteVerifier } from './remote.js';
import { MALFORMED, NOT_FOUND, reasonOf, verifyBody, VerifierUnavailable, type Verifier, type VerifierState, type VerifyOptions, type VerifyResult } from './request.js';

export type ReplicaVerifierOptions = {
  /** Ask for a lease shorter than the daemon's (never longer). */
  leaseMs?: number;
  onStateChange?: (state: VerifierState, reason: string) => void;
};

/** How often usage rides on an ack. */
const USAGE_EVERY_MS = 1000;
/** Usage per ack, as JSON: well inside the daemon's 64 KiB body limit with the rest of the ack. */
const USAGE_BYTES_PER_ACK = 48 * 1024;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1000;
/** Stream silence (no heartbeat) after which the stream counts as dead: several heartbeats. */
const SILENCE_HEARTBEATS = 6;
/**
 * A key the copy does not have may have been created a moment ago: the copy asks the daemon,
 * at most this many times a second, so made-up keys cannot turn into a flood of requests.
 */
const RECHECKS_PER_SECOND = 100;
/** Sightings per ack: with a caller label each, a few KiB. */
const SIGHTINGS_PER_ACK = 100;
const LEASE_RAN_OUT = 'the lease ran out: the daemon has not renewed it';

export class ReplicaVerifier implements Verifier {
  private readonly copy = new ReplicaCopy();
  private readonly lease = new Lease();
  private readonly counters: Counters;
  private readonly usage: UsageTracker;
  /** Presentations of canaries, tombstones and cut-over keys not yet reported. */
  private readonly sightings = new SightingCounter();
  private readonly remote: RemoteVerifier;
  private session: Hello | undefined;
  /** The current stream has completed the copy: its acks may carry `seq`. */
  private sessionReady = false;
  /** The last replica id the daemon gave, for reports after the stream is gone. */
  private replicaId = 'rep_none';
  /** The daemon's clock minus ours, from the latest ack (decided early rather than late). */
  private offset = 0;
  private current: VerifierState = 'starting';
  private closed = false;
  private fatal: Error | undefined;
  private readonly stopped = new AbortController();
  private stream: AbortController | undefined;
  private acking = false;
  private ackAgain = false;
  private ackSoon = false;
  private lastUsageAt = 0;
  private readonly outbox: UsageDelta[] = [];
  /** Quotas the daemon answered during the current usage report. */
  private answered = new Map<string, StoredQuota & { keyId: string }>();
  private timers: { ack?: NodeJS.Timeout; expiry?: NodeJS.Timeout; silence?: NodeJS.Timeout } = {};
  private readonly readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** `sync()` calls waiting for the copy to reach a `seq`. */
  private catchingUp: { seq: number; done: () => void }[] = [];
  private rechecks = { left: RECHECKS_PER_SECOND, at: 0 };
  private readonly lookup = (hash: string) => this.copy.lookup(hash);

  constructor(
    private readonly link: DaemonLink,
    private readonly options: ReplicaVerifierOptions = {},
  ) {
    const sink: UsageSink = {
      shared: true,
      applyUsage: (delta) => this.report(delta),
      quotas: async (keyIds) => keyIds.flatMap((id) => this.answered.get(id) ?? []),
    };
    const quotas = new QuotaLedger();
    this.usage = new UsageTracker(sink, { now: () => this.daemonNow(), every: systemClock.every }, () => {}, quotas);
    this.counters = { limiter: new RateLimiter(), quotas };
    this.remote = new RemoteVerifier(link);
    void this.follow();
  }

  get state(): VerifierState {
    if (this.closed) return 'closed';
    if (this.answering()) return 'replica';
    return this.current === 'starting' ? 'starting' : 'remote';
  }

  /** Keys in the copy. */
  get size(): number {
    return this.copy.size;
  }

  async verify(key: string, options?: VerifyOptions): Promise<VerifyResult> {
    if (this.closed) throw new VerifierUnavailable('keyward: this verifier is closed');
    const here = this.verifyNow(key, options);
    if (here) return here;
    // A key the copy does not have: the daemon's answer (and its count of the use) is the one
    // that holds; if it cannot give one, the copy's stands — only while the lease still holds
    // when it fails, up to the link's time-out later: a write no longer waits for a copy whose
    // lease ran out, so that copy may be missing a deactivation that has already returned.
    if (!this.answering()) return this.remote.verify(key, options);
    return this.remote.verify(key, options).catch((err: unknown) => {
      if (!this.answering()) throw err;
      return this.decide(key, options, false) ?? NOT_FOUND;
    });
  }

  verifyNow(key: string, options?: VerifyOptions): VerifyResult | undefined {
    return this.answering() ? this.decide(key, options, true) : undefined;
  }

  /**
   * The daemon's decision on the copy; undefined when the daemon should be asked instead
   * (`mayAsk`): the copy does not know the key — or knows it only as a canary or a tombstone,
   * which must answer exactly as an unknown key does, in time too. When the daemon is asked, it
   * sees the canary itself; otherwise the sighting waits for the next ack.
   */
  private decide(key: string, options: VerifyOptions | undefined, mayAsk: boolean): VerifyResult | undefined {
    const body = verifyBody(key, options);
    if (!body) return MALFORMED;
    const at = this.daemonNow();
    const { result, entry, sighting } = verifyKey(body, this.lookup, this.counters, at);
    if (!entry && mayAsk && !result.valid && result.code === 'not_found' && this.mayRecheck()) return undefined;
    if (entry) this.usage.record(entry.id, result.valid, body.caller, at);
    // Reported with the next ack (at most `ackMs` away): a flood of them must not become one.
    if (sighting) this.sightings.record(sighting, body.caller, body.ip, at);
    return result;
  }

  async sync(): Promise<void> {
    await this.ready();
    const answer = await this.post();
    if (!answer || this.copy.applied >= answer.seq) return;
    await new Promise<void>((done) => this.catchingUp.push({ seq: answer.seq, done }));
  }

  private mayRecheck(): boolean {
    const now = performance.now();
    this.rechecks.left = Math.min(RECHECKS_PER_SECOND, this.rechecks.left + ((now - this.rechecks.at) * RECHECKS_PER_SECOND) / 1000);
    this.rechecks.at = now;
    if (this.rechecks.left < 1) return false;
    this.rechecks.left--;
    return true;
  }

  ready(): Promise<void> {
    if (this.answering()) return Promise.resolve();
    if (this.closed || this.fatal) return Promise.reject(this.fatal ?? new VerifierUnavailable('keyward: this verifier is closed'));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lease.drop();
    this.setState('closed', 'closed');
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
    this.stopped.abort();
    this.stream?.abort();
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new VerifierUnavailable('keyward: the verifier was closed before it was ready'));
    this.caughtUpTo(Number.POSITIVE_INFINITY);
    // It no longer answers from its copy: say so, with the usage it counted.
    await this.usage.flush().catch(() => undefined);
    while (this.sightings.size > SIGHTINGS_PER_ACK) if (!(await this.post().catch(() => undefined))) break;
    await this.post(undefined, true).catch(() => undefined);
    this.link.close();
  }

  private answering(): boolean {
    return !this.closed && this.copy.complete && this.lease.holds(performance.now());
  }

  private daemonNow(): number {
    return Date.now() + this.offset;
  }

  private setState(next: VerifierState, reason: string): void {
    if (this.current === next) return;
    this.current = next;
    this.options.onStateChange?.(next, reason);
    if (next === 'replica') for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
  }

  /** Follows the stream until closed, reconnecting with backoff; resumes when the copy allows. */
  private async follow(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      const stream = (this.stream = new AbortController());
      const query = new URLSearchParams();
      const resume = this.copy.resumeFrom();
      if (resume) query.set('resume', resume);
      if (this.options.leaseMs !== undefined) query.set('leaseMs', String(this.options.leaseMs));
      let reason = 'the stream ended';
      try {
        await this.link.stream(`/v1/replica?${query}`, (event) => this.received(event), stream.signal);
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) this.refused(err);
      }
      const reachedReady = this.timers.ack !== undefined;
      this.endSession();
      if (this.closed) return;
      // The lease may have run out before its timer fired (a busy loop): then that is the news.
      if (this.current === 'replica' && !this.answering()) this.setState('remote', this.lease.holds(performance.now()) ? reason : this.whyNoLease());
      failures = reachedReady ? 0 : failures + 1;
      await sleep(backoffMs(failures, RETRY_MIN_MS, RETRY_MAX_MS), undefined, { signal: this.stopped.signal }).catch(() => undefined);
    }
  }

  /**
   * Why the lease was not renewed, as `onStateChange` tells it: a refused token says so (the
   * service's log must name the fix, not a lease), anything else is the daemon's silence.
   */
  private whyNoLease(): string {
    return this.fatal ? reasonOf(this.fatal) : LEASE_RAN_OUT;
  }

  /** The daemon refuses this token: nothing will change that but its operator; ready() says so. */
  private refused(err: ApiError): void {
    this.fatal = new VerifierUnavailable(`keyward: the daemon refuses this verifier's token: ${err.message}`, err);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(this.fatal);
  }

  private endSession(): void {
    this.session = undefined;
    this.sessionReady = false;
    clearInterval(this.timers.ack);
    clearTimeout(this.timers.silence);
    this.timers.ack = undefined;
  }

  private received({ event, data }: StreamEvent): void {
    this.heard();
    switch (event) {
      case 'hello': {
        const hello = data as Hello;
        this.session = hello;
        this.replicaId = hello.replicaId;
        this.sessionReady = false;
        this.fatal = undefined;
        this.copy.hello(hello);
        return;
      }
      case 'snapshot':
        return this.copy.snapshot(data as SnapshotChunk);
      case 'ready':
        this.copy.ready((data as { seq: number }).seq);
        this.sessionReady = true;
        // A complete copy is newer than anything an earlier ack answered, even from a daemon run before.
        this.caughtUpTo(Number.POSITIVE_INFINITY);
        clearInterval(this.timers.ack);
        this.timers.ack = setInterval(() => void this.ack(), this.session?.ackMs ?? 250);
        this.timers.ack.unref();
        return void this.ack();
      case 'change': {
        const change = data as Change;
        const removed = this.copy.change(change);
        if (removed) {
          this.counters.limiter.forget(removed);
          this.counters.quotas.forget(removed);
        }
        this.caughtUpTo(this.copy.applied);
        // Nothing waits for a widening change: the next regular ack (≤ ackMs) carries it. Acking
        // each at once cost ten replicas ten acks per key created, ahead of the narrowing writes' acks.
        if (change.narrows || !this.session?.marksNarrowing) this.ackShortly();
        return;
      }
    }
  }

  private caughtUpTo(seq: number): void {
    if (this.catchingUp.length === 0) return;
    const waiting = this.catchingUp;
    this.catchingUp = waiting.filter((w) => w.seq > seq);
    for (const w of waiting) if (w.seq <= seq) w.done();
  }

  /** Any frame shows the stream alive; a silent one is dropped and opened again. */
  private heard(): void {
    clearTimeout(this.timers.silence);
    const heartbeatMs = this.session?.heartbeatMs ?? 250;
    this.timers.silence = setTimeout(() => this.stream?.abort(), Math.max(1000, heartbeatMs * SILENCE_HEARTBEATS));
    this.timers.silence.unref();
  }

  /**
   * One ack for a burst of changes read together, at once: a write may be waiting for it. If
   * another ack is on its way it goes beside it rather than after its answer.
   */
  private ackShortly(): void {
    if (this.ackSoon) return;
    this.ackSoon = true;
    setImmediate(() => {
      this.ackSoon = false;
      if (this.acking) void this.post().catch(() => undefined);
      else void this.ack();
    });
  }

  /** Acks, one at a time; a reason to ack that comes meanwhile gets one more right after. */
  private async ack(): Promise<void> {
    if (this.acking) {
      this.ackAgain = true;
      return;
    }
    this.acking = true;
    try {
      do {
        this.ackAgain = false;
        if (performance.now() - this.lastUsageAt >= USAGE_EVERY_MS) {
          this.lastUsageAt = performance.now();
          await this.usage.flush().catch(() => undefined);
        }
        await this.post().catch(() => undefined);
      } while (this.ackAgain && this.session && !this.closed);
    } finally {
      this.acking = false;
    }
  }

  /**
   * The sink of the usage tracker: the counts go out with acks, a part at a time; a part that
   * cannot go yet waits for the next report (the tracker must not count it again).
   */
  private async report(delta: UsageDelta): Promise<void> {
    this.answered = new Map();
    this.outbox.push(...splitBySize({ ...delta, quotas: delta.quotas ?? [] }, USAGE_BYTES_PER_ACK));
    for (let part = this.outbox.shift(); part; part = this.outbox.shift()) {
      try {
        await this.post(part);
      } catch (err) {
        // A part the daemon refuses as such would be refused forever, and every later report
        // would wait behind it: it is dropped. Anything else (no answer, 503) is tried again.
        if (err instanceof ApiError && (err.status === 400 || err.status === 413)) continue;
        this.outbox.unshift(part);
        return;
      }
    }
  }

  /**
   * Sends one ack and takes its answer. It carries `seq` only once this stream's copy is
   * complete: before that, an ack may report usage but says nothing about the copy.
   */
  private async post(usage?: UsageDelta, closing = false): Promise<AckAnswer | undefined> {
    const session = this.session;
    const reporting = !usage && this.sightings.size > 0;
    if (!session && !usage && !closing && !reporting) return undefined;
    const body: AckRequest = { replicaId: session?.replicaId ?? this.replicaId };
    if (session && this.sessionReady) body.seq = this.copy.applied;
    if (usage) body.usage = { buckets: usage.buckets, callers: usage.callers, lastUsed: usage.lastUsed, quotas: usage.quotas ?? [] };
    // Beside usage the body could pass the daemon's limit; sightings go on the acks between.
    const sightings = reporting ? this.sightings.drain(SIGHTINGS_PER_ACK) : [];
    if (sightings.length > 0) body.sightings = sightings.map(sightingReport);
    if (closing) body.closing = true;
    const sentAt = performance.now();
    const sentWall = Date.now();
    let answer: AckAnswer;
    try {
      answer = await this.link.post<AckAnswer>('/v1/replica/ack', body);
    } catch (err) {
      this.sightings.restore(sightings);
      // A token disabled while the service runs: its stream ends and its acks are refused.
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) this.refused(err);
      throw err;
    }
    this.fatal = undefined;
    if (sightings.length === SIGHTINGS_PER_ACK && this.sightings.size > 0 && !closing) this.ackShortly();
    this.offset = answer.now - sentWall;
    for (const quota of answer.quotas) this.answered.set(quota.keyId, quota);
    if (answer.lease === 'granted' && this.copy.complete && !this.closed) {
      this.lease.extend(sentAt, answer.leaseMs);
      this.armExpiry();
      // The first grant is the start's news; a later one (a change only after remote) a return.
      this.setState('replica', this.current === 'starting' ? 'its copy is complete and the daemon granted a lease' : 'the daemon granted a lease again');
    } else if (answer.lease === 'unknown' && session && session === this.session) {
      // The daemon forgot this replica (it restarted): a new stream, a new replica.
      this.stream?.abort();
    }
    return answer;
  }

  private armExpiry(): void {
    clearTimeout(this.timers.expiry);
    this.timers.expiry = setTimeout(() => {
      if (!this.answering() && !this.closed) this.setState('remote', this.whyNoLease());
    }, Math.max(0, this.lease.endsAt - performance.now()) + 1);
    this.timers.expiry.unref();
  }
}

/** A sighting as an ack carries it: no caller or address where there was none. */
function sightingReport(s: AlertSighting): NonNullable<AckRequest['sightings']>[number] {
  const { keyId, caller, ip, count, firstSeenAt, lastSeenAt } = s;
  // The counter holds only what verify sighted, whose kinds are these.
  const kind = s.kind as PresentedKind;
  return { kind, keyId, ...(caller && { caller }), ...(ip !== null && { ip }), count, firstSeenAt, lastSeenAt };
}
