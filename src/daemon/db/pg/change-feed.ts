/**
 * Keeps a daemon in step with the others on the same PostgreSQL database. Every write that
 * changes a key, operator or rotation sends a NOTIFY naming what it changed; one dedicated
 * connection LISTENs, and for each notice re-reads those keys and hands them to the follower,
 * one notice at a time. Notices only say *what* changed, never the new state: any database
 * user may NOTIFY, so the state always comes from the tables.
 *
 * Reads happen in arrival order and each starts after the previous one finished, so what the
 * follower sees never goes back in time. A write waits until its own notice has been applied,
 * so when it returns every change committed before it has been applied too. A lost connection
 * (the database stopped, a network cut) makes the feed not live; it reconnects with backoff and
 * starts over from a full snapshot, and a periodic snapshot covers anything missed otherwise.
 *
 * The periodic snapshot reads every key, seconds of work at a million, so it does not hold up
 * the notices: it reads on a connection of its own while notices go on being applied, and a
 * key a notice applied after the snapshot began is `settled` — the snapshot's row of it, read
 * perhaps before the change, is not applied. When it stood in the notices' queue, a daemon
 * went on accepting a key another daemon had deactivated for 6 s at a million keys.
 *
 * A connection can also go silent without closing (a partition that drops packets): no error,
 * just no notices. Another daemon's deactivation would then never arrive, while this daemon
 * kept renewing its replicas' leases. So once a second an idle feed sends itself an empty
 * notice on the listening connection; one not heard back within `STALL_MS` makes the feed not
 * live, as a write's own notice does. Without it, only the next periodic snapshot (up to
 * `RECONCILE_MS`, then its query timeout) noticed.
 */
import { randomUUID } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { z } from 'zod';
import { backoffMs } from '../../../backoff.js';
import type { IndexedKey } from '../../../decide/policy.js';
import type { SharedStore, StoreChange, StoreFollower } from '../../store.js';
import { failureText, pastDrizzle } from '../storage-errors.js';
import { indexedKeyPages, readIndexedKeys } from './indexed-keys.js';

export const CHANNEL = 'keyward_changes';

/** How often the follower gets a full snapshot, in case a notice was lost without the connection dropping. */
const RECONCILE_MS = 30_000;
/** A write waits this long for its own notice to arrive before the feed counts its connection as dead. */
const STALL_MS = 3000;
/** How often an idle feed proves its listening connection still delivers notices. */
export const PROBE_MS = 1000;
const RECONNECT_MIN_MS = 100;
/** A reconnect that keeps failing is logged at most this often. */
const RECONNECT_LOG_MS = 30_000;
const RECONNECT_MAX_MS = 2000;

const NoteSchema = z.union([
  // `imported`: created by an import, whose batch has one `import` note of its own.
  z.object({ t: z.literal('key'), id: z.string(), e: z.enum(['created', 'imported', 'updated', 'deleted']) }),
  z.object({ t: z.literal('import'), id: z.string(), l: z.string(), n: z.number().int() }),
  z.object({ t: z.enum(['operator', 'rotation']), id: z.string(), e: z.enum(['created', 'updated']) }),
]);
const NoticeSchema = z.object({ o: z.string(), n: z.string(), c: z.array(NoteSchema) });

/** One changed row, as a write announces it. */
export type ChangeNote = z.infer<typeof NoteSchema>;
/** A committed write's announcement: the daemon it came from, its nonce, what it changed. */
export type Notice = z.infer<typeof NoticeSchema>;

/** A snapshot on (re)connecting, which notices wait for; or a notice. */
type Item = { kind: 'snapshot'; done: (err?: unknown) => void } | { kind: 'notice'; notice: Notice; done?: undefined };

export type ChangeFeedOptions = {
  /** A new, unconnected client for the listening connection. */
  connect: () => pg.Client;
  /** This daemon's id in notices, so it can tell its own changes from the others'. */
  origin: string;
  log: (line: string) => void;
  reconcileMs?: number;
  probeMs?: number;
};

