/**
 * The client's HTTP over node:http against a real server: connections kept and reused, an
 * empty answer giving its connection back, one more try when a kept connection was closed
 * under it (by the KeywardClient too, proving the daemon first when it must), and bodies as
 * text or as a stream.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KeywardClient } from '../../src/client/client.js';
import { httpSend, keepAliveAgent } from '../../src/client/http.js';
import { CHALLENGE_HEADER, newInstance, PROOF_HEADER, proofOf } from '../../src/identity.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server on a free port; `connections` counts the TCP connections it accepted. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

/** A server where the second request on a connection finds it closed, as when a daemon drops idle ones. */
function serveClosingKept() {
  const seen = new Set<Socket>();
  return serve((req, res) => {
    if (seen.has(req.socket)) return void req.socket.destroy();
    seen.add(req.socket);
    res.end('answered');
  });
}

describe('httpSend', () => {
  it('sends method, headers and body, and answers status, headers and text', async () => {
    const { url } = await serve((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'x-echo': req.headers['x-test'] ?? '', 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, path: req.url, body, length: req.headers['content-length'] }));
      });
    });
    const res = await httpSend(`${url}/v1/things?a=1`, { method: 'POST', headers: { 'x-test': 'yes' }, body: '{"name":"é"}' });
    expect([res.status, res.ok, res.headers.get('X-Echo'), res.headers.get('absent')]).toEqual([201, true, 'yes', null]);
    expect(JSON.parse(await res.text())).toEqual({ method: 'POST', path: '/v1/things?a=1', body: '{"name":"é"}', length: '13' });
  });

  it('gives the connection of an empty answer back: requests in turn share one connection', async () => {
    const { url, connections } = await serve((req, res) => {
      res.writeHead(req.url === '/empty' ? 204 : 200);
      res.end(req.url === '/empty' ? undefined : 'ok');
    });
    const agent = await keepAliveAgent(url);
    for (let i = 0; i < 3; i++) {
      expect((await httpSend(`${url}/empty`, { method: 'DELETE' }, { agent })).status).toBe(204);
      // The connection is free once the answer's end is read, a turn after its head.
      await new Promise(setImmediate);
    }
    expect(await (await httpSend(`${url}/full`, { method: 'GET' }, { agent })).text()).toBe('ok');
    expect(connections()).toBe(1);
    agent.destroy();
  });

  it('tries once more on a new connection when a kept one was closed under the request', async () => {
    const { url, connections } = await serveClosingKept();
    const agent = await keepAliveAgent(url);
    expect(await (await httpSend(url, { method: 'GET' }, { agent })).text()).toBe('answered');
    expect(await (await httpSend(url, { method: 'POST', body: '{}' }, { agent })).text()).toBe('answered');
    expect(connections()).toBe(2);
    agent.destroy();
  });

  it('proves the daemon before that second try when asked to, and fails instead when told not to try', async () => {
    const { url, connections } = await serveClosingKept();
    const agent = await keepAliveAgent(url);
    await (await httpSend(url, { method: 'GET' }, { agent })).text();
    await expect(httpSend(url, { method: 'GET' }, { agent, retry: false })).rejects.toMatchObject({ code: 'ECONNRESET' });
    await (await httpSend(url, { method: 'GET' }, { agent })).text();
    let proofs = 0;
    const prove = async () => void proofs++;
    expect(await (await httpSend(url, { method: 'GET' }, { agent, retry: prove })).text()).toBe('answered');
    expect(proofs).toBe(1);
    await expect(httpSend(url, { method: 'GET' }, { agent, retry: () => Promise.reject(new Error('not the daemon')) })).rejects.toThrow('not the daemon');
    expect(connections()).toBe(3);
    agent.destroy();
  });

  it("fails with the connection's own error when nothing listens (autostart reports it)", async () => {
    const { url } = await serve((_req, res) => res.end());
    const port = new URL(url).port;
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(httpSend(url, { method: 'GET' })).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining(`127.0.0.1:${port}`) });
  });

  it('reads a body as a stream until the signal aborts', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    });
    const abort = new AbortController();
    const res = await httpSend(url, { method: 'GET', signal: abort.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: 1\n\n');
    abort.abort();
    await expect(reader.read()).rejects.toThrow();
  });
});

describe('KeywardClient over a kept connection the daemon closed', () => {
  /**
   * A daemon that proves itself under `instance()` and drops a kept connection when a second
   * request with a token comes on it, as one whose idle timeout fires as the request goes out.
   */
  async function closingDaemon(instance: () => string) {
    const seen = new Set<Socket>();
    let proofs = 0;
    let tokens = 0;
    const { url } = await serve((req, res) => {
      if (req.url === '/v1/health') {
        proofs++;
        const challenge = req.headers[CHALLENGE_HEADER.toLowerCase()];
        const proof = typeof challenge === 'string' ? { [PROOF_HEADER]: proofOf(instance(), challenge) } : {};
        return void res.writeHead(200, { 'content-type': 'application/json', ...proof }).end(JSON.stringify({ status: 'ok', version: '0.1.0' }));
      }
      if (req.headers.authorization) tokens++;
      if (seen.has(req.socket)) return void req.socket.destroy();
      seen.add(req.socket);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ operator: { name: 'admin', role: 'admin' } }));
    });
    return { url, proofs: () => proofs, tokens: () => tokens };
  }

  it('sends the request again on a new connection, instead of failing as if the daemon were gone', async () => {
    const instance = newInstance();
    const { url } = await closingDaemon(() => instance);
    const client = new KeywardClient({ url, token: 'kwo_test' });
    for (let i = 0; i < 3; i++) expect((await client.me()).operator.name).toBe('admin');
  });

  it('does not send a write twice: the daemon may have taken it before the connection broke', async () => {
    const instance = newInstance();
    const { url, tokens } = await closingDaemon(() => instance);
    const client = new KeywardClient({ url, token: 'kwo_test' });
    await client.me();
    await expect(client.createKey('once')).rejects.toThrow(/no keyward daemon answers/);
    expect(tokens(), 'the read, and the write once').toBe(2);
  });

  it('proves the daemon again before the token goes out on the new connection', async () => {
    const instance = newInstance();
    const { url, proofs } = await closingDaemon(() => instance);
    const client = new KeywardClient({ url, token: 'kwo_test', identity: () => instance });
    expect((await client.me()).operator.name).toBe('admin');
    expect(proofs(), 'proven once, before the first request').toBe(1);
    expect((await client.me()).operator.name).toBe('admin');
    expect(proofs(), 'and again before the second try').toBe(2);
  });

  it('sends no token on the new connection to whatever cannot prove it is the daemon', async () => {
    const daemon = newInstance();
    let answering = daemon;
    const { url, tokens } = await closingDaemon(() => answering);
    const client = new KeywardClient({ url, token: 'kwo_test', identity: () => daemon });
    await client.me();
    // The daemon stopped between the two requests, and something else answers on its port.
    answering = newInstance();
    await expect(client.me()).rejects.toThrow(/^something else answers on .*: it cannot prove it is the keyward daemon/);
    expect(tokens(), 'the first request, and the second on the closed connection: none on the new one').toBe(2);
  });
});
