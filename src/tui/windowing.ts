/**
 * The I/O of the TUI's window over a large key list (state/window.ts): the first window of a
 * sort and filter, the next or previous page as the cursor nears an edge, the first or last
 * page for `g`/`G`, and a window reloaded in place after changes. A newer query, jump or
 * reload makes every older answer stale, so a fast typist sees only the last filter's rows.
 *
 * Once the list has been quiet for `EDGE_DELAY_MS`, the first and last pages of the query are
 * fetched ahead, so `g` and `G` draw at once instead of after a round trip to the daemon (at a
 * million keys that round trip was most of a jump). Any new query or reload drops them: a
 * jump never lands on rows older than the window it leaves.
 */
import type { KeyCountsJson, KeyJson, KeyPageJson, KeywardClient } from '../client/client.js';
import { applyEvents, type Collection, type FeedEvent } from './state/collection.js';
import { safeKey } from './state/safe.js';
import { appended, growth, listParams, pageOf, prepended, windowIds, type KeyWindow, type WindowQuery } from './state/window.js';

export type WindowOptions = {
  /** Rows a page holds. */
  readonly pageSize: number;
  /** Pages held at most; more are dropped from the side away from the cursor. */
  readonly maxPages: number;
};

/** How long the list stays unchanged before its first and last pages are fetched ahead: not during a burst of changes. */
const EDGE_DELAY_MS = 200;

type Edge = 'start' | 'end';
type Edges = { readonly version: number } & Record<Edge, KeyPageJson>;

type State = { collection: Collection; window: KeyWindow | undefined };

export class Windowing {
  /** Bumped by every query, jump and reload: answers to older requests are dropped. */
  private generation = 0;
  private growing: 'after' | 'before' | undefined;
  /** Bumped when the rows a query matches may have changed (a new query, a reload): edges fetched before are stale. */
  private version = 0;
  private edges: Edges | undefined;
  private edgeTimer: NodeJS.Timeout | undefined;
  /** The newest query's first page, while it is on its way. */
  private opening: Promise<void> | undefined;
  /** Between the feed's start and stop: only then are edges fetched ahead. */
  private running = false;

  constructor(
    private readonly client: KeywardClient,
    private readonly options: WindowOptions,
    private readonly state: () => State,
    private readonly update: (change: Partial<State>) => void,
  ) {}

  /** The first page of `query`, with what it matches: the window from now on. */
  open(query: WindowQuery, first?: KeyPageJson & { counts?: KeyCountsJson }): Promise<void> {
    const opening = this.openNow(query, first);
    this.opening = opening;
    return opening.finally(() => {
      if (this.opening === opening) this.opening = undefined;
    });
  }

  private async openNow(query: WindowQuery, first?: KeyPageJson & { counts?: KeyCountsJson }): Promise<void> {
    const generation = ++this.generation;
    const page = first ?? (await this.client.listKeys({ ...listParams(query), limit: this.options.pageSize, counts: true }));
    if (generation !== this.generation) return;
    this.replace({ query, pages: [pageOf(page)], matched: page.counts ?? { total: page.keys.length, active: 0, inactive: 0 } }, page.keys);
    this.listChanged();
  }

  /** The first (`start`) or last (`end`) page of the current query: fetched ahead, or now. */
  async jump(to: Edge): Promise<void> {
    // A query whose first page is still on its way is the one to jump in; jumping in the one
    // before would also drop that page's answer, leaving the old rows under the new filter.
    await this.opening?.catch(() => undefined);
    const window = this.state().window;
    if (!window) return;
    const generation = ++this.generation;
    const page = this.edges?.version === this.version ? this.edges[to] : await this.edgePage(window.query, to);
    if (generation !== this.generation) return;
    this.replace({ ...window, pages: [pageOf(page)], landing: { to, seq: generation } }, page.keys);
  }