export class ChangeFeed implements SharedStore {
  private follower: StoreFollower | undefined;
  private client: pg.Client | undefined;
  /** The client once its LISTEN is in place: from then on every commit's notice reaches it. */
  private listening: pg.Client | undefined;
  private queue: Item[] = [];
  private pumping = false;
  private isLive = false;
  private following = false;
  private closed = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;
  private reconcile: NodeJS.Timeout | undefined;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  /** The running periodic snapshot's connection, and the keys notices applied since it began. */
  private periodic: { client: pg.Client; settled: Set<string> } | undefined;
  /** Writes waiting for their own notice to be applied, by nonce. */
  private readonly pending = new Map<string, () => void>();
  /** The same writes, waiting for their notice to arrive at all. */
  private readonly heard = new Map<string, () => void>();
  /** When a failed reconnect was last logged: said once in a while, not once an attempt. */
  private failureLoggedAt = 0;

  constructor(private readonly options: ChangeFeedOptions) {}

  get live(): boolean {
    return this.isLive;
  }

  async follow(follower: StoreFollower): Promise<void> {
    this.follower = follower;
    try {
      await this.open();
    } catch (err) {
      await this.close();
      throw err;
    }
    this.following = true;
    this.reconcile = setInterval(() => void this.reconcileOnce(), this.options.reconcileMs ?? RECONCILE_MS);
    this.reconcile.unref();
    this.probe = setInterval(() => void this.probeOnce(), this.options.probeMs ?? PROBE_MS);
    this.probe.unref();
  }

  /**
   * Runs a write that announces itself with the nonce it is given, and returns once its
   * notice has been applied. Without a connection that listened all along there is nothing to
   * wait for: the snapshot taken on (re)connecting includes the write.
   */
  async committed<T>(write: (nonce: string) => Promise<{ value: T; announced: boolean }>): Promise<T> {
    const nonce = randomUUID();
    const applied = new Promise<void>((resolve) => this.pending.set(nonce, resolve));
    const arrived = new Promise<void>((resolve) => this.heard.set(nonce, resolve));
    const listening = this.listening;
    try {
      const { value, announced } = await write(nonce);
      if (announced && listening && this.listening === listening) {
        // Only the notice's arrival proves the connection: applying it may wait behind the
        // snapshot on reconnecting, seconds at a million keys. Timed as a whole, writes during
        // that snapshot each counted the new connection dead, and it never came back.
        await this.within(arrived, listening);
        await applied;
      }
      return value;
    } finally {
      this.pending.delete(nonce);
      this.heard.delete(nonce);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reconcile);
    clearInterval(this.probe);
    clearTimeout(this.retry);
    if (this.client) await this.lost(this.client, undefined);
    await this.periodic?.client.end().catch(() => {});
  }

  /**
   * The periodic snapshot, alongside the notices. Skipped while the feed is not live (the
   * snapshot on reconnecting will do) or the last one still runs. A failure is logged and
   * left to the next: the listening connection, which the probe watches, is not at fault.
   */
  private async reconcileOnce(): Promise<void> {
    const listening = this.listening;
    if (!listening || !this.isLive || this.periodic) return;
    const client = this.options.connect();
    client.on('error', () => {});
    const settled = new Set<string>();
    this.periodic = { client, settled };
    try {
      await client.connect();
      // A feed lost meanwhile starts over from its own snapshot: this one applies nothing more.
      await this.follower!.reset(indexedKeyPages(drizzle({ client })), (id) => this.listening !== listening || settled.has(id));
    } catch (err) {
      if (!this.closed) this.options.log(`a periodic snapshot of the keys failed (${describe(err)}); the next one tries again`);
    } finally {
      this.periodic = undefined;
      await client.end().catch(() => {});
    }
  }

