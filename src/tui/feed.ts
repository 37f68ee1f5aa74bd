/**
 * Keeps the TUI's copy of the keys (and open rotations and alerts) in step with the daemon: opens `/v1/events`, loads a
 * snapshot once the stream is open (so no change falls between the two), applies events in
 * batches (one redraw per burst), and reconnects with backoff (p-retry) when the stream drops.
 * While it waits, a cheap health poll cuts the wait short as soon as the daemon answers `ok`
 * again (not `degraded`: its store down, it would refuse the next attempt too). While live, the
 * same poll, slower, tells a daemon whose store went down under a running stream (`degraded`).
 * A daemon that refuses the operator (401/403 with its own error code) ends the retrying: a
 * disabled operator stays disabled, and its token presented again and again helps no one.
 * Up to `fullLimit` keys the snapshot is every key; above, a window of the daemon's sorted and
 * filtered list around the cursor (windowing.ts), reloaded in place after changes. Over 300
 * lines for the reconnect loop and the two ways of holding keys, which share every event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import { ApiError, type KeywardClient } from '../client/client.js';
import { safeText } from '../sanitize.js';
import { errorText } from './format.js';
import type { KeyCountsJson } from '../client/client.js';
import { applyEvents, collectionOf, parseFeedEvent, type Collection, type FeedEvent } from './state/collection.js';
import { listParams, sameQuery, type KeyWindow, type WindowQuery } from './state/window.js';
import { Windowing } from './windowing.js';

/**
 * `degraded`: the stream is up, but the daemon cannot reach its store (`/v1/health`): verify
 * answers from memory, every change fails, and on a shared store it no longer sees the other
 * daemons' changes. `refused`: the daemon answers but refuses this operator; nothing is tried again.
 */
export type Link = 'connecting' | 'live' | 'degraded' | 'reconnecting' | 'refused';

export type FeedSnapshot = {
  readonly collection: Collection;
  readonly link: Link;
  /** False until the first snapshot arrived. */
  readonly loaded: boolean;
  /** Why the last attempt failed, while reconnecting; once refused, why the daemon refuses; while degraded, the daemon's reason. */
  readonly problem: string | undefined;
  /** While the stream is down (or refused, or the daemon degraded) after it was live: when the data shown was last known current. */
  readonly staleSince: number | undefined;
  /** Above `fullLimit` keys: the part of the list held (`collection.keys` holds its keys). */
  readonly window: KeyWindow | undefined;
  /** With a window: how many keys the daemon holds, by status. */
  readonly totals: KeyCountsJson | undefined;
};

export type FeedOptions = {
  /** How long events gather before one redraw. */
  batchMs?: number;
  /** Reconnect delays: the first, doubling up to the longest. */
  backoff?: { readonly minMs: number; readonly maxMs: number };
  /** How often to reload everything, so 24 h counts and ages stay true. */
  refreshMs?: number;
  /** How often to ask `/v1/health` while waiting to reconnect. */
  healthMs?: number;
  /** How often to ask `/v1/health` while live, to tell a daemon whose store went down (`degraded`). */
  storeCheckMs?: number;
  /** Up to this many keys, all are loaded; above, a window of the list. */
  fullLimit?: number;
  /** The window's page size, and how many pages it holds at most. */
  pageSize?: number;
  maxPages?: number;
  /** How long key events gather before the window and counts are reloaded (and imports before the list is). */
  windowReloadMs?: number;
  /** How long a filter being typed rests before a window asks for it. */
  filterDelayMs?: number;
};

const EMPTY: Collection = { keys: new Map(), rotations: new Map(), alerts: new Map() };

/** A connection attempt that failed, with the reason the header shows. */
class Dropped extends Error {}

/** The daemon refuses this operator, with why, sanitized; retrying cannot change that. */
class Refused extends Error {}

/**
 * Why an attempt could not go live, for p-retry: a refusal in the daemon's own words (its error
 * code, not a proxy's page) stops the retrying; anything else is retried.
 */