  /**
   * Usage ticks counted on the keys of the pages fetched ahead, as the collection counts them
   * on the keys it holds: a jump must not show fewer uses than the table showed before it.
   */
  applyUsage(events: readonly FeedEvent[]): void {
    const edges = this.edges;
    const usage = events.filter((e) => e.type === 'usage');
    if (!edges || usage.length === 0) return;
    const ticked = (page: KeyPageJson): KeyPageJson => {
      const keys = applyEvents({ keys: new Map(page.keys.map((k) => [k.id, k])), rotations: new Map(), alerts: new Map() }, usage).keys;
      return { ...page, keys: page.keys.map((k) => keys.get(k.id) ?? k) };
    };
    this.edges = { version: edges.version, start: ticked(edges.start), end: ticked(edges.end) };
  }

  /** Fetches edges ahead from the next change on. */
  start(): void {
    this.running = true;
  }

  /** Stops fetching edges ahead. */
  stop(): void {
    this.running = false;
    clearTimeout(this.edgeTimer);
    this.edgeTimer = undefined;
  }

  /** Fetches the next or previous page when the cursor at `index` of the rows nears an edge. */
  async follow(index: number): Promise<void> {
    const window = this.state().window;
    if (!window || this.growing) return;
    const way = growth(window, index, this.options.pageSize);
    if (!way) return;
    this.growing = way;
    const generation = this.generation;
    try {
      const edge = way === 'after' ? window.pages[window.pages.length - 1]!.next! : window.pages[0]!.prev!;
      const page = await this.client.listKeys({ ...listParams(window.query), limit: this.options.pageSize, ...(way === 'after' ? { cursor: edge } : { before: edge }) });
      if (generation !== this.generation) return;
      const current = this.state().window!;
      const grown = (way === 'after' ? appended : prepended)(current, pageOf(page), this.options.maxPages);
      this.merge(grown.window, page.keys, grown.dropped);
    } finally {
      this.growing = undefined;
    }
  }

  /**
   * The same stretch of the list again, from its first row (keys created, changed or deleted
   * move in and out of it), and what the query matches now.
   */
  async reload(): Promise<void> {
    // A query whose first page is on its way is the one to reload: reloading the one before
    // would drop that page's answer and put the old order back under the new sort's name.
    await this.opening?.catch(() => undefined);
    const window = this.state().window;
    if (!window) return;
    const generation = ++this.generation;
    const params = listParams(window.query);
    const first = window.pages[0]!;
    // The row before the window, whose cursor continues at the window's first row.
    const before = first.prev ? await this.client.listKeys({ ...params, before: first.prev, limit: 1 }) : undefined;
    const rows = Math.min(10_000, Math.max(this.options.pageSize, windowIds(window).length));
    const page = await this.client.listKeys({ ...params, limit: rows, counts: true, ...(before?.nextCursor && { cursor: before.nextCursor }) });
    if (generation !== this.generation) return;
    this.replace({ ...window, pages: [pageOf(page)], matched: page.counts ?? window.matched }, page.keys);
    this.listChanged();
  }

  private edgePage(query: WindowQuery, to: Edge): Promise<KeyPageJson> {
    return this.client.listKeys({ ...listParams(query), limit: this.options.pageSize, ...(to === 'end' && { end: true }) });
  }

  /** The rows may have changed: edges fetched before are dropped, and fetched again once the list is quiet. */
  listChanged(): void {
    const version = ++this.version;
    this.edges = undefined;
    clearTimeout(this.edgeTimer);
    if (!this.running) return;
    this.edgeTimer = setTimeout(() => void this.fetchEdges(version).catch(() => undefined), EDGE_DELAY_MS);
    this.edgeTimer.unref();
  }

  private async fetchEdges(version: number): Promise<void> {
    const query = this.state().window?.query;
    if (!query) return;
    const [start, end] = await Promise.all([this.edgePage(query, 'start'), this.edgePage(query, 'end')]);
    if (version === this.version) this.edges = { version, start, end };
  }

  private replace(window: KeyWindow, keys: readonly KeyJson[]): void {
    const { collection } = this.state();
    this.update({ window, collection: { ...collection, keys: new Map(keys.map((k) => [k.id, safeKey(k)])) } });
  }

  private merge(window: KeyWindow, keys: readonly KeyJson[], dropped: readonly string[]): void {
    const { collection } = this.state();
    const map = new Map(collection.keys);
    for (const id of dropped) map.delete(id);
    for (const key of keys) map.set(key.id, safeKey(key));
    this.update({ window, collection: { ...collection, keys: map } });
  }
}
