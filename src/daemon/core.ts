/**
 * Wires the daemon's services around one store: verification index, usage tracker, event bus,
 * keys, operators, rotations, alerts. Loading the indexes is part of construction, except the
 * key index of a local store, which loads in the background (verify/warm-index.ts); on a store
 * shared with other daemons, following its changes is part of construction too.
 */
import type { AuditTrail } from './audit/trail.js';
import { OperatorService } from './auth/operators.js';
import { systemClock, type Clock } from './clock.js';
import { FollowedKeyIndex, followSharedStore } from './sync/follower.js';
import { EventBus } from './events/bus.js';
import { EventStreams, type StreamOptions } from './events/streams.js';
import { KeyService } from './keys/service.js';
import { DaemonMetrics } from './metrics/registry.js';
import { timedStore } from './metrics/store-timing.js';
import { RotationService } from './rotation/service.js';
import { storeUnreachable, type Store } from './store.js';
import { AlertService } from './alerts/service.js';
import { UsageService } from './usage/service.js';
import { UsageTracker } from './usage/tracker.js';
import { newCounters } from '../decide/verify.js';
import { LeaseHorizon } from './replica/horizon.js';
import { ReplicaHub, type ReplicaOptions } from './replica/hub.js';
import { KeyIndex } from './verify/key-index.js';
import { plural, withThousands } from '../thousands.js';
import { WarmingKeyIndex } from './verify/warm-index.js';
import { failureText } from './db/storage-errors.js';
import { Verifier } from './verify/verifier.js';
import { DEFAULT_DISPATCH, WebhookDispatcher, type DispatchOptions } from './webhooks/dispatcher.js';
import type { WebhookSealer } from './webhooks/sealer.js';
import { WebhookService } from './webhooks/service.js';

export type CoreOptions = {
  /** The services' clock: the system's unless a test drives time by hand. */
  clock?: Clock;
  /** Only the time of day from elsewhere, intervals on the system clock (ignored beside `clock`). */
  now?: () => number;
  log?: (line: string) => void;
  /** The home's audit key and checkpoint, which the store signs and anchors with. */
  audit: AuditTrail;
  /** Heartbeat and caps of the `/v1/events` streams. */
  streams?: StreamOptions;
  /** Leases and limits of `/v1/replica` (defaults in replica/hub.ts). */
  replicas?: Partial<ReplicaOptions>;
  /** The home's record of when the replicas' leases end, for the next run (replica/horizon.ts). */
  leaseHorizonFile?: string;
  /** Seals the webhooks' signing secrets; the daemon's comes from the home's `webhook.key`. */
  sealer: WebhookSealer;
  /** Timing of webhook deliveries (tests shorten it). */
  webhooks?: Partial<DispatchOptions>;
  /** Whether filtered key lists are read on the event loop because SQLite's read worker stopped (never on PostgreSQL). */
  listReadsOnLoop?: () => boolean;
  /** Whether the home's reserve file is not in place (db/sqlite/reserve-file.ts; never on PostgreSQL, which has none). */
  reserveFileMissing?: () => boolean;
};

export type Core = Awaited<ReturnType<typeof createCore>>;

/** A state of a part the store may not have (SQLite's read worker, its reserve file). */
const never = () => false;

/** What a loaded index holds, for the log: its keys, and apart from them the deleted keys' tombstones it holds too. */
function indexedText(index: KeyIndex): string {
  const { active, inactive } = index.statusCounts();
  const tombstones = index.size - active - inactive;
  const deleted = tombstones === 1 ? "1 deleted key's tombstone" : `${withThousands(tombstones)} deleted keys' tombstones`;
  return `${plural(active + inactive, 'key')}${tombstones > 0 ? ` and ${deleted}` : ''}`;
}

