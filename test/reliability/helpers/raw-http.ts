/**
 * One HTTP request exactly as given: any method the client library lets through, any path
 * bytes, any body bytes, with or without a length. `fetch` would normalise most of what a
 * hostile client sends, so the fuzz test goes through `node:http` instead.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export type RawRequest = {
  method: string;
  /** Path and query, as sent; characters above U+00FF are not allowed by node:http. */
  path: string;
  /** An array sends the header once per value. */
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** Send the body with chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
};

export type RawResponse = { status: number; headers: IncomingHttpHeaders; body: string };

const TIMEOUT_MS = 10_000;

export function rawAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

/**
 * Sends `req` and resolves with the answer. An event stream resolves as soon as its headers
 * arrive. A daemon that answers before reading the whole body (413) may reset the connection
 * while the body is still being written; the answer counts, the reset does not.
 */
export function sendRaw(baseUrl: string, req: RawRequest, agent: Agent): Promise<RawResponse> {
  const url = new URL(baseUrl);
  // Framing is explicit: node:http leaves a GET body unframed, which is no request at all.
  const headers = { ...req.headers };
  if (req.body && req.chunked) headers['transfer-encoding'] = 'chunked';
  else if (req.body) headers['content-length'] = String(req.body.length);
  return new Promise((resolve, reject) => {
    let answered: RawResponse | undefined;
    const outgoing = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent, timeout: TIMEOUT_MS },
      (res) => {
        const status = res.statusCode ?? 0;
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          answered = { status, headers: res.headers, body: '' };
          res.destroy();
          resolve(answered);
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          answered = { status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
          resolve(answered);
        });
        res.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    outgoing.on('error', (err) => (answered ? resolve(answered) : reject(err)));
    if (req.body && req.chunked && req.body.length > 1) {
      const half = Math.floor(req.body.length / 2);
      outgoing.write(req.body.subarray(0, half));
      outgoing.end(req.body.subarray(half));
    } else {
      outgoing.end(req.body);
    }
  });
}
