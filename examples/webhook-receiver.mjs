// A keyward webhook receiver: checks Keyward-Signature, refuses stale or forged deliveries,
// prints each event as a JSON line. KEYWARD_WEBHOOK_SECRET=whsec_… PORT=8080 node webhook-receiver.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.KEYWARD_WEBHOOK_SECRET;
const seen = new Set(); // delivery is at least once: skip an event id seen before

createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  const { t, v1 } = Object.fromEntries((req.headers['keyward-signature'] ?? '').split(',').map((p) => p.split('=')));
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  const fresh = Math.abs(Date.now() / 1000 - Number(t)) < 300;
  if (!fresh || !v1 || v1.length !== expected.length || !timingSafeEqual(Buffer.from(v1), Buffer.from(expected))) return res.writeHead(400).end('bad signature\n');
  const event = JSON.parse(body);
  if (!seen.has(event.id)) {
    seen.add(event.id);
    console.log(JSON.stringify(event));
  }
  res.writeHead(204).end();
}).listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => console.error('listening'));