  private async within(applied: Promise<void>, client: pg.Client): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        void this.lost(client, new Error(`no notice back within ${STALL_MS} ms`));
        resolve();
      }, STALL_MS);
    });
    try {
      await Promise.race([applied, stalled]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * An empty notice of this daemon's own, sent and heard on the listening connection. Skipped
   * while the feed is busy (a snapshot of many keys can hold the connection longer than
   * `STALL_MS`) or another probe is out: only an idle connection that stays silent is dead.
   */
  private async probeOnce(): Promise<void> {
    const client = this.listening;
    if (!client || !this.isLive || this.pumping || this.queue.length > 0 || this.probing) return;
    this.probing = true;
    const nonce = randomUUID();
    const heard = new Promise<void>((resolve) => this.heard.set(nonce, resolve));
    try {
      const notice: Notice = { o: this.options.origin, n: nonce, c: [] };
      const sent = client.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify(notice)]);
      await this.within(Promise.all([sent, heard]).then(() => undefined), client);
    } catch (err) {
      void this.lost(client, err);
    } finally {
      this.heard.delete(nonce);
      this.probing = false;
    }
  }

  private async open(): Promise<void> {
    const client = this.options.connect();
    this.client = client;
    client.on('notification', (message) => {
      if (this.client === client) this.received(message.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection closed')));
    await client.connect();
    await client.query(`listen ${CHANNEL}`);
    if (this.client === client) this.listening = client;
    await new Promise<void>((resolve, reject) => this.enqueue({ kind: 'snapshot', done: (err) => (err ? reject(err) : resolve()) }));
    // Lost while its snapshot was taken: the reconnect that `lost` scheduled starts over.
    if (this.client !== client) throw new Error('the connection was lost while its snapshot was read');
  }

  private received(payload: string | undefined): void {
    let notice: Notice;
    try {
      notice = NoticeSchema.parse(JSON.parse(payload ?? ''));
    } catch {
      // Any database user can NOTIFY on the channel; what is not ours is ignored.
      this.options.log('ignored a malformed change notice on the database channel');
      return;
    }
    this.heard.get(notice.n)?.();
    this.enqueue({ kind: 'notice', notice });
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        const client = this.client;
        if (!client) {
          item.done?.(new Error('not connected'));
          continue;
        }
        try {
          if (item.kind === 'notice') await this.apply(client, item.notice);
          else await this.snapshot(client);
          item.done?.();
        } catch (err) {
          item.done?.(err);
          // What could not be applied may be missing: start over from a snapshot.
          void this.lost(client, err);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The snapshot on (re)connecting: notices wait for it, so nothing it applies is newer than theirs. */
  private async snapshot(client: pg.Client): Promise<void> {
    await this.follower!.reset(indexedKeyPages(drizzle({ client })), () => false);
    // Only on the connection still current: one lost meanwhile follows nothing.
    if (this.client === client) this.isLive = true;
  }

  private async apply(client: pg.Client, notice: Notice): Promise<void> {
    const ids = notice.c.filter((c) => c.t === 'key').map((c) => c.id);
    const rows = ids.length ? await readIndexedKeys(drizzle({ client }), ids) : [];
    for (const note of notice.c) {
      if (note.t === 'key') this.periodic?.settled.add(note.id);
      await this.follower!.changed(toChange(note, rows), notice.o === this.options.origin);
    }
    this.pending.get(notice.n)?.();
  }

  /** Forgets a dead connection: not live, waiting writes released, a reconnect scheduled. */
  private lost(client: pg.Client, err: unknown): Promise<void> {
    if (this.client !== client) return Promise.resolve();
    const wasLive = this.isLive;
    this.client = undefined;
    this.listening = undefined;
    this.isLive = false;
    for (const item of this.queue.splice(0)) item.done?.(err ?? new Error('closed'));
    for (const release of [...this.heard.values(), ...this.pending.values()]) release();
    const ended = client.end().catch(() => {});
    if (!this.closed && this.following) {
      if (wasLive) this.options.log(`lost the change feed from PostgreSQL (${describe(err)}); verify answers from memory until it is back`);
      this.scheduleReconnect();
    }
    return ended;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retry) return;
    const delay = backoffMs(this.failures, RECONNECT_MIN_MS, RECONNECT_MAX_MS);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      const attempt = this.open();
      const client = this.client;
      attempt.then(
        () => {
          this.failures = 0;
          this.options.log('following changes from PostgreSQL again');
        },
        (err: unknown) => {
          this.failures++;
          if (client && this.client === client) void this.lost(client, err);
          if (Date.now() - this.failureLoggedAt >= RECONNECT_LOG_MS) {
            this.failureLoggedAt = Date.now();
            this.options.log(`could not follow changes from PostgreSQL yet (${describe(err)}); trying again`);
          }
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.retry.unref();
  }
}

function toChange(note: ChangeNote, rows: IndexedKey[]): StoreChange {
  if (note.t === 'import') return { type: 'import', first: note.id, last: note.l, count: note.n };
  if (note.t !== 'key') return { type: note.t, id: note.id, event: note.e };
  const key = rows.find((r) => r.id === note.id);
  // The table decides: a notice cannot call a key deleted that is still there, or the reverse.
  return { type: 'key', id: note.id, key, event: key ? (note.e === 'updated' || note.e === 'deleted' ? 'updated' : note.e) : 'deleted' };
}

/** A failure on one line, as PostgreSQL or the network said it (not drizzle's quote of the query). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'closed';
  const code = (pastDrizzle(err) as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${failureText(err)}` : failureText(err);
}
