/**
 * A program squatting a daemon's address: an HTTP server that answers like a daemon would
 * (health "ok", JSON to everything) and keeps every request it got, so a test can say whether
 * a client handed it a token or a key.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Caught = { method: string; path: string; headers: IncomingMessage['headers']; body: string };

export type Squatter = {
  url: string;
  requests: Caught[];
  /** Every request that carried an Authorization header or anything shaped like a secret. */
  leaks(): Caught[];
  close(): Promise<void>;
};

const SECRET = /kwo?_[0-9A-Za-z]{16,}/;

/** Listens on `port` (0: any free one); rejects with EADDRINUSE when the port is taken. */
export async function squat(port = 0): Promise<Squatter> {
  const requests: Caught[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.setHeader('content-type', 'application/json');
      // A guess is all a squatter can offer for the proof.
      res.setHeader('x-keyward-proof', 'AAAA');
      const path = req.url ?? '';
      const answer = path.startsWith('/v1/health')
        ? { status: 'ok', version: '0.1.0' }
        : path.startsWith('/v1/me')
          ? { operator: { id: 'op_x', name: 'admin', role: 'admin', createdAt: new Date().toISOString(), disabledAt: null, permissions: ['keys:read'] } }
          : { keys: [], nextCursor: null, rotations: [], valid: true, keyId: 'key_x', name: 'x' };
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    leaks: () => requests.filter((r) => r.headers.authorization !== undefined || SECRET.test(r.body) || SECRET.test(JSON.stringify(r.headers))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
