/**
 * The daemon's node:http server. Its limits are stated rather than left to Node's defaults
 * (60 s for headers, 5 min for a request, no connection cap): a local user who opens
 * connections and sends nothing, or a byte a minute, must not tie the daemon up. Requests
 * that Node or the Hono adapter cannot parse get the daemon's JSON error envelope instead of
 * a bare `400 Bad Request`.
 */
import { getRequestListener } from '@hono/node-server';
import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorBody } from '../errors.js';

export type HttpLimits = {
  /** Time a client has to send a request's headers. */
  headersTimeoutMs: number;
  /** Time a client has to send a whole request, body included. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** How often Node looks for connections past the two time-outs above. */
  checkIntervalMs: number;
  /** Open connections at most; Node drops the ones over it. */
  maxConnections: number;
  maxHeaderBytes: number;
};

export const HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  // Bodies are at most 64 KiB (import: 4 MiB); 30 s is plenty on any link a local client uses.
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  // Each TUI holds one event stream and services pool a few connections each.
  maxConnections: 1_024,
  maxHeaderBytes: 16 * 1024,
};

/** Options for `http.createServer` (or `serve({ serverOptions })`) that apply `limits`. */
function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
    maxHeaderSize: limits.maxHeaderBytes,
    // A request without Host is answered by the Host check (400 in the envelope), not by Node's bare 400.
    requireHostHeader: false,
  };
}

const MESSAGES: Record<string, (limits: HttpLimits) => string> = {
  HPE_HEADER_OVERFLOW: (l) => `The request headers are larger than ${l.maxHeaderBytes / 1024} KiB`,
  ERR_HTTP_REQUEST_TIMEOUT: (l) =>
    `The request did not arrive in time (headers within ${l.headersTimeoutMs / 1000} s, the whole request within ${l.requestTimeoutMs / 1000} s)`,
};

function invalidRequest(message: string): ErrorBody {
  return { error: { code: 'invalid_request', message, requestId: randomUUID() } };
}

/**
 * The raw HTTP answer to a request Node could not parse: `400 invalid_request` in the envelope,
 * without the body when the request was a HEAD (whose answer a client reads as headers only).
 */
function clientErrorResponse(code: string | undefined, limits: HttpLimits, head: boolean): string {
  const body = invalidRequest(MESSAGES[code ?? '']?.(limits) ?? 'The request is not valid HTTP/1.1');
  const text = JSON.stringify(body);
  return [
    'HTTP/1.1 400 Bad Request',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    `X-Request-Id: ${body.error.requestId}`,
    'Connection: close',
    '',
    head ? '' : text,
  ].join('\r\n');
}

/**
 * The error is in a HEAD's request line glued to the end of a body before it: the line so far
 * ends in `HEAD`, its target, perhaps part of its version. Only a space (0x20) separates them: `\S` would stop at a no-break space.
 */
const HEAD_LINE_SO_FAR = /HEAD [^ ]*(?: [^ ]*)?$/;
/**
 * A whole request line: method, target, version. Anchored: unanchored, a 64 KB line of token
 * characters (the end of another request's body) took the regex ~6 s to refuse, tried from
 * every position.
 */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) [^ ]+ HTTP\/\d\.\d$/;

/**
 * Whether the request Node failed to parse is a HEAD. Node hands over the chunk it was reading
 * (`rawPacket`) and where in it the error came (`bytesParsed`). On a kept-alive connection the
 * chunk can begin with the end of the request before (the rest of a body the daemon answered
 * without reading it all), so the failed request starts somewhere inside the chunk, not at
 * its start. Either the error is in the request line itself (the line the error is on starts
 * with the method, or ends in it and what followed it so far when glued to a body before), or
 * in a header line below the request line; an empty line above would be the end of another
 * message's headers. A request whose line is not in the chunk at all (it began in an
 * earlier one) is taken as not a HEAD, as the envelope is what every other request gets.
 */
export function failedRequestIsHead(packet: Buffer | undefined, errorAt: number | undefined): boolean {
  if (!packet) return false;
  const end = Math.min(packet.length, errorAt === undefined ? packet.length : errorAt + 1);
  const lines = packet.toString('latin1', 0, end).split('\n');
  const errorLine = lines.at(-1)!;
  if (errorLine.startsWith('HEAD ') || HEAD_LINE_SO_FAR.test(errorLine)) return true;
  for (let i = lines.length - 2; i >= 0; i--) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') return false;
    const method = REQUEST_LINE.exec(line)?.[1];
    if (method !== undefined) return method === 'HEAD';
  }
  return false;
}

/**
 * The answer to a request Node parsed but the Hono adapter refused to turn into a web Request
 * (a backslash in the path, a Host it cannot put in a URL): the same envelope.
 */
function adapterRefusal(err: unknown): Response {
  const body = invalidRequest(`The request cannot be served: ${err instanceof Error ? err.message : 'it is malformed'}`);
  return new Response(JSON.stringify(body), {
    status: 400,
    headers: { 'content-type': 'application/json', 'x-request-id': body.error.requestId, connection: 'close' },
  });
}

export type HttpServerOptions = {
  /** The listen address, which the adapter puts in the URL of a request without a Host. */
  hostname: string;
  limits?: HttpLimits;
  log?: (line: string) => void;
  /**
   * A layer in front of the adapter, given the adapter's listener to hand requests on to: the
   * verify fast path. It serves on the same server, under the same limits and connection cap.
   */
  front?: (next: RequestListener) => RequestListener;
};

/** A node:http server for `fetch` (the app's) with the limits and refusals above; not yet listening. */
export function createHttpServer(fetch: (request: Request, env: unknown) => Response | Promise<Response>, options: HttpServerOptions): Server {
  const limits = options.limits ?? HTTP_LIMITS;
  const adapter = getRequestListener(fetch, { hostname: options.hostname, errorHandler: adapterRefusal });
  const server = createServer(serverOptions(limits), options.front ? options.front(adapter) : adapter);
  guardServer(server, limits, options.log);
  return server;
}

/**
 * Applies the connection cap and answers unparseable requests with the envelope. Call once on
 * the server that `serverOptions(limits)` built.
 */
function guardServer(server: Server, limits: HttpLimits, log: (line: string) => void = () => {}): void {
  server.maxConnections = limits.maxConnections;
  let lastDropLog = 0;
  server.on('drop', () => {
    // One line a minute at most: the flood that causes drops would otherwise fill the log.
    if (Date.now() - lastDropLog < 60_000) return;
    lastDropLog = Date.now();
    log(`connection limit (${limits.maxConnections}) reached: new connections are being dropped`);
  });
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }, socket: Socket) => {
    // As Node's own handler: answer only on a socket that can take it and that is not halfway
    // through another response, which a second status line would corrupt.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      socket.write(clientErrorResponse(err.code, limits, failedRequestIsHead(err.rawPacket, err.bytesParsed)));
    }
    socket.destroy();
  });
}
