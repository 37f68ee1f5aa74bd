/**
 * The TUI's copy of the daemon's keys, open rotations and open alerts, and how each
 * `/v1/events` event changes it. Pure: the feed does the I/O and hands the events here.
 */
import type { AlertJson, KeyJson, RotationJson, StreamEvent } from '../../client/client.js';
import { safeAlert, safeKey, safeRotation } from './safe.js';

export type UsageTickJson = { at: number; keys: { id: string; ok: number; rejected: number }[] };

/** The events the TUI follows, parsed from the stream with their text made safe to draw. */
export type FeedEvent =
  | { type: 'key.created' | 'key.updated'; key: KeyJson }
  | { type: 'key.deleted'; id: string }
  | { type: 'rotation.created' | 'rotation.updated'; rotation: RotationJson }
  | { type: 'usage'; tick: UsageTickJson }
  | { type: 'alert.raised' | 'alert.updated'; alert: AlertJson }
  /** A batch of keys imported: one event for up to 10,000 keys, so the feed loads the list again. */
  | { type: 'keys.imported'; count: number };

export type Collection = {
  readonly keys: ReadonlyMap<string, KeyJson>;
  /** Open rotations by rotation id; ended ones are dropped. */
  readonly rotations: ReadonlyMap<string, RotationJson>;
  /** Alerts not acknowledged yet, by id: the header counts them. */
  readonly alerts: ReadonlyMap<string, AlertJson>;
};

const ENDED = new Set(['completed', 'cancelled']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The event a stream frame carries, or undefined for one the TUI does not follow. */
export function parseFeedEvent(frame: StreamEvent): FeedEvent | undefined {
  const data = frame.data;
  if (!isRecord(data) || data.type !== frame.event) return undefined;
  switch (frame.event) {
    case 'key.created':
    case 'key.updated':
      return isRecord(data.key) && typeof data.key.id === 'string' ? { type: frame.event, key: safeKey(data.key as KeyJson) } : undefined;
    case 'key.deleted':
      return typeof data.id === 'string' ? { type: frame.event, id: data.id } : undefined;
    case 'rotation.created':
    case 'rotation.updated':
      return isRecord(data.rotation) && typeof data.rotation.id === 'string'
        ? { type: frame.event, rotation: safeRotation(data.rotation as RotationJson) }
        : undefined;
    case 'usage':
      return isRecord(data.tick) && Array.isArray(data.tick.keys) ? (data as FeedEvent) : undefined;
    case 'alert.raised':
    case 'alert.updated':
      return isRecord(data.alert) && typeof data.alert.id === 'string' ? { type: frame.event, alert: safeAlert(data.alert as AlertJson) } : undefined;
    case 'keys.imported':
      return typeof data.count === 'number' ? { type: frame.event, count: data.count } : undefined;
    default:
      return undefined;
  }
}

export function collectionOf(keys: readonly KeyJson[], rotations: readonly RotationJson[], alerts: readonly AlertJson[] = []): Collection {
  return {
    keys: new Map(keys.map((k) => [k.id, safeKey(k)])),
    rotations: new Map(rotations.filter((r) => !ENDED.has(r.step)).map((r) => [r.id, safeRotation(r)])),
    alerts: new Map(alerts.filter((a) => a.state === 'open').map((a) => [a.id, safeAlert(a)])),
  };
}

/** `collection` after `events`, in order. Returns the same object when nothing changed. */
export function applyEvents(collection: Collection, events: readonly FeedEvent[]): Collection {
  let keys: Map<string, KeyJson> | undefined;
  let rotations: Map<string, RotationJson> | undefined;
  let alerts: Map<string, AlertJson> | undefined;
  const writableKeys = () => (keys ??= new Map(collection.keys));
  const writableRotations = () => (rotations ??= new Map(collection.rotations));
  const writableAlerts = () => (alerts ??= new Map(collection.alerts));
  for (const event of events) {
    switch (event.type) {
      case 'key.created':
      case 'key.updated':
        writableKeys().set(event.key.id, event.key);
        break;
      case 'key.deleted':
        if ((keys ?? collection.keys).has(event.id)) writableKeys().delete(event.id);
        break;
      case 'rotation.created':
      case 'rotation.updated':
        if (ENDED.has(event.rotation.step)) {
          if ((rotations ?? collection.rotations).has(event.rotation.id)) writableRotations().delete(event.rotation.id);
        } else writableRotations().set(event.rotation.id, event.rotation);
        break;
      case 'usage': {
        const at = new Date(event.tick.at).toISOString();
        for (const use of event.tick.keys) {
          const key = (keys ?? collection.keys).get(use.id);
          if (!key) continue;
          const lastUsedAt = use.ok > 0 && (key.lastUsedAt === null || key.lastUsedAt < at) ? at : key.lastUsedAt;
          writableKeys().set(use.id, { ...key, uses24h: key.uses24h + use.ok + use.rejected, lastUsedAt });
        }
        break;
      }
      case 'alert.raised':
      case 'alert.updated':
        if (event.alert.state === 'open') writableAlerts().set(event.alert.id, event.alert);
        else if ((alerts ?? collection.alerts).has(event.alert.id)) writableAlerts().delete(event.alert.id);
        break;
      case 'keys.imported':
        // The event names no keys; the feed loads the list again.
        break;
    }
  }
  if (!keys && !rotations && !alerts) return collection;
  return { keys: keys ?? collection.keys, rotations: rotations ?? collection.rotations, alerts: alerts ?? collection.alerts };
}

/** Open rotations by the id of either key they involve. */
export function rotationsByKey(collection: Collection): ReadonlyMap<string, RotationJson> {
  const byKey = new Map<string, RotationJson>();
  for (const r of collection.rotations.values()) {
    byKey.set(r.oldKeyId, r);
    byKey.set(r.newKeyId, r);
  }
  return byKey;
}
