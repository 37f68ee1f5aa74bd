/**
 * Keeps the TUI's copy of the keys in step with the daemon: opens `/v1/events`, loads a
 * snapshot once the stream is open (so no change falls between the two), applies events in
 * batches (one redraw per burst), and reconnects with backoff when the stream drops. While it
 * waits, a cheap health poll cuts the wait short as soon as the daemon answers again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeywardClient } from '../client/client.js';
import { errorText } from './format.js';
import { applyEvents, collectionOf, parseFeedEvent, type Collection, type FeedEvent } from './state/collection.js';

export type Link = 'connecting' | 'live' | 'reconnecting';

export type FeedSnapshot = {
  readonly collection: Collection;
  readonly link: Link;
  /** False until the first snapshot arrived. */
  readonly loaded: boolean;
  /** Why the last attempt failed, while reconnecting. */
  readonly problem: string | undefined;
  /** While the stream is down after it was live: when the data shown was last known current. */
  readonly staleSince: number | undefined;
};

export type FeedOptions = {
  /** How long events gather before one redraw. */
  batchMs?: number;
  /** Reconnect delays; the last one repeats. */
  backoffMs?: readonly number[];
  /** How often to reload everything, so 24 h counts and ages stay true. */
  refreshMs?: number;
  /** How often to ask `/v1/health` while waiting to reconnect. */
  healthMs?: number;
};

const EMPTY: Collection = { keys: new Map(), rotations: new Map() };

export class KeyFeed {
  private snapshot: FeedSnapshot = { collection: EMPTY, link: 'connecting', loaded: false, problem: undefined, staleSince: undefined };
  private readonly listeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: FeedEvent) => void>();
  private queue: FeedEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private abort = new AbortController();
  private readonly batchMs: number;
  private readonly backoffMs: readonly number[];
  private readonly refreshMs: number;
  private readonly healthMs: number;

  constructor(private readonly client: KeywardClient, options: FeedOptions = {}) {
    this.batchMs = options.batchMs ?? 50;
    this.backoffMs = options.backoffMs ?? [250, 500, 1000, 2000, 5000];
    this.refreshMs = options.refreshMs ?? 5 * 60_000;
    this.healthMs = options.healthMs ?? 250;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): FeedSnapshot => this.snapshot;

  /** Every event as it is applied, for views that follow one key or rotation. */
  onEvent(listener: (event: FeedEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  start(): void {
    this.abort = new AbortController();
    void this.run(this.abort.signal);
    this.refreshTimer = setInterval(() => void this.reload(), this.refreshMs);
    this.refreshTimer.unref();
  }

  stop(): void {
    this.abort.abort();
    clearTimeout(this.flushTimer);
    clearInterval(this.refreshTimer);
  }

  /** Applies what a call of ours returned, without waiting for its event. */
  apply(events: readonly FeedEvent[]): void {
    this.queue.push(...events);
    this.flush();
  }

  /** Reloads everything now; a failure waits for the next reload or reconnect. */
  async reload(): Promise<void> {
    if (this.snapshot.link !== 'live') return;
    try {
      await this.load();
    } catch {
      // The stream notices a daemon that went away; a failed refresh alone changes nothing.
    }
  }

  private set(change: Partial<FeedSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener();
  }

  private async load(): Promise<void> {
    const [keys, { rotations }] = await Promise.all([this.client.allKeys(), this.client.rotations('open')]);
    this.set({ collection: collectionOf(keys, rotations), loaded: true });
  }

  private enqueue(event: FeedEvent): void {
    this.queue.push(event);
    this.flushTimer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const events = this.queue;
    if (events.length === 0) return;
    this.queue = [];
    const collection = applyEvents(this.snapshot.collection, events);
    if (collection !== this.snapshot.collection) this.set({ collection });
    for (const event of events) for (const listener of this.eventListeners) listener(event);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const attempt = new AbortController();
      const stop = () => attempt.abort();
      signal.addEventListener('abort', stop, { once: true });
      const problem = await this.attempt(attempt.signal, () => (failures = 0));
      attempt.abort();
      signal.removeEventListener('abort', stop);
      if (signal.aborted) return;
      const { link, staleSince } = this.snapshot;
      this.set({ link: 'reconnecting', problem, staleSince: link === 'live' ? Date.now() : staleSince });
      await this.backoff(this.backoffMs[Math.min(failures++, this.backoffMs.length - 1)]!, signal);
    }
  }

  /**
   * Waits `ms` before the next attempt, or less: until `/v1/health` answers (asked every
   * `healthMs`, one request at a time) or `signal` aborts. Every listener it adds to the
   * long-lived `signal` is removed again, so reconnecting for hours leaks nothing.
   */
  private async backoff(ms: number, signal: AbortSignal): Promise<void> {
    const wait = new AbortController();
    const end = () => wait.abort();
    signal.addEventListener('abort', end, { once: true });
    const timer = setTimeout(end, ms);
    try {
      while (!wait.signal.aborted) {
        await sleep(this.healthMs, undefined, { signal: wait.signal }).catch(() => undefined);
        if (!wait.signal.aborted && (await this.answers())) return;
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', end);
    }
  }

  private async answers(): Promise<boolean> {
    try {
      await this.client.health();
      return true;
    } catch {
      return false;
    }
  }

  /** One connection: open the stream, load a snapshot, follow until it ends. Returns why it ended. */
  private async attempt(signal: AbortSignal, onLive: () => void): Promise<string> {
    const early: FeedEvent[] = [];
    let loaded = false;
    let opened: () => void = () => {};
    const open = new Promise<undefined>((resolve) => (opened = () => resolve(undefined)));
    const ended = this.client
      .events(
        (frame) => {
          const event = parseFeedEvent(frame);
          if (!event) return;
          if (loaded) this.enqueue(event);
          else early.push(event);
        },
        signal,
        opened,
      )
      .then(
        () => 'the event stream ended',
        (err: unknown) => errorText(err),
      );
    const failed = await Promise.race([open, ended]);
    if (failed !== undefined) return failed;
    try {
      await this.load();
    } catch (err) {
      return errorText(err);
    }
    loaded = true;
    // Usage ticks from before the snapshot are already in its counts.
    for (const event of early) if (event.type !== 'usage') this.enqueue(event);
    this.set({ link: 'live', problem: undefined, staleSince: undefined });
    onLive();
    return ended;
  }
}
