/**
 * A replica whose link to the daemon is partly cut (a proxy between them holds what the test
 * says): a key the copy did not have when it was presented is asked of the daemon; if that
 * request fails only after the replica's lease ran out, the copy (which may lack a
 * deactivation that has already returned) must not answer for it.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createVerifier } from '../../src/integration/verifier/index.js';
import type { ReplicaVerifier } from '../../src/integration/verifier/replica.js';
import { freePort, startTestDaemon } from '../helpers/daemon.js';

/** What the proxy holds back: the stream's bytes (kept to release), acks and verifies (never sent on). */
type Gates = { stream: boolean; acks: boolean; verifies: boolean };

async function startProxy(target: URL) {
  const gates: Gates = { stream: false, acks: false, verifies: false };
  const held: Buffer[] = [];
  let stream: ServerResponse | undefined;
  const pass = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (req.url?.startsWith('/v1/replica?') || req.url === '/v1/replica') {
        stream = res;
        answer.on('data', (chunk: Buffer) => (gates.stream ? held.push(chunk) : res.write(chunk)));
        answer.on('end', () => res.end());
      } else answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    up.end(body);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (gates.acks && req.url?.startsWith('/v1/replica/ack')) return;
      if (gates.verifies && req.url === '/v1/verify') return;
      pass(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    gates,
    /** Sends on what the stream held, and holds it again. */
    releaseStream() {
      for (const chunk of held.splice(0)) stream?.write(chunk);
    },
    close: () => new Promise<void>((closed) => server.close(() => closed()) && server.closeAllConnections()),
  };
}

describe('a replica asking the daemon about a key its copy lacks', () => {
  it('does not answer from its copy when the daemon fails to answer after the lease ran out', async () => {
    const t = await startTestDaemon({ port: await freePort() });
    onTestFinished(() => t.stop());
    const proxy = await startProxy(new URL(t.url));
    onTestFinished(() => proxy.close());
    const token = (await t.client.createOperator('orders-api', 'service')).token;
    const verifier = createVerifier({ url: proxy.url, token, leaseMs: 500, timeoutMs: 2000, onStateChange: () => {} }) as ReplicaVerifier;
    onTestFinished(() => verifier.close());
    await verifier.ready();

    proxy.gates.stream = true;
    proxy.gates.verifies = true;
    const { key, secret } = await t.client.createKey('just-made');
    const presented = verifier.verify(secret).then(
      (result) => ({ result, at: performance.now() }),
      (err: unknown) => ({ err, at: performance.now() }),
    );
    // The copy learns of the key while the daemon's answer is on its way; then the link goes quiet.
    const size = verifier.size;
    proxy.releaseStream();
    await vi.waitFor(() => expect(verifier.size).toBe(size + 1), { timeout: 2000, interval: 5 });
    proxy.gates.acks = true;

    await t.client.deactivateKey(key.id);
    const deactivated = performance.now();
    expect(verifier.state, 'the deactivation waited out the lease').toBe('remote');
    const outcome = await presented;
    expect(outcome.at, 'answered after the deactivation returned').toBeGreaterThan(deactivated);
    expect('result' in outcome ? outcome.result : undefined, 'not answered from the copy').toBeUndefined();
    expect((outcome as { err: Error }).err.name).toBe('VerifierUnavailable');
  });
});
