/**
 * The key lifecycle: create (secret returned once), deactivate/activate, delete (inactive
 * only), list and show. After each committed write it updates the verification index before
 * returning, so a deactivated key fails verification from the moment the call returns, and
 * it publishes the change on the event bus.
 */
import { KeywardError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { generateSecret, hashSecret, hintOf, KEY_PREFIX, newId } from '../secrets/format.js';
import type { Actor, KeyRow, KeyStatus, KeyView, Store } from '../store.js';
import type { UsageTracker } from '../usage/tracker.js';
import type { KeyIndex } from '../verify/key-index.js';
import { keyJson } from './schemas.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export type KeyPage = { keys: KeyView[]; nextCursor: string | null };

function encodeCursor(key: KeyView): string {
  return Buffer.from(JSON.stringify([key.createdAt, key.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'number' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through to the error below
  }
  throw new KeywardError('invalid_request', 'The cursor is not one this daemon gave out', [{ path: 'cursor', message: 'is invalid' }]);
}

/**
 * A key that would be expired from its first moment is a mistake (a date typed wrong), never
 * what the operator meant. Decided by the daemon's clock, so a test clock governs it too.
 */
export function refusePastExpiry(expiresAt: number | null, now: number): void {
  if (expiresAt !== null && expiresAt <= now) {
    throw new KeywardError('invalid_request', `Invalid request body (expiresAt: must be in the future, it is ${new Date(expiresAt).toISOString()})`, [
      { path: 'expiresAt', message: 'must be in the future' },
    ]);
  }
}

export type KeyServiceDeps = {
  store: Store;
  index: KeyIndex;
  usage: UsageTracker;
  events: EventBus;
  now: () => number;
};

export class KeyService {
  constructor(private readonly deps: KeyServiceDeps) {}

  async list(query: { status?: KeyStatus; q?: string; limit: number; cursor?: string }): Promise<KeyPage> {
    await this.deps.usage.flushForRead();
    const keys = await this.deps.store.listKeys({
      status: query.status,
      q: query.q,
      limit: query.limit + 1,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      since24h: this.deps.now() - DAY_MS,
    });
    const more = keys.length > query.limit;
    const page = more ? keys.slice(0, query.limit) : keys;
    return { keys: page, nextCursor: more ? encodeCursor(page[page.length - 1]!) : null };
  }

  async get(id: string): Promise<KeyView> {
    await this.deps.usage.flushForRead();
    const key = await this.deps.store.getKey(id);
    if (!key) throw new KeywardError('not_found', `No key with id ${id}`);
    return this.view(key);
  }

  async view(key: KeyRow): Promise<KeyView> {
    return { ...key, uses24h: await this.deps.store.uses24h(key.id, this.deps.now() - DAY_MS) };
  }

  /** A fresh secret and the row that stores only its hash and hint. */
  newKeyRow(name: string, expiresAt: number | null, actor: Actor): { row: KeyRow & { hash: string }; secret: string } {
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
      expiresAt,
      lastUsedAt: null,
    };
    return { row, secret };
  }

  /** Indexes a key that the store has just committed and tells every listener. */
  published(row: KeyRow & { hash: string }): KeyView {
    this.deps.index.put({ id: row.id, name: row.name, hash: row.hash, status: row.status, expiresAt: row.expiresAt });
    const view = { ...row, uses24h: 0 };
    this.deps.events.publish({ type: 'key.created', key: keyJson(view) });
    return view;
  }

  async create(name: string, expiresAt: number | null, actor: Actor): Promise<{ key: KeyView; secret: string }> {
    refusePastExpiry(expiresAt, this.deps.now());
    const { row, secret } = this.newKeyRow(name, expiresAt, actor);
    await this.deps.store.createKey(row, actor);
    return { key: this.published(row), secret };
  }

  async setStatus(id: string, status: KeyStatus, actor: Actor): Promise<KeyView> {
    const row = await this.deps.store.setKeyStatus(id, status, this.deps.now(), actor);
    return this.updated(row);
  }

  /** Brings the index and listeners in step with a key whose status the store changed. */
  async updated(row: KeyRow): Promise<KeyView> {
    this.deps.index.setStatus(row.id, row.status);
    const view = await this.view(row);
    this.deps.events.publish({ type: 'key.updated', key: keyJson(view) });
    return view;
  }

  async delete(id: string, actor: Actor): Promise<void> {
    await this.deps.store.deleteKey(id, this.deps.now(), actor);
    this.removed(id);
  }

  removed(id: string): void {
    this.deps.index.remove(id);
    this.deps.events.publish({ type: 'key.deleted', id });
  }

  async counts(): Promise<{ active: number; inactive: number }> {
    return this.deps.store.countKeys();
  }
}
