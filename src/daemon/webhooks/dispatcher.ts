/**
 * Delivers the webhook outbox: `concurrency` slots, each taking the next due delivery (leased,
 * so no other daemon on a shared store attempts it meanwhile) as soon as it is free, POSTing
 * the signed body, and recording how it went; a failure is tried again with exponential
 * backoff and jitter until 24 hours after the event. A webhook has at most one attempt in
 * flight here, so a receiver that hangs holds one slot for its time-out, never all of them.
 * Nothing is held only in memory: a daemon killed mid-way leaves its deliveries in the store,
 * due again when their lease ends. Redirects are not followed (a receiver that moved is a
 * failure to fix, not a hop to take), and no answer body is read or kept.
 */
import { stripUnsafe } from '../../sanitize.js';
import { VERSION } from '../../version.js';
import { failureText } from '../db/storage-errors.js';
import type { DaemonMetrics } from '../metrics/registry.js';
import type { ClaimedDelivery, Store } from '../store.js';
import { DEFAULT_RETRY, nextAttemptAt, signature, type RetryPolicy } from './events.js';
import type { WebhookSealer } from './sealer.js';

export type DispatchOptions = {
  pollMs: number;
  /** How long a receiver has to answer. */
  timeoutMs: number;
  /** How long a claim holds a delivery; longer than `timeoutMs`, so a lease never ends mid-attempt. */
  leaseMs: number;
  /** Deliveries attempted at once (slots), to as many different webhooks. */
  concurrency: number;
  retry: RetryPolicy;
};

export const DEFAULT_DISPATCH: DispatchOptions = { pollMs: 1000, timeoutMs: 10_000, leaseMs: 60_000, concurrency: 4, retry: DEFAULT_RETRY };

/**
 * How long deliveries stay in the log. Pending ones go too: far past the retry window, they
 * are deliveries to a webhook sealed under a `webhook.key` no daemon has, which grew with
 * every event for good.
 */
const LOG_RETENTION_MS = 30 * 24 * 60 * 60_000;
const PRUNE_EVERY_MS = 60 * 60_000;

export type DispatcherDeps = {
  store: Store;
  sealer: WebhookSealer;
  metrics: DaemonMetrics;
  now: () => number;
  log: (line: string) => void;
};

/** Why an attempt failed, in a few words fit for the delivery log (never a response body). */
function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  const message = typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.message : String(err);
  return stripUnsafe(message).slice(0, 200);
}

/** Why `stop` cuts an attempt short: recorded so, and due again at once. */
const STOPPING = new Error('the daemon is stopping');

/** An attempt in flight: its controller (the time-out and `stop` abort through it) and its end. */
type InFlight = { abort: AbortController; done: Promise<void> };

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private lastPrune = 0;
  private lastComplaint = Number.NEGATIVE_INFINITY;
  /** "paused" was logged and no claim has gone through since: the next one says so. */
  private paused = false;
  /** By webhook: one attempt a webhook at a time, and no more than `concurrency` in all. */
  private readonly inFlight = new Map<string, InFlight>();
  private filling: Promise<void> | undefined;
  private pruning: Promise<void> | undefined;
  /** A slot freed or a poll came while `fill` ran: it goes round again once it ends. */
  private refill = false;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: DispatchOptions = DEFAULT_DISPATCH,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poll(), this.options.pollMs);
    this.timer.unref();
    this.poll();
  }

  /** Stops claiming, cuts attempts in flight short (recorded as failed, so they are due again), and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await Promise.all([this.filling, this.pruning]);
    const attempts = [...this.inFlight.values()];
    for (const { abort } of attempts) abort.abort(STOPPING);
    await Promise.all(attempts.map((a) => a.done));
  }

  private poll(): void {
    this.fillSlots();
    if (this.deps.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = this.deps.now();
    this.pruning = this.deps.store.pruneDeliveries(this.lastPrune - LOG_RETENTION_MS).catch((err: unknown) => this.complain(err));
  }

  /** Runs `fill`, or has the one running go round again when it ends: one claim at a time. */
  private fillSlots(): void {
    if (this.stopping) return;
    if (this.filling) {
      this.refill = true;
      return;
    }
    this.refill = false;
    this.filling = this.fill()
      .then(
        () => this.resumed(),
        (err: unknown) => this.complain(err),
      )
      .finally(() => {
        this.filling = undefined;
        if (this.refill) this.fillSlots();
      });
  }

  /** A store that is down fails every claim: say so once a minute, not once a poll. */
  private complain(err: unknown): void {
    const at = this.deps.now();
    if (at - this.lastComplaint < 60_000) return;
    this.lastComplaint = at;
    this.paused = true;
    this.deps.log(`webhook deliveries paused: ${failureText(err)} (retrying)`);
  }

  /** Claims go through again: a "paused" line gets its end. */
  private resumed(): void {
    if (!this.paused) return;
    this.paused = false;
    this.deps.log('webhook deliveries resumed');
  }

  /**
   * Claims due deliveries into the free slots until none is free or none is due. A slot that
   * frees calls for the next at once, so one slow attempt never holds up the others' claims.
   */
  private async fill(): Promise<void> {
    const { store, sealer, now } = this.deps;
    while (!this.stopping && this.inFlight.size < this.options.concurrency) {
      const at = now();
      const d = await store.claimDelivery(at, at + this.options.leaseMs, sealer.keyId, [...this.inFlight.keys()]);
      if (!d) return;
      const abort = new AbortController();
      const done = this.attempt(d, abort)
        .catch((err: unknown) => this.complain(err))
        .finally(() => {
          this.inFlight.delete(d.webhookId);
          this.fillSlots();
        });
      this.inFlight.set(d.webhookId, { abort, done });
    }
  }

  private async attempt(d: ClaimedDelivery, abort: AbortController): Promise<void> {
    const { store, sealer, metrics, now } = this.deps;
    const { timeoutMs } = this.options;
    // A timer of our own, not AbortSignal.timeout() joined by AbortSignal.any(): on Node 20 a
    // timeout signal only any() refers to can be collected before it fires (nodejs/node#57736),
    // and a receiver that never answers then holds its slot for undici's 300 s header time-out.
    const timer = setTimeout(() => abort.abort(new DOMException('no answer in time', 'TimeoutError')), timeoutMs);
    let status: number | null = null;
    let error: string | null = null;
    let stopped = false;
    try {
      const secret = sealer.unseal(d.sealedSecret, d.webhookId);
      const res = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': `keyward/${VERSION}`,
          'keyward-signature': signature(secret, Math.floor(now() / 1000), d.body),
          'keyward-event': d.type,
          'keyward-delivery': d.id,
        },
        body: d.body,
        redirect: 'manual',
        signal: abort.signal,
      });
      status = res.status;
      await res.body?.cancel();
      if (status < 200 || status > 299) error = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
    } catch (err) {
      // An abort rejects with its reason: ours, the time-out's or `stop`'s.
      const cause: unknown = abort.signal.aborted ? abort.signal.reason : err;
      stopped = cause === STOPPING;
      error = stopped ? 'the daemon stopped during the attempt' : describeFailure(cause, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
    const at = now();
    const delivered = error === null;
    // An attempt `stop` cut short says nothing of the receiver: due again at once, never given up.
    const next = delivered ? null : stopped ? at : nextAttemptAt(this.options.retry, d.attempts + 1, d.createdAt, at);
    await store.finishDelivery(d.id, { webhookId: d.webhookId, at, delivered, status, error, nextAttemptAt: next });
    metrics.webhookDeliveries.inc({ result: delivered ? 'delivered' : next === null ? 'gave_up' : 'failed' });
  }
}