function notLive(err: unknown): Error {
  if (err instanceof ApiError && err.status === 401 && err.code === 'unauthorized') {
    return new AbortError(
      new Refused("The daemon refuses this operator's token: the operator was disabled, or the token is not one it knows. Ask an admin for another token and start keyward with --token or KEYWARD_TOKEN."),
    );
  }
  if (err instanceof ApiError && err.status === 403 && err.code === 'forbidden') {
    return new AbortError(new Refused(`The daemon refuses this operator's requests: ${safeText(err.message)}.`));
  }
  return new Dropped(errorText(err));
}

export class KeyFeed {
  private snapshot: FeedSnapshot = { collection: EMPTY, link: 'connecting', loaded: false, problem: undefined, staleSince: undefined, window: undefined, totals: undefined };
  private readonly listeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: FeedEvent) => void>();
  private queue: FeedEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private storeCheckTimer: NodeJS.Timeout | undefined;
  /** A store check is on its way: one at a time, however slow the daemon answers. */
  private checkingStore = false;
  private abort = new AbortController();
  private readonly batchMs: number;
  private readonly backoff: { readonly minMs: number; readonly maxMs: number };
  private readonly refreshMs: number;
  private readonly healthMs: number;
  private readonly storeCheckMs: number;
  /** The health poll of the wait between two attempts, if one is running. */
  private poll: AbortController | undefined;
  private readonly fullLimit: number;
  private readonly pageSize: number;
  private readonly windowReloadMs: number;
  private readonly windowing: Windowing;
  /** The table's sort and filter, which a window follows. */
  private query: WindowQuery = { sort: 'name', reversed: false, filter: '' };
  private windowReloadTimer: NodeJS.Timeout | undefined;
  private importReloadTimer: NodeJS.Timeout | undefined;
  private queryTimer: NodeJS.Timeout | undefined;
  private readonly filterDelayMs: number;

  constructor(private readonly client: KeywardClient, options: FeedOptions = {}) {
    this.batchMs = options.batchMs ?? 50;
    this.backoff = options.backoff ?? { minMs: 250, maxMs: 5000 };
    this.refreshMs = options.refreshMs ?? 5 * 60_000;
    this.healthMs = options.healthMs ?? 250;
    this.storeCheckMs = options.storeCheckMs ?? 3000;
    this.fullLimit = options.fullLimit ?? 5000;
    this.pageSize = options.pageSize ?? 200;
    this.windowReloadMs = options.windowReloadMs ?? 250;
    this.filterDelayMs = options.filterDelayMs ?? 80;
    this.windowing = new Windowing(client, { pageSize: this.pageSize, maxPages: options.maxPages ?? 6 }, () => this.snapshot, (change) => this.set(change));
  }

  /**
   * The table's sort and filter; a window loads the rows of a new one (the newest query wins).
   * A filter being typed is asked for once typing pauses for `filterDelayMs`: each query of a
   * one- or two-letter filter can cost the daemon a scan of every key, and the daemon answers
   * one at a time, so the last key's answer would wait behind them.
   */
  setQuery(query: WindowQuery): void {
    const typing = query.filter !== this.query.filter && query.sort === this.query.sort && query.reversed === this.query.reversed;
    this.query = query;
    clearTimeout(this.queryTimer);
    const open = () => {
      const window = this.snapshot.window;
      if (window && !sameQuery(window.query, this.query)) void this.windowing.open(this.query).catch(() => undefined);
    };
    if (typing) this.queryTimer = setTimeout(open, this.filterDelayMs);
    else open();
  }

  /** The table's cursor is at `index` of the window's rows: loads more rows near an edge. */
  followCursor(index: number): void {
    void this.windowing.follow(index).catch(() => undefined);
  }

  /** `g`/`G` with a window: its first or last page, whose `landing` puts the cursor there. */
  jump(to: 'start' | 'end'): void {
    void this.windowing.jump(to).catch(() => undefined);
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
    this.windowing.start();
    this.abort = new AbortController();
    void this.run(this.abort.signal);
    this.refreshTimer = setInterval(() => void this.reload(), this.refreshMs);
    this.refreshTimer.unref();
    this.storeCheckTimer = setInterval(() => void this.checkStore(), this.storeCheckMs);
    this.storeCheckTimer.unref();
  }

  stop(): void {
    this.abort.abort();
    clearTimeout(this.flushTimer);
    clearTimeout(this.windowReloadTimer);
    clearTimeout(this.importReloadTimer);
    clearTimeout(this.queryTimer);
    clearInterval(this.refreshTimer);
    clearInterval(this.storeCheckTimer);
    this.windowing.stop();
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

  /**
   * The first page of the table's sort with the daemon's counts decides: up to `fullLimit`
   * keys, all of them; above, a window.
   */
  private async load(): Promise<void> {
    const [first, { rotations }, { alerts }] = await Promise.all([
      this.client.listKeys({ ...listParams({ ...this.query, filter: '' }), limit: this.pageSize, counts: true }),
      this.client.rotations('open'),
      this.client.alerts({ state: 'open', limit: 10_000 }),
    ]);
    const totals = first.counts!;
    if (totals.total <= this.fullLimit) {
      const keys = first.nextCursor === null ? first.keys : await this.client.allKeys();
      this.set({ collection: collectionOf(keys, rotations, alerts), window: undefined, totals: undefined, loaded: true });
      return;
    }
    const held = this.snapshot.window;
    if (held && sameQuery(held.query, this.query)) {
      // A window already (an import, the periodic refresh): the same stretch again, so the
      // cursor stays on its key. Opened anew, it went to the first page, onto another key.
      this.set({ collection: collectionOf([...this.snapshot.collection.keys.values()], rotations, alerts), totals });
      await this.windowing.reload();
      this.set({ loaded: true });
      return;
    }
    this.set({ collection: collectionOf([], rotations, alerts), totals });
    await this.windowing.open(this.query, this.query.filter.trim() ? undefined : first);
    this.set({ loaded: true });
  }

  /** With a window, after keys were created, changed or deleted: the window and counts again, once per burst. */
  private reloadWindowSoon(): void {
    this.windowing.listChanged();
    this.windowReloadTimer ??= setTimeout(() => {
      this.windowReloadTimer = undefined;
      void Promise.all([
        this.windowing.reload(),
        this.client.listKeys({ limit: 1, counts: true }).then((page) => this.snapshot.window && this.set({ totals: page.counts })),
      ]).catch(() => undefined);
    }, this.windowReloadMs);
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
    this.windowing.applyUsage(events);
    // An import may also take the list past the size the TUI holds whole: load it as at the
    // start, once per burst (a large import announces a batch every fraction of a second, and
    // loads that overlapped could finish out of order).
    if (events.some((e) => e.type === 'keys.imported')) {
      this.importReloadTimer ??= setTimeout(() => {
        this.importReloadTimer = undefined;
        void this.reload();
      }, this.windowReloadMs);
    }
    else if (this.snapshot.window && events.some((e) => e.type.startsWith('key.'))) this.reloadWindowSoon();
    for (const event of events) for (const listener of this.eventListeners) listener(event);
  }

  /**
   * Connects, follows the stream until it drops, and connects again. Each run of failed
   * attempts backs off from the shortest delay; a connection that went live starts it over,
   * and so does the daemon answering its health check during a delay.
   */
  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const retrying = new AbortController();
      const stop = () => retrying.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        await pRetry(
          () => {
            this.poll?.abort();
            return this.attempt(retrying.signal);
          },
          {
            retries: Infinity,
            minTimeout: this.backoff.minMs,
            maxTimeout: this.backoff.maxMs,
            factor: 2,
            signal: retrying.signal,
            onFailedAttempt: ({ error }) => {
              this.down('reconnecting', error.message);
              void this.pollHealth(retrying);
            },
          },
        );
      } catch (err) {
        if (err instanceof Refused) return this.down('refused', err.message);
        // Stopped, or the daemon is back: the loop says which.
      } finally {
        retrying.abort();
        signal.removeEventListener('abort', stop);
      }
    }
  }

  /**
   * During the wait before the next attempt: asks `/v1/health` every `healthMs`, one request
   * at a time, and when the daemon answers `ok` ends the wait (`retrying`) so it is tried at
   * once. A daemon answering `degraded` (its store unreachable) would refuse the next attempt
   * too: that wait runs its backoff, where ending it retried the whole load four times a second.
   */
  private async pollHealth(retrying: AbortController): Promise<void> {
    const poll = new AbortController();
    this.poll = poll;
    const stop = () => poll.abort();
    // Removed again when the poll ends: `retrying` outlives many polls.
    retrying.signal.addEventListener('abort', stop, { once: true });
    try {
      while (!poll.signal.aborted) {
        await sleep(this.healthMs, undefined, { signal: poll.signal }).catch(() => undefined);
        if (poll.signal.aborted) return;
        const healthy = await this.client.health().then(
          (health) => health.status === 'ok',
          () => false,
        );
        if (healthy && !poll.signal.aborted) return retrying.abort();
      }
    } finally {
      retrying.signal.removeEventListener('abort', stop);
    }
  }

  /**
   * While the stream is up: a daemon that cannot reach its store keeps streaming, so only its
   * health tells, and the header must say so before an admin tries a change that will fail.
   * Back to `ok`, everything is loaded again: on a shared store, other daemons may have written
   * meanwhile. A health request that fails changes nothing: the stream tells of a daemon gone.
   */
  private async checkStore(): Promise<void> {
    const { link } = this.snapshot;
    if ((link !== 'live' && link !== 'degraded') || this.checkingStore) return;
    this.checkingStore = true;
    try {
      const health = await this.client.health().catch(() => undefined);
      // Read again: the stream may have dropped while health was asked.
      const current = this.snapshot.link;
      if (health?.status === 'degraded' && current === 'live') {
        this.set({ link: 'degraded', problem: safeText(health.reason ?? 'the daemon cannot reach its key store'), staleSince: Date.now() });
      } else if (health?.status === 'ok' && current === 'degraded') {
        this.set({ link: 'live', problem: undefined, staleSince: undefined });
        await this.reload();
      }
    } finally {
      this.checkingStore = false;
    }
  }

  /** The stream is down, or refused: the data on screen is as of now if it was live until now. */
  private down(link: 'reconnecting' | 'refused', problem: string): void {
    const { link: was, staleSince } = this.snapshot;
    // Degraded, the data was already as of when the daemon lost its store.
    this.set({ link, problem, staleSince: was === 'live' ? Date.now() : staleSince });
  }

  /**
   * One connection: open the stream, load a snapshot, follow until it ends. Resolves when a
   * live stream ended (so the next attempt comes at once); rejects with why it could not go live.
   */
  private async attempt(signal: AbortSignal): Promise<void> {
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      const problem = await this.follow(connection.signal);
      if (!signal.aborted) this.down('reconnecting', problem);
    } finally {
      connection.abort();
      signal.removeEventListener('abort', stop);
    }
  }

  /**
   * Opens the stream, loads a snapshot and goes live; resolves with why the stream ended, or
   * rejects (`notLive`) when it could not go live.
   */
  private async follow(signal: AbortSignal): Promise<string> {
    const early: FeedEvent[] = [];
    let loaded = false;
    let failure: unknown;
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
        (err: unknown) => {
          failure = err;
          return errorText(err);
        },
      );
    // The stream ends before it opens only by failing.
    if ((await Promise.race([open, ended])) !== undefined) throw notLive(failure);
    try {
      await this.load();
    } catch (err) {
      throw notLive(err);
    }
    loaded = true;
    // Usage ticks from before the snapshot are already in its counts.
    for (const event of early) if (event.type !== 'usage') this.enqueue(event);
    this.set({ link: 'live', problem: undefined, staleSince: undefined });
    return ended;
  }
}
