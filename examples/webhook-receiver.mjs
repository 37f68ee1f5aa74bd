// A keyward webhook receiver: checks Keyward-Signature, refuses stale or forged deliveries,
// prints each event as a JSON line. KEYWARD_WEBHOOK_SECRET=whsec_… PORT=8080 node webhook-receiver.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.KEYWARD_WEBHOOK_SECRET;
const seen = new Set(); // delivery is at least once: skip an event id seen before

async function receive(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks); // the bytes that were signed: a chunk may end inside a character
  const { t, v1 } = Object.fromEntries((req.headers['keyward-signature'] ?? '').split(',').map((p) => p.split('=')));
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex'));
  const given = Buffer.from(v1 ?? ''); // compared as bytes: timingSafeEqual throws on buffers of unequal length
  const fresh = Math.abs(Date.now() / 1000 - Number(t)) < 300;
  if (!fresh || given.length !== expected.length || !timingSafeEqual(given, expected)) return res.writeHead(400).end('bad signature\n');
  const event = JSON.parse(body);
  if (!seen.has(event.id)) {
    seen.add(event.id);
    console.log(JSON.stringify(event));
  }
  res.writeHead(204).end();
}

// Whoever reaches the port can send anything: a request cut off mid-body fails alone, not the process.
createServer((req, res) => receive(req, res).catch(() => res.destroy())).listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => console.error('listening'));