export async function createCore(rawStore: Store, options: CoreOptions) {
  const clock = options.clock ?? (options.now ? { ...systemClock, now: options.now } : systemClock);
  const now = () => clock.now();
  const log = options.log ?? (() => {});
  const metrics = new DaemonMetrics({ keyCounts: () => keys.counts(), openAlerts: () => rawStore.countOpenAlerts(), indexLoading: () => !index.complete, listReadsOnLoop: options.listReadsOnLoop ?? never, reserveFileMissing: options.reserveFileMissing ?? never, storeUnreachable: () => storeUnreachable(rawStore) });
  // Services write through the timed store; `store` below stays the store itself.
  const store = timedStore(rawStore, metrics.storeWrites);
  const events = new EventBus();
  const keyTotal = await store.keyTotal();
  const followed = store.shared && new FollowedKeyIndex(store.shared, keyTotal);
  const loading = new AbortController();
  const started = performance.now();
  let index: KeyIndex;
  /** Resolves once the index holds every key; until then some answers come from the store. */
  let indexReady: Promise<void>;
  let followedReady: () => void = () => {};
  if (followed) {
    // The change feed's first snapshot loads it (below): read here as well, every key was read twice.
    index = followed;
    indexReady = new Promise((resolve) => (followedReady = resolve));
  } else if (!store.local) {
    index = new KeyIndex();
    await index.loadPages(store.indexedKeys(), keyTotal);
    indexReady = Promise.resolve();
  } else {
    const warming = new WarmingKeyIndex();
    indexReady = warming.warmUp(store.local, keyTotal, loading.signal);
    index = warming;
  }
  indexReady.then(
    () => !loading.signal.aborted && log(`key index loaded: ${indexedText(index)} in ${Math.round(performance.now() - started)} ms`),
    (err: unknown) => log(`loading the key index failed; verify reads the store instead: ${failureText(err)}`),
  );
  // Rate-limit windows and quota uses of this process's verifications.
  const counters = newCounters();
  const usage = new UsageTracker(store, clock, (tick) => events.publish({ type: 'usage', tick }), counters.quotas);
  const operators = new OperatorService(store, events, now);
  await operators.load();
  const alerts: AlertService = new AlertService({ store, events, clock, pruneTombstones: (): Promise<void> => keys.pruneTombstones() });
  const replicas = new ReplicaHub({
    index,
    indexReady,
    usage,
    alerts,
    onConnected: (open) => metrics.replicasConnected.set(open),
    quotas: counters.quotas,
    now,
    following: () => !store.shared || store.shared.live,
    isActive: (id) => operators.isActive(id),
    log,
    horizon: new LeaseHorizon(options.leaseHorizonFile),
    options: options.replicas,
  });
  const keys = new KeyService({ store, index, usage, alerts, counters, events, replicas, now, isOperatorToken: (hash) => operators.isTokenHash(hash) });
  const rotations = new RotationService({ store, keys, usage, events, now, every: clock.every, log });
  const core = {
    store: rawStore,
    metrics,
    now,
    log,
    events,
    streams: new EventStreams(events, (id) => operators.isActive(id), log, options.streams),
    index,
    indexReady,
    /** How many keys the store held at startup. */
    keyTotal,
    /** Stops a background index load (the daemon is closing). */
    stopIndexLoad: () => loading.abort(),
    usage,
    replicas,
    keys,
    operators,
    rotations,
    alerts,
    usageReads: new UsageService(store, usage, now),
    verifier: new Verifier(index, usage, alerts, counters, now, metrics.verify),
    /** `keyward audit --verify`: the whole chain, against this home's key and checkpoint. */
    verifyAudit: () => options.audit.verify(rawStore),
    /** The audit checkpoint, written off the loop: the app waits for it before answering a write. */
    audit: options.audit as Pick<AuditTrail, 'anchors' | 'settled'>,
    webhooks: new WebhookService(store, options.sealer, now),
    dispatcher: new WebhookDispatcher({ store, sealer: options.sealer, metrics, now, log }, { ...DEFAULT_DISPATCH, ...options.webhooks }),
  };
  if (store.shared && followed) {
    await followSharedStore(store.shared, followed, core);
    followedReady();
  }
  return core;
}
