/**
 * HTTP to the daemon over node:http (node:https for an https address), for the client and a
 * service's link: keep-alive connections, one more try when a reused connection turns out to
 * have been closed, bodies read as text or as a web stream. Not the global fetch: Node 20
 * compiles its undici on a process's first fetch, which made the first request of every CLI
 * command take 78–108 ms against 17 ms here.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';

/** What the client reads of an answer; a fetch `Response` has all of it. */
export type HttpResponse = {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  readonly body: ReadableStream<Uint8Array> | null;
};

export type HttpInit = {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  /** Ends the request, and the body's reading, when it aborts. */
  signal?: AbortSignal;
};

/** How the client sends a request: `httpSend` by default, a fetch (tests pass an app's in-process one) works too. */
export type Transport = (url: string, init: HttpInit) => Promise<HttpResponse>;

/** Connections for one daemon address, kept open between requests. */
export function keepAliveAgent(url: string, options: { maxSockets?: number; timeoutMs?: number } = {}): Promise<HttpAgent | HttpsAgent> {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, timeout: options.timeoutMs };
  if (new URL(url).protocol === 'https:') return import('node:https').then(({ Agent }) => new Agent(agentOptions));
  return Promise.resolve(new HttpAgent(agentOptions));
}

/** The client's own connections, for requests that name no agent. */
const shared = new HttpAgent({ keepAlive: true });

export type SendOptions = {
  agent?: HttpAgent | HttpsAgent;
  /** Bounds a silence on the connection, the answer's body included. */
  timeoutMs?: number;
  /**
   * Bounds the wait for the answer's head, the wait for one of the agent's connections
   * included: a daemon that hangs rather than closes would otherwise let requests queue behind
   * its pool without limit. A timer that destroys the request, not a `signal`, which cost
   * http.request ~10 µs a request.
   */
  deadlineMs?: number;
  /**
   * When a kept connection turns out closed before the request reached the daemon: send it
   * again on a new one (true, the default), fail (false), or first run this (a proof of the
   * daemon; its rejection ends the request). A new connection reaches whatever listens on the
   * port now, which after a daemon stopped may not be the daemon: a caller that proves the
   * daemon must not send its token there unproven.
   */
  retry?: boolean | (() => Promise<void>);
};

/** Sends one request; resolves once the answer's head arrives. `init.signal` bounds the whole. */
export async function httpSend(url: string | URL, init: HttpInit, options: SendOptions = {}): Promise<HttpResponse> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const secure = target.protocol === 'https:';
  const request = secure ? (await import('node:https')).request : httpRequest;
  const requestOptions: RequestOptions = {
    protocol: target.protocol,
    hostname: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port,
    path: target.pathname + target.search,
    method: init.method,
    agent: options.agent ?? (secure ? undefined : shared),
    timeout: options.timeoutMs,
    signal: init.signal,
    headers: init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
  };
  const deadline = options.deadlineMs === undefined ? undefined : performance.now() + options.deadlineMs;
  const attempt = (retry: boolean): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req = request(requestOptions);
      let answered = false;
      const late =
        deadline === undefined ? undefined : setTimeout(() => req.destroy(new Error(`no answer within ${options.deadlineMs} ms`)), Math.max(0, deadline - performance.now()));
      req.once('close', () => clearTimeout(late));
      req.once('response', (res) => {
        answered = true;
        clearTimeout(late);
        resolve(res);
      });
      req.once('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      // After the head, a failure is the body's: its reader hears of it from the response.
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (answered) return;
        if (!retry || !staleSocket(req, err)) return reject(err);
        const before = typeof options.retry === 'function' ? options.retry() : Promise.resolve();
        before.then(() => attempt(false)).then(resolve, reject);
      });
      req.end(init.body);
    });
  return new NodeResponse(await attempt(options.retry !== false));
}

/** An error on a reused connection the daemon had just closed: the request never reached it. */
function staleSocket(req: ClientRequest, err: NodeJS.ErrnoException): boolean {
  return req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
}

/** An answer read from node's message; a class, not an object of closures: a service makes one per verify. */
class NodeResponse implements HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  private stream: ReadableStream<Uint8Array> | undefined;

  constructor(private readonly res: IncomingMessage) {
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    // `headers.get` is this class's own `get`: no second object per answer.
    this.headers = this;
    // Nobody reads an empty body, and an unread answer keeps its connection from the next request.
    if (this.status === 204 || this.status === 304 || res.headers['content-length'] === '0') res.resume();
  }

  get(name: string): string | null {
    const value = this.res.headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  text(): Promise<string> {
    return readText(this.res);
  }

  get body(): ReadableStream<Uint8Array> {
    this.stream ??= Readable.toWeb(this.res) as ReadableStream<Uint8Array>;
    return this.stream;
  }
}

/**
 * The body as text. By hand rather than `text()` of node:stream/consumers, whose async
 * iteration cost 10–18 µs more a request in a loop of keep-alive POSTs: a verify in remote mode
 * reads one of these each time.
 */
function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
  });
}
