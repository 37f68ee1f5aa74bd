/**
 * The key lifecycle: create (secret returned once), edit, deactivate/activate, delete
 * (inactive only), list and show. After each committed write it updates the verification
 * index before returning, so a deactivated key, or a narrower policy, is in force for verify
 * from the moment the call returns — here and, for a write that narrows, on every replica
 * (`inForce`, which the rotation service goes through too); and it publishes the change on
 * the event bus.
 */
import { setImmediate as turn } from 'node:timers/promises';
import type { Counters } from '../../decide/verify.js';
import { indexedKey } from '../db/key-columns.js';
import { KeywardError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { generateSecret, hashSecret, KEY_PREFIX, newId } from '../secrets/format.js';
import { hintOf } from '../../secret-text.js';
import type { Actor, ImportRow, KeyCounts, KeyFields, KeyListQuery, KeyRow, KeyStatus, KeyView, Store, TombstoneRow } from '../store.js';
import type { AlertService } from '../alerts/service.js';
import { TOMBSTONE_KEEP_MS } from '../alerts/schemas.js';
import { decodeCursor, pageOf } from '../cursor.js';
import { narrowsList, sortOf } from '../db/key-list.js';
import { decodeKeyCursor, encodeKeyCursor } from './list-cursor.js';
import type { UsageTracker } from '../usage/tracker.js';
import type { ReplicaHub } from '../replica/hub.js';
import type { KeyIndex } from '../verify/key-index.js';
import { isLeakReport } from '../webhooks/events.js';
import { importRows, KEYS_PER_TURN } from './import.js';
import type { ImportItemInput } from './import-schemas.js';
import type { KeyFieldsInput } from './policy-schemas.js';
import { editOf, NO_FIELDS, refusePastExpiry, type KeyInput } from './edit.js';
import { keyJson } from './schemas.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export type KeyPage = { keys: KeyView[]; nextCursor: string | null; prevCursor: string | null; counts?: KeyCounts & { total: number } };

/** `GET /v1/keys` as validated (see schemas.ts): the store's filters and sort, and the paging as the API gives it. */
export type KeyListRequest = Pick<KeyListQuery, 'status' | 'q' | 'name' | 'owner' | 'filter' | 'sort' | 'reverse' | 'limit'> & {
  cursor?: string;
  before?: string;
  end?: boolean;
  counts?: boolean;
};

export type KeyServiceDeps = {
  store: Store;
  index: KeyIndex;
  usage: UsageTracker;
  alerts: Pick<AlertService, 'announceLeak' | 'flushForRead'>;
  counters: Counters;
  events: EventBus;
  /** Replicas of the index: a write that may narrow access answers once none of them accepts what it took away. */
  replicas: Pick<ReplicaHub, 'settled'>;
  now: () => number;
  /** Whether a SHA-256 is an operator token's: an import by hash may not make one a key. */
  isOperatorToken: (sha256: string) => boolean;
};

export class KeyService {
  constructor(private readonly deps: KeyServiceDeps) {}

  /**
   * A page of keys in `sort` order: after `cursor`, before `before`, the last page with `end`,
   * else the first. `nextCursor` and `prevCursor` continue it either way (null where nothing
   * lies beyond); `counts` are what the filters match, on request (a count at a million keys
   * is tens of milliseconds, a page is not).
   */
  async list(query: KeyListRequest): Promise<KeyPage> {
    await this.deps.usage.flushForRead();
    const order = sortOf(query);
    const after = query.cursor === undefined ? undefined : decodeKeyCursor(query.cursor, order, 'cursor');
    const before = query.before === undefined ? undefined : decodeKeyCursor(query.before, order, 'before');
    if ([after, before, query.end || undefined].filter((x) => x !== undefined).length > 1) throw new KeywardError('invalid_request', 'Give one of cursor, before and end', [{ path: 'cursor', message: 'cannot be combined with before or end' }]);
    const backward = before !== undefined || query.end === true;
    const filters = { status: query.status, q: query.q, name: query.name, owner: query.owner, filter: query.filter, ...order };
    const rows = await this.deps.store.listKeys({ ...filters, limit: query.limit + 1, after, before, fromEnd: query.end, since24h: this.deps.now() - DAY_MS });
    const more = rows.length > query.limit;
    const page = more ? (backward ? rows.slice(1) : rows.slice(0, query.limit)) : rows;
    const cursorAt = (row: KeyView | undefined) => (row ? encodeKeyCursor(order, row) : null);
    const [first, last] = [page[0], page[page.length - 1]];
    const counts = query.counts ? await (narrowsList(filters) ? this.deps.store.countKeys(filters) : this.counts()) : undefined;
    return {
      keys: page.map((k) => this.live(k)),
      nextCursor: backward ? cursorAt(before ? last : undefined) : more ? cursorAt(last) : null,
      prevCursor: backward ? (more ? cursorAt(first) : null) : after ? cursorAt(first) : null,
      ...(counts && { counts: { total: counts.active + counts.inactive, ...counts } }),
    };
  }

  /** Deleted keys remembered (docs/alerts.md), most recently deleted first. */
  async tombstones(query: { limit: number; cursor?: string }): Promise<{ tombstones: TombstoneRow[]; nextCursor: string | null }> {
    await this.deps.alerts.flushForRead();
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.deps.store.listTombstones(query.limit + 1, after && { deletedAt: after.at, keyId: after.id });
    const { page, nextCursor } = pageOf(rows, query.limit, (t) => ({ at: t.deletedAt, id: t.keyId }));
    return { tombstones: page, nextCursor };
  }

  /** Forgets the tombstones of keys deleted over a year ago, in the store and in the index. */
  async pruneTombstones(): Promise<void> {
    for (const id of await this.deps.store.pruneTombstones(this.deps.now() - TOMBSTONE_KEEP_MS)) this.deps.index.remove(id);
  }

  async get(id: string): Promise<KeyView> {
    await this.deps.usage.flushForRead();
    const key = await this.deps.store.getKey(id);
    if (!key) throw new KeywardError('not_found', `No key with id ${id}`);
    return this.view(key);
  }

  async view(key: KeyRow): Promise<KeyView> {
    return this.live({ ...key, uses24h: await this.deps.store.uses24h(key.id, this.deps.now() - DAY_MS) });
  }

  /** `key` with its quota as this daemon counts it now (refills due, uses not yet flushed). */
  private live<K extends KeyRow>(key: K): K {
    return key.quota ? { ...key, quota: this.deps.counters.quotas.peek(key.id, key.quota, this.deps.now()) } : key;
  }

  /** A fresh secret and the row that stores only its hash and hint. */
  newKeyRow(name: string, expiresAt: number | null, fields: KeyFields, actor: Actor, canary = false): { row: KeyRow & { hash: string }; secret: string } {
    const secret = generateSecret(KEY_PREFIX);
    const row = {
      id: newId('key_'),
      name,
      hint: hintOf(secret, KEY_PREFIX),
      hash: hashSecret(secret),
      status: 'active' as const,
      createdAt: this.deps.now(),
      createdBy: actor.name,
      deactivatedAt: null,
      deactivationReason: null,
      expiresAt,
      lastUsedAt: null,
      canary,
      rotatedOutBy: null,
      ...fields,
    };
    return { row, secret };
  }

  /**
   * What a rotation's new key inherits from the key it replaces: description, labels and
   * policy. A quota carries over with what is left of it now, on the same refill schedule;
   * the new key counts its own uses from there.
   */
  successorFields(old: KeyRow): KeyFields {
    const { description, owner, meta, scopes, allowedIps, rateLimit } = old;
    const quota = old.quota && { ...this.live(old).quota!, setAt: this.deps.now() };
    return { description, owner, meta, scopes, allowedIps, rateLimit, quota };
  }

  /** Indexes a key that the store has just committed and tells every listener. */
  published(row: KeyRow & { hash: string }): KeyView {
    this.deps.index.put(indexedKey(row));
    const view = { ...row, uses24h: 0 };
    this.deps.events.publish({ type: 'key.created', key: keyJson(view) });
    return view;
  }

  /** A `canary` key (docs/alerts.md) never verifies; presenting it raises `canary.tripped`. */
  async create(name: string, expiresAt: number | null, actor: Actor, input: KeyFieldsInput = {}, canary = false): Promise<{ key: KeyView; secret: string }> {
    const now = this.deps.now();
    refusePastExpiry(expiresAt, now);
    const fields = editOf(input, now);
    const { row, secret } = this.newKeyRow(name, expiresAt, { ...NO_FIELDS, ...fields }, actor, canary);
    await this.deps.store.createKey(row, actor);
    return { key: this.published(row), secret };
  }

  /**
   * Imports a batch (docs/import.md) in one transaction, all or none; a refusal names the item
   * by its index. Every key is in the index before this returns. Listeners get one
   * `keys.imported` for the batch, not one event per key: 10,000 `key.created` a call would
   * flood every stream, and a list view reloads its window instead.
   */
  async importKeys(items: readonly ImportItemInput[], actor: Actor): Promise<ImportRow[]> {
    const now = this.deps.now();
    const fieldsOf = ({ name, expiresAt, secret, sha256, ...fields }: ImportItemInput, at: number) => ({ ...NO_FIELDS, ...editOf(fields, at) });
    const rows = await importRows(items, { actor, now, fieldsOf, isOperatorToken: this.deps.isOperatorToken });
    await this.deps.store.importKeys(rows, actor, now);
    // A slice at a time (10,000 puts, with the replica hub's frames, were one task of ~75 ms in
    // which no verify was answered); the batch's keys verify once the call returns.
    for (const [i, row] of rows.entries()) {
      if (i > 0 && i % KEYS_PER_TURN === 0) await turn();
      this.deps.index.put(indexedKey(row));
    }
    const ends = [rows[0]!, rows[rows.length - 1]!].map(({ id, name }) => ({ id, name }));
    this.deps.events.publish({ type: 'keys.imported', count: rows.length, first: ends[0]!, last: ends[1]! });
    return rows;
  }

  /**
   * Changes what `input` names. The index takes the new state before this returns, so a
   * narrower policy or an earlier expiry is in force for every verify after it.
   */
  async edit(id: string, input: KeyInput, actor: Actor): Promise<KeyView> {
    const at = this.deps.now();
    if (input.expiresAt !== undefined) refusePastExpiry(input.expiresAt, at);
    const { key, changed } = await this.deps.store.updateKey(id, editOf(input, at), at, actor);
    if (changed.length === 0) return this.view(key);
    this.deps.index.put(indexedKey(key));
    await this.inForce();
    const view = await this.view(key);
    this.deps.events.publish({ type: 'key.updated', key: keyJson(view) });
    return view;
  }

  /**
   * Returns once the index's newest narrowing change (if the write that just updated the index
   * made one) holds on every replica too; at once when nothing narrowing is outstanding.
   */
  private inForce(): Promise<void> {
    return this.deps.replicas.settled();
  }

  async setStatus(id: string, status: KeyStatus, actor: Actor, reason?: string): Promise<KeyView> {
    const at = this.deps.now();
    const row = await this.deps.store.setKeyStatus(id, status, at, actor, reason);
    return reason === undefined ? this.updated(row) : this.cutOver(row, reason, at);
  }

  /**
   * Brings the index and listeners in step with a key the store deactivated at `at` for
   * `reason`, reporting the leak when the reason says so. Only the deactivation that took the
   * key out of service reports it (the store stamps it with `at`); deactivating an inactive key
   * changes nothing and reports nothing.
   */
  async cutOver(row: KeyRow, reason: string, at: number): Promise<KeyView> {
    const view = await this.updated(row);
    if (isLeakReport(reason) && row.status === 'inactive' && row.deactivatedAt === at) {
      this.deps.events.publish({ type: 'key.leaked', key: keyJson(view), reason });
      await this.deps.alerts.announceLeak(row.id, reason, at);
    }
    return view;
  }

  /** Brings the index and listeners in step with a key whose status the store changed (and whether a rotation cut it over). */
  async updated(row: KeyRow): Promise<KeyView> {
    this.deps.index.setStatus(row.id, row.status);
    this.deps.index.markRotatedOut(row.id, row.rotatedOutBy);
    await this.inForce();
    const view = await this.view(row);
    this.deps.events.publish({ type: 'key.updated', key: keyJson(view) });
    return view;
  }

  /** Brings the index and listeners in step with a key the store renamed (a finished rotation). */
  async renamed(row: KeyRow): Promise<KeyView> {
    this.deps.index.rename(row.id, row.name);
    const view = await this.view(row);
    this.deps.events.publish({ type: 'key.updated', key: keyJson(view) });
    return view;
  }

  async delete(id: string, actor: Actor): Promise<void> {
    const at = this.deps.now();
    await this.deps.store.deleteKey(id, at, actor);
    await this.removed(id, at);
  }

  /** Brings the index and listeners in step with a key the store deleted at `at` (keeping its tombstone). */
  async removed(id: string, at: number): Promise<void> {
    this.deps.index.bury(id, at);
    this.deps.counters.limiter.forget(id);
    this.deps.counters.quotas.forget(id);
    await this.inForce();
    this.deps.events.publish({ type: 'key.deleted', id });
  }

  /**
   * Every key by status. From the index when it holds them all and this daemon alone writes
   * the store: a million keys in about a millisecond, where the store's count held the event
   * loop ~120 ms (the TUI asks with every page of a window, Prometheus at every scrape). A
   * shared store is counted there, so every daemon answers the same.
   */
  async counts(): Promise<KeyCounts> {
    const { index, store } = this.deps;
    return index.complete && !store.shared ? index.statusCounts() : store.countKeys();
  }
}
