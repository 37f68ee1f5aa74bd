/**
 * A tiny orders service whose API is protected by keyward: every `/orders` request must carry
 * a valid API key. Clients name themselves with `X-Client-Name`, which becomes the caller
 * label the admin sees during a rotation ("who still uses the old key?").
 */
import { Hono } from 'hono';
// In your own service: import { keyward, type KeywardVariables } from 'keyward/hono';
import { keyward, type KeywardVariables } from '../../src/integration/hono.js';

export type Order = { id: number; item: string; quantity: number; placedBy: string };

export type OrdersOptions = {
  /** The keyward daemon's URL. */
  keywardUrl: string;
  /** A keyward operator token of role `service`. */
  keywardToken: string;
  onUnavailable?: (error: Error) => void;
  /** `replica` (default): verify from an in-process copy of keyward's index; `remote`: ask the daemon per request. */
  mode?: 'replica' | 'remote';
};

/** The service's app, and `close()` for shutdown: it sends keyward the usage counted here. */
export function ordersApp(options: OrdersOptions) {
  const orders: Order[] = [];
  const app = new Hono<{ Variables: KeywardVariables }>();
  const auth = keyward({
    url: options.keywardUrl,
    token: options.keywardToken,
    mode: options.mode,
    caller: (c) => c.req.header('x-client-name'),
    onUnavailable: options.onUnavailable,
  });

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.use('/orders/*', auth);

  app.get('/orders', (c) => c.json({ orders }));

  app.post('/orders', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { item?: unknown; quantity?: unknown } | null;
    if (typeof body?.item !== 'string' || !Number.isInteger(body.quantity) || (body.quantity as number) < 1) {
      return c.json({ error: { code: 'invalid_request', message: 'Send {"item": string, "quantity": positive integer}' } }, 400);
    }
    const order: Order = { id: orders.length + 1, item: body.item, quantity: body.quantity as number, placedBy: c.get('apiKey').name };
    orders.push(order);
    return c.json({ order }, 201);
  });

  return { app, close: () => auth.verifier.close() };
}
