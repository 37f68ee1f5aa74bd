/**
 * `keyward/verifier` from a plain `node:http` server, as docs/services.md shows it (issue 14):
 * the example's handler, run against a real daemon on a dual-stack socket, lets a valid key
 * through, answers refusals with the middlewares' JSON, names its IPv4 callers as keyward
 * writes them, and fails closed with 503 when neither its copy nor the daemon can answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerKey, canonicalAddress, createVerifier, rejectionAnswer, unavailableAnswer, type HttpAnswer, type Verifier } from '../../src/integration/verifier/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
let token: string;
const verifiers: Verifier[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  t = await startTestDaemon();
  token = (await t.client.createOperator('plain-api', 'service')).token;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(verifiers.map((v) => v.close()));
  await t.stop();
});

/** The docs' server, word for word but for the verifier it is given. */
function docsHandler(verifier: Verifier) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const key = bearerKey(req.headers.authorization);
    const ip = req.socket.remoteAddress && canonicalAddress(req.socket.remoteAddress);
    let answer: HttpAnswer;
    try {
      const result = key ? await verifier.verify(key, { caller: ip, ip }) : ({ valid: false, code: 'missing' } as const);
      if (result.valid) return void res.end(`hello ${result.name}`);
      answer = rejectionAnswer(result);
    } catch {
      answer = unavailableAnswer(); // neither the copy nor the daemon could answer
    }
    res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  };
}

/** The handler on an IPv6 socket, as a dual-stack server has: IPv4 clients arrive as ::ffff:127.0.0.1. */
async function serve(verifier: Verifier): Promise<string> {
  verifiers.push(verifier);
  const server = createServer((req, res) => void docsHandler(verifier)(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '::ffff:127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('keyward/verifier in a plain node:http server (docs/services.md)', () => {
  it('lets a valid key through and names its IPv4 caller as keyward writes it, which its allow list matches', async () => {
    const verifier = createVerifier({ url: t.url, token });
    const url = await serve(verifier);
    const { key, secret } = await t.client.createKey('plain-ok', { allowedIps: ['127.0.0.1'] });
    await verifier.sync();
    const res = await fetch(url, { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello plain-ok');
    await expect.poll(async () => (await t.client.usage(key.id)).callers.map((c) => c.caller), { timeout: 5000 }).toEqual(['127.0.0.1']);
  });

  it('answers a missing, an unknown and a refused key with the middlewares\' JSON', async () => {
    const url = await serve(createVerifier({ url: t.url, token }));
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'unauthorized', reason: 'missing' } });
    const { key, secret } = await t.client.createKey('plain-off');
    await t.client.deactivateKey(key.id);
    const off = await fetch(url, { headers: { authorization: `Bearer ${secret}` } });
    expect(off.status).toBe(401);
    expect(off.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await off.json()).toMatchObject({ error: { code: 'unauthorized', reason: 'inactive' } });
  });

  it('fails closed with 503 and Retry-After when neither its copy nor the daemon can answer', async () => {
    // A daemon address nothing answers at: no copy, no lease, and no daemon to ask.
    const url = await serve(createVerifier({ url: 'http://127.0.0.1:9', token, timeoutMs: 500, onStateChange: () => {} }));
    const { secret } = await t.client.createKey('plain-closed');
    const res = await fetch(url, { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
  });
});
