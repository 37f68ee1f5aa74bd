/**
 * How long the client waits for an answer: the time it is given for a request, and longer for
 * an import batch, which stores up to 10,000 keys in one transaction.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { DaemonUnreachable, KeywardClient } from '../../src/client/client.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

it('waits longer for an import batch than for any other request', async () => {
  // Every answer comes after 600 ms; the client is given 200 ms a request.
  server = createServer((req, res) => {
    req.resume();
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"imported":0}'), 600);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const client = new KeywardClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 200 });
  await expect(client.me()).rejects.toBeInstanceOf(DaemonUnreachable);
  await expect(client.importKeys([])).resolves.toEqual({ imported: 0 });
});
