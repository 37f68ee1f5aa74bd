/**
 * Store failures for one request, so a test can see what each operation answers when the
 * store is unreachable (503), full (507) or fails in a way keyward does not recognise (500).
 * The store stays the real one; its methods throw the error its driver would, with the
 * driver's code, so the daemon's own error mapping decides the answer.
 */
import { vi } from 'vitest';
import { STORE_METHODS } from '../../../src/daemon/metrics/store-timing.js';
import type { Store } from '../../../src/daemon/store.js';
import { testBackend } from '../../helpers/daemon.js';

export type Fault = 'unavailable' | 'full' | 'broken';

/**
 * What each store method does, as the daemon's own list says (`STORE_METHODS`, which the
 * compiler keeps complete). Only writes can run out of space. The webhook dispatcher's methods
 * run in the background, never while a request is answered, so they are left working.
 */
const BACKGROUND = new Set<keyof Store>(['claimDelivery', 'finishDelivery', 'pruneDeliveries']);
const METHODS = Object.fromEntries(
  Object.entries(STORE_METHODS).map(([name, kind]) => [name, BACKGROUND.has(name as keyof Store) ? 'other' : kind]),
) as Record<keyof Store, 'read' | 'write' | 'other'>;

/** The status each fault must produce where an operation reaches the store. */
export const FAULT_STATUS: Record<Fault, number> = { unavailable: 503, full: 507, broken: 500 };

/** The error the backend's driver throws for `fault`. */
function driverError(fault: Fault): Error {
  if (fault === 'broken') return new Error('no such table: keys (injected)');
  const sqlite = fault === 'full' ? 'SQLITE_FULL' : 'SQLITE_BUSY';
  const postgres = fault === 'full' ? '53100' : 'ECONNREFUSED';
  return Object.assign(new Error(`${fault} (injected)`), { code: testBackend === 'postgres' ? postgres : sqlite });
}

/** Runs `during` with `store` failing as `fault` says; the store works again afterwards. */
export async function withStoreFault<T>(store: Store, fault: Fault, during: () => Promise<T>): Promise<T> {
  const error = driverError(fault);
  const spies = Object.entries(METHODS)
    .filter(([, kind]) => kind === 'write' || (kind === 'read' && fault !== 'full'))
    .map(([name]) =>
      vi.spyOn(store as unknown as Record<string, () => unknown>, name).mockImplementation(() => {
        throw error;
      }),
    );
  try {
    return await during();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
