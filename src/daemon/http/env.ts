/** The Hono environment every daemon route shares. */
import type { IndexedOperator } from '../store.js';

export type AppEnv = {
  Variables: {
    requestId: string;
    operator: IndexedOperator;
    /** `performance.now()` when a verify request reached the daemon (for its latency metric). */
    startedAt?: number;
  };
};
