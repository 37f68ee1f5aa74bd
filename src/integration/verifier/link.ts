/**
 * How a service process talks to the daemon: JSON requests over a pool of keep-alive
 * connections (node:http), so a verify or an ack costs no connection set-up, and an event
 * stream on a connection of its own. An address found in `daemon.json` is proven first, as
 * every client does (identity.ts): no token, key or body goes out before the proof, and it is
 * proven again after any request failed to reach it.
 */
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { DaemonUnreachable, errorOfAnswer, KeywardClient } from '../../client/client.js';
import { httpSend, keepAliveAgent, type HttpResponse, type SendOptions } from '../../client/http.js';
import { readEventStream, type StreamEvent } from '../../client/sse.js';

export type LinkOptions = {
  url: string;
  token: string;
  /** For an address from daemon.json: the instance the daemon there must prove (see KeywardClient). */
  identity?: () => string | undefined;
  timeoutMs: number;
  /** Connections kept open to the daemon at most. */
  maxSockets?: number;
};

export class DaemonLink {
  readonly url: string;
  private readonly pool: Promise<HttpAgent | HttpsAgent>;
  /** Each path's URL, parsed once: a verify in remote mode posts to the same one every time. */
  private readonly urls = new Map<string, URL>();
  private readonly prover: KeywardClient | undefined;
  private proven: Promise<void> | undefined;
  /** A closed kept connection is tried again on a new one, proven first when the address came from daemon.json. */
  private readonly retry: SendOptions['retry'];

  constructor(private readonly options: LinkOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.pool = keepAliveAgent(this.url, { maxSockets: options.maxSockets ?? 64, timeoutMs: options.timeoutMs });
    this.prover = options.identity && new KeywardClient({ url: this.url, identity: options.identity, timeoutMs: options.timeoutMs });
    this.retry = this.prover ? () => this.proveAgain() : true;
  }

  /** `POST path` with a JSON body; the parsed answer, or `ApiError` / `DaemonUnreachable`. */
  async post<T>(path: string, body: unknown): Promise<T> {
    await this.prove();
    const headers = { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' };
    let answer: { status: number; text: string };
    try {
      const { timeoutMs } = this.options;
      // The deadline covers the wait for one of the pool's connections too (see httpSend).
      const res = await httpSend(this.urlOf(path), { method: 'POST', headers, body: JSON.stringify(body) }, { agent: await this.pool, timeoutMs, deadlineMs: timeoutMs, retry: this.retry });
      answer = { status: res.status, text: await res.text() };
    } catch (err) {
      this.proven = undefined;
      throw new DaemonUnreachable(this.url, err);
    }
    if (answer.status !== 200) throw errorOfAnswer(answer.status, answer.text);
    return JSON.parse(answer.text) as T;
  }

  /**
   * Reads the event stream at `path` until it ends or `signal` aborts; `onEvent` gets each
   * event. Rejects with `ApiError` when the daemon refuses it, `DaemonUnreachable` when it breaks.
   */
  async stream(path: string, onEvent: (event: StreamEvent) => void, signal: AbortSignal): Promise<void> {
    await this.prove();
    let res: HttpResponse;
    try {
      // Not the pool's: a stream holds its connection for as long as it lasts.
      res = await httpSend(this.url + path, { method: 'GET', headers: { authorization: `Bearer ${this.options.token}`, accept: 'text/event-stream' }, signal }, { retry: this.retry });
    } catch (err) {
      this.proven = undefined;
      if (signal.aborted) return;
      throw new DaemonUnreachable(this.url, err);
    }
    const body = res.status === 200 ? res.body : null;
    if (!body) throw errorOfAnswer(res.status, await res.text());
    try {
      await readEventStream(body, onEvent, signal);
    } catch (err) {
      if (!signal.aborted) throw new DaemonUnreachable(this.url, err);
    } finally {
      // Whatever ended the stream may have ended the daemon: prove the next one again.
      this.proven = undefined;
      await body.cancel().catch(() => {});
    }
  }

  close(): void {
    void this.pool.then((pool) => pool.destroy());
  }

  private urlOf(path: string): URL {
    let url = this.urls.get(path);
    if (!url) this.urls.set(path, (url = new URL(this.url + path)));
    return url;
  }

  private proveAgain(): Promise<void> {
    this.proven = undefined;
    return this.prove();
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
}
