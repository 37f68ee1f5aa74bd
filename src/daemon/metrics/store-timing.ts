/**
 * Times the store's writes for `keyward_store_write_duration_seconds`, without either store
 * knowing: the daemon's services get the store through a Proxy that times every method listed
 * as a write below. Every `Store` method must be listed (the `satisfies` makes a new one a type
 * error until someone says what it is), so a new write cannot go untimed by oversight.
 */
import type { Histogram } from 'prom-client';
import type { Store } from '../store.js';

export const STORE_METHODS = {
  listKeys: 'read',
  countKeys: 'read',
  keyTotal: 'read',
  getKey: 'read',
  getKeyByName: 'read',
  uses24h: 'read',
  createKey: 'write',
  importKeys: 'write',
  setKeyStatus: 'write',
  deleteKey: 'write',
  indexedKeys: 'read',
  findByHashes: 'read',
  countOperators: 'read',
  listOperators: 'read',
  indexedOperators: 'read',
  createOperator: 'write',
  disableOperator: 'write',
  listAudit: 'read',
  auditChain: 'read',
  applyUsage: 'write',
  usageBuckets: 'read',
  callers: 'read',
  createRotation: 'write',
  getRotation: 'read',
  listRotations: 'read',
  changeRotation: 'write',
  updateKey: 'write',
  quotas: 'read',
  createWebhook: 'write',
  listWebhooks: 'read',
  deleteWebhook: 'write',
  listDeliveries: 'read',
  claimDelivery: 'write',
  finishDelivery: 'write',
  pruneDeliveries: 'write',
  listTombstones: 'read',
  pruneTombstones: 'write',
  recordSightings: 'write',
  listAlerts: 'read',
  countOpenAlerts: 'read',
  openAlert: 'read',
  ackAlert: 'write',
  keysExpiring: 'read',
  close: 'other',
  shared: 'other',
  local: 'other',
} as const satisfies Record<keyof Store, 'read' | 'write' | 'other'>;

type AnyMethod = (...args: unknown[]) => unknown;

/**
 * `store` with its writes timed into `histogram` (label `operation`: the method's name). The
 * timing wrapper is made per function value, not once: a test that replaces a method (a spy)
 * is still called through it.
 */
export function timedStore(store: Store, histogram: Histogram<'operation'>): Store {
  const wrappers = new WeakMap<AnyMethod, AnyMethod>();
  const timed = (operation: string, method: AnyMethod): AnyMethod =>
    function timedWrite(this: unknown, ...args: unknown[]) {
      const end = histogram.startTimer({ operation });
      const result = method.apply(this, args);
      if (result instanceof Promise) return result.finally(() => end());
      end();
      return result;
    };
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || typeof value !== 'function' || STORE_METHODS[prop as keyof Store] !== 'write') return value;
      const method = value as AnyMethod;
      let wrapper = wrappers.get(method);
      if (!wrapper) wrappers.set(method, (wrapper = timed(prop, method)));
      return wrapper;
    },
  });
}
