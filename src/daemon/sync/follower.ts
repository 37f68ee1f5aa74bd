/**
 * Keeps one daemon's memory in step with a store it shares with other daemons: the
 * verification index and the operator tokens follow the store's change feed, and changes made
 * through the other daemons are published on this daemon's event bus, so a TUI attached here
 * sees them too.
 */
import { operatorJson, type OperatorService } from '../auth/operators.js';
import type { EventBus } from '../events/bus.js';
import { keyJson } from '../keys/schemas.js';
import type { KeyService } from '../keys/service.js';
import type { RotationService } from '../rotation/service.js';
import type { IndexedKey } from '../../decide/policy.js';
import { failureText } from '../db/storage-errors.js';
import type { KeyStatus, SharedStore, Store, StoreChange } from '../store.js';
import { toWire } from '../../replica/wire.js';
import { KeyIndex } from '../verify/key-index.js';
import { Slice } from '../slice.js';

/** Work between two turns of the event loop while following a snapshot. */
const SLICE_MS = 5;

/**
 * The verification index of a daemon on a shared store. While the change feed is live only
 * the feed changes it: a write returns after the feed applied it (and perhaps a newer change
 * from another daemon right behind it), so the key service's own copy of the change could
 * only be older. Without the feed the key service's updates apply, as on SQLite, and the
 * snapshot taken on reconnecting brings in what the other daemons did meanwhile.
 */
export class FollowedKeyIndex extends KeyIndex {
  private applying = false;
  private loaded = false;

  /** `expected`: the keys the store holds, to size the first load. */
  constructor(
    private readonly shared: SharedStore,
    private readonly expected = 0,
  ) {
    super();
  }

  override put(entry: IndexedKey): void {
    if (this.accepts()) super.put(entry);
  }

  override setStatus(id: string, status: KeyStatus): void {
    if (this.accepts()) super.setStatus(id, status);
  }

  override rename(id: string, name: string): void {
    if (this.accepts()) super.rename(id, name);
  }

  override remove(id: string): void {
    if (this.accepts()) super.remove(id);
  }

  override markRotatedOut(id: string, rotationId: string | null): void {
    if (this.accepts()) super.markRotatedOut(id, rotationId);
  }

  override bury(id: string, deletedAt: number): void {
    if (this.accepts()) super.bury(id, deletedAt);
  }

  /**
   * Brings everything to the feed's snapshot, key by key, so whoever follows this index (the
   * replica hub) hears of exactly what changed — usually nothing, on the periodic snapshot.
   * Keys `settled` by a newer change are left as they are. A million keys are seconds of work,
   * so it gives the event loop a turn every `SLICE_MS`: verification, and the feed's changes
   * (a deactivation), do not wait for it.
   */
  async followAll(pages: AsyncIterable<readonly IndexedKey[]>, settled: (id: string) => boolean): Promise<void> {
    if (!this.loaded) {
      // The first snapshot, at startup: nobody follows the index yet and no request is served,
      // so the keys are placed at once, the columns sized for them.
      this.loaded = true;
      return this.loadPages(pages, this.expected);
    }
    const seen = new Set<string>();
    const slice = new Slice(SLICE_MS);
    for await (const page of pages) {
      for (const entry of page) {
        seen.add(entry.id);
        // Checked in the same step as the put: a change applied during a turn is seen here.
        if (settled(entry.id)) continue;
        const current = this.get(entry.id);
        if (!current || !sameEntry(current, entry)) this.fromFeed(() => this.put(entry));
        if (slice.over()) await slice.turn();
      }
    }
    for (const { id } of this.entries()) {
      if (!seen.has(id) && !settled(id)) this.fromFeed(() => this.remove(id));
      if (slice.over()) await slice.turn();
    }
  }

  /** Applies one key as the feed read it; undefined: it no longer exists. */
  followKey(id: string, entry: IndexedKey | undefined): void {
    this.fromFeed(() => (entry ? this.put(entry) : this.remove(id)));
  }

  private fromFeed(apply: () => void): void {
    this.applying = true;
    try {
      apply();
    } finally {
      this.applying = false;
    }
  }

  private accepts(): boolean {
    return this.applying || !this.shared.live;
  }
}

function sameEntry(a: IndexedKey, b: IndexedKey): boolean {
  if (a.hash !== b.hash || a.name !== b.name || a.status !== b.status || a.expiresAt !== b.expiresAt) return false;
  if (a.canary !== b.canary || a.deletedAt !== b.deletedAt || a.rotatedOutBy !== b.rotatedOutBy) return false;
  if (!a.policy || !b.policy) return a.policy === b.policy;
  return JSON.stringify(toWire(a).policy) === JSON.stringify(toWire(b).policy);
}

export type FollowerParts = {
  store: Store;
  keys: KeyService;
  operators: OperatorService;
  rotations: RotationService;
  events: EventBus;
  log: (line: string) => void;
};

/** Starts following `shared`; resolves once the first snapshot is in memory. */
export function followSharedStore(shared: SharedStore, index: FollowedKeyIndex, parts: FollowerParts): Promise<void> {
  let announcing = Promise.resolve();
  return shared.follow({
    async reset(pages, settled) {
      await index.followAll(pages, settled);
      await parts.operators.load();
    },
    async changed(change, own) {
      if (change.type === 'key') index.followKey(change.id, change.key);
      if (change.type === 'operator') await parts.operators.load();
      // This daemon's services announced their own changes; the others' are announced here,
      // in order, without holding up the feed.
      if (!own) {
        announcing = announcing
          .then(() => announce(change, parts))
          .catch((err: unknown) => parts.log(`could not announce a change from another daemon: ${failureText(err)}`));
      }
    },
  });
}

async function announce(change: StoreChange, { store, keys, operators, rotations, events }: FollowerParts): Promise<void> {
  switch (change.type) {
    case 'key': {
      // An imported key is announced with its batch (`import`), not one event a key.
      if (change.event === 'imported') return;
      const row = change.event === 'deleted' ? undefined : await store.getKey(change.id);
      if (!row) return events.publish({ type: 'key.deleted', id: change.id });
      return events.publish({ type: change.event === 'created' ? 'key.created' : 'key.updated', key: keyJson(await keys.view(row)) });
    }
    case 'operator': {
      const operator = (await operators.list()).find((op) => op.id === change.id);
      if (operator) events.publish({ type: `operator.${change.event}`, operator: operatorJson(operator) });
      return;
    }
    case 'import': {
      const [first, last] = await Promise.all([store.getKey(change.first), store.getKey(change.last)]);
      if (first && last) events.publish({ type: 'keys.imported', count: change.count, first: { id: first.id, name: first.name }, last: { id: last.id, name: last.name } });
      return;
    }
    case 'rotation':
      return events.publish({ type: `rotation.${change.event}`, rotation: await rotations.get(change.id) });
  }
}
