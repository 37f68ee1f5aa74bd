/**
 * The service benchmark's server: one Hono route, `GET /orders`, unprotected or behind
 * `keyward/hono` in `replica` or `remote` mode, as a service would mount it. `/health` answers
 * 200 once the middleware's verifier is ready (a replica: its copy complete, its lease held).
 * Run as its own process: `node --import tsx bench/support/service-server.ts PORT MODE [URL TOKEN]`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { keyward, type KeywardVariables } from '../../src/integration/hono.js';

const [port, mode, url, token] = process.argv.slice(2);
const app = new Hono<{ Variables: KeywardVariables }>();
const orders = [{ id: 1, item: 'coffee', quantity: 2 }];

if (mode === 'unprotected') {
  app.get('/health', (c) => c.json({ status: 'ok' }));
} else {
  const auth = keyward({ url, token, mode: mode === 'remote' ? 'remote' : 'replica', onStateChange: () => {} });
  app.get('/health', (c) => (auth.verifier.state === 'replica' || mode === 'remote' ? c.json({ status: 'ok' }) : c.json({ status: auth.verifier.state }, 503)));
  app.use('/orders', auth);
  process.once('SIGTERM', () => void auth.verifier.close().then(() => process.exit(0)));
}
app.get('/orders', (c) => c.json({ orders }));

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(port) });
if (mode === 'unprotected') process.once('SIGTERM', () => process.exit(0));
