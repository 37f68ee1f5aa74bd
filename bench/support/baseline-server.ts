/**
 * The verify benchmark's baseline: a minimal Hono JSON POST route on @hono/node-server, the
 * floor any route of the daemon's stack can reach. Run as its own process:
 * `node --import tsx bench/support/baseline-server.ts PORT`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono()
  .get('/health', (c) => c.json({ status: 'ok' }))
  .post('/v1/verify', async (c) => {
    const body = await c.req.json<{ key?: unknown }>();
    return c.json({ valid: typeof body.key === 'string' });
  });

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.argv[2]) });
process.once('SIGTERM', () => process.exit(0));
