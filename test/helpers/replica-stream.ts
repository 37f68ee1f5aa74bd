/**
 * A hand-driven replica for route tests: opens `GET /v1/replica` through a test daemon's
 * `fetch`, keeps every event it reads, and acks when the test says so.
 */
import { expect, vi } from 'vitest';
import { readEventStream, type StreamEvent } from '../../src/client/sse.js';
import type { AckAnswer, AckRequest } from '../../src/daemon/replica/schemas.js';
import type { Hello } from '../../src/replica/wire.js';
import type { TestDaemon } from './daemon.js';
import type { OpenDaemon } from '../../src/daemon/main.js';

export type HandReplica = {
  events: StreamEvent[];
  /** Resolves when the daemon ends the stream (or the test closes it). */
  ended: Promise<void>;
  /** The raw frames' data, for what must never be in them. */
  text(): string;
  hello(): Promise<Hello>;
  /** The first event named `name` that `match` accepts, once it has come. */
  next<T = unknown>(name: string, match?: (data: T) => boolean): Promise<T>;
  ack(body: Omit<AckRequest, 'replicaId'>): Promise<AckAnswer>;
  close(): void;
};

export async function handReplica(t: TestDaemon<OpenDaemon>, token: string, query = ''): Promise<HandReplica> {
  const abort = new AbortController();
  const res = await t.fetch(`${t.url}/v1/replica${query}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  expect(res.status, await (res.status === 200 ? '' : res.clone().text())).toBe(200);
  const events: StreamEvent[] = [];
  const ended = readEventStream(res.body!, (event) => events.push(event), abort.signal).catch(() => undefined);
  const next = <T>(name: string, match: (data: T) => boolean = () => true): Promise<T> =>
    vi.waitFor(
      () => {
        const found = events.find((e) => e.event === name && match(e.data as T));
        if (!found) throw new Error(`no ${name} event yet (${events.map((e) => e.event).join(', ')})`);
        return found.data as T;
      },
      { timeout: 5000, interval: 5 },
    );
  const replica: HandReplica = {
    events,
    ended,
    text: () => events.map((e) => JSON.stringify(e.data)).join('\n'),
    hello: () => next<Hello>('hello'),
    next,
    async ack(body) {
      const { replicaId } = await replica.hello();
      const answer = await t.fetch(`${t.url}/v1/replica/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ replicaId, ...body }),
      });
      expect(answer.status).toBe(200);
      return (await answer.json()) as AckAnswer;
    },
    close: () => abort.abort(),
  };
  return replica;
}
