/**
 * The service benchmark's server: one Hono route, `GET /orders`, unprotected or behind
 * `keyward/hono` — the middleware in `replica` or `remote` mode, or the route handler wrapped
 * in `protect()` (`protected`, a replica) — as a service would mount it. `/health` answers 200
 * once the verifier is ready (a replica: its copy complete, its lease held).
 * Run as its own process: `node --import tsx bench/support/service-server.ts PORT MODE [URL TOKEN]`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { keyward, protect, type KeywardVariables } from '../../src/integration/hono.js';
import type { Verifier } from '../../src/integration/verifier/index.js';

const [port, mode, url, token] = process.argv.slice(2);
const app = new Hono<{ Variables: KeywardVariables }>();
const orders = [{ id: 1, item: 'coffee', quantity: 2 }];

const list = (c: { json(body: unknown): Response }) => c.json({ orders });
let verifier: Verifier | undefined;
if (mode === 'protected') {
  const route = protect({ url, token, onStateChange: () => {} }, list);
  verifier = route.verifier;
  app.get('/orders', route);
} else if (mode !== 'unprotected') {
  const auth = keyward({ url, token, mode: mode === 'remote' ? 'remote' : 'replica', onStateChange: () => {} });
  verifier = auth.verifier;
  app.use('/orders', auth);
}
app.get('/health', (c) => (!verifier || verifier.state === 'replica' || mode === 'remote' ? c.json({ status: 'ok' }) : c.json({ status: verifier.state }, 503)));
// protect() is the route's one handler: a second one would make Hono compose them (async).
if (mode !== 'protected') app.get('/orders', list);

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(port) });
process.once('SIGTERM', () => void (verifier?.close() ?? Promise.resolve()).then(() => process.exit(0)));
