/** The Hono environment every daemon route shares. */
import type { IndexedOperator } from '../store.js';

export type AppEnv = {
  Variables: {
    requestId: string;
    operator: IndexedOperator;
  };
};
