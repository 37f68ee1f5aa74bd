/**
 * Runs the orders service: `KEYWARD_SERVICE_TOKEN=kwo_… node --import tsx examples/orders-service/main.ts`.
 * KEYWARD_URL defaults to the daemon's default address; PORT to 3000.
 */
import { serve } from '@hono/node-server';
import { ordersApp } from './app.js';

const token = process.env.KEYWARD_SERVICE_TOKEN;
if (!token) {
  process.stderr.write('orders-service: set KEYWARD_SERVICE_TOKEN (keyward operators create orders-service --role service)\n');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 3000);
const { app, close } = ordersApp({ keywardUrl: process.env.KEYWARD_URL ?? 'http://127.0.0.1:7420', keywardToken: token });
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => process.stderr.write(`orders-service listening on http://127.0.0.1:${info.port}\n`));
// A clean stop sends keyward the usage verified here since the last report.
process.once('SIGTERM', () => server.close(() => void close().then(() => process.exit(0))));
