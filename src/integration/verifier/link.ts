/**
 * How a service process talks to the daemon: JSON requests over a pool of keep-alive
 * connections (node:http), so a verify or an ack costs no connection set-up, and an event
 * stream on a connection of its own. An address found in `daemon.json` is proven first, as
 * every client does (identity.ts): no token, key or body goes out before the proof, and it is
 * proven again after any request failed to reach it.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { ApiError, DaemonUnreachable, KeywardClient } from '../../client/client.js';
import { readEventStream, type StreamEvent } from '../../client/sse.js';
import type { ErrorBody } from '../../daemon/errors.js';

export type LinkOptions = {
  url: string;
  token: string;
  /** For an address from daemon.json: the instance the daemon there must prove (see KeywardClient). */
  identity?: () => string | undefined;
  timeoutMs: number;
  /** Connections kept open to the daemon at most. */
  maxSockets?: number;
};

type Answer = { status: number; text: string };

/** An error reaching the daemon on a reused connection it had just closed: worth one more try. */
function staleSocket(req: ClientRequest, err: NodeJS.ErrnoException): boolean {
  return req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
}

function failure(answer: Answer): ApiError {
  let error: Partial<ErrorBody['error']> | undefined;
  try {
    error = (JSON.parse(answer.text) as Partial<ErrorBody>).error;
  } catch {
    // not the envelope: the status is all there is to tell
  }
  return new ApiError(answer.status, error?.code ?? 'internal', error?.message ?? `the daemon answered HTTP ${answer.status}`, error?.issues, error?.requestId);
}

export class DaemonLink {
  readonly url: string;
  private readonly base: URL;
  private readonly request: typeof httpRequest;
  private readonly pool: HttpAgent;
  private readonly prover: KeywardClient | undefined;
  private proven: Promise<void> | undefined;

  constructor(private readonly options: LinkOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.base = new URL(this.url);
    const secure = this.base.protocol === 'https:';
    this.request = secure ? httpsRequest : httpRequest;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, timeout: options.timeoutMs };
    this.pool = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.prover = options.identity && new KeywardClient({ url: this.url, identity: options.identity, timeoutMs: options.timeoutMs });
  }

  /** `POST path` with a JSON body; the parsed answer, or `ApiError` / `DaemonUnreachable`. */
  async post<T>(path: string, body: unknown): Promise<T> {
    await this.prove();
    const payload = JSON.stringify(body);
    let answer: Answer;
    try {
      answer = await this.send(path, payload, true);
    } catch (err) {
      this.proven = undefined;
      throw new DaemonUnreachable(this.url, err);
    }
    if (answer.status !== 200) throw failure(answer);
    return JSON.parse(answer.text) as T;
  }

  /**
   * Reads the event stream at `path` until it ends or `signal` aborts; `onEvent` gets each
   * event. Rejects with `ApiError` when the daemon refuses it, `DaemonUnreachable` when it breaks.
   */
  async stream(path: string, onEvent: (event: StreamEvent) => void, signal: AbortSignal): Promise<void> {
    await this.prove();
    let res: IncomingMessage;
    try {
      res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = this.request({ ...this.target(path), method: 'GET', headers: { authorization: `Bearer ${this.options.token}`, accept: 'text/event-stream' }, signal });
        req.once('response', resolve);
        req.once('error', reject);
        req.end();
      });
    } catch (err) {
      this.proven = undefined;
      if (signal.aborted) return;
      throw new DaemonUnreachable(this.url, err);
    }
    if (res.statusCode !== 200) throw failure({ status: res.statusCode ?? 0, text: await text(res) });
    try {
      await readEventStream(Readable.toWeb(res) as ReadableStream<Uint8Array>, onEvent, signal);
    } catch (err) {
      if (!signal.aborted) throw new DaemonUnreachable(this.url, err);
    } finally {
      // Whatever ended the stream may have ended the daemon: prove the next one again.
      this.proven = undefined;
      res.destroy();
    }
  }

  close(): void {
    this.pool.destroy();
  }

  private prove(): Promise<void> {
    if (!this.prover) return Promise.resolve();
    this.proven ??= this.prover.health().then(
      () => undefined,
      (err: unknown) => {
        this.proven = undefined;
        throw err;
      },
    );
    return this.proven;
  }

  private target(path: string): RequestOptions {
    return { protocol: this.base.protocol, hostname: this.base.hostname.replace(/^\[|\]$/g, ''), port: this.base.port, path: this.base.pathname.replace(/\/$/, '') + path };
  }

  private send(path: string, payload: string, retry: boolean): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = this.request({
        ...this.target(path),
        method: 'POST',
        agent: this.pool,
        timeout: this.options.timeoutMs,
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      });
      req.once('response', (res) => text(res).then((body) => resolve({ status: res.statusCode ?? 0, text: body }), reject));
      req.once('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      req.once('error', (err: NodeJS.ErrnoException) => (retry && staleSocket(req, err) ? this.send(path, payload, false).then(resolve, reject) : reject(err)));
      req.end(payload);
    });
  }
}

function text(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
  });
}
