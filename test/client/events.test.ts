/**
 * Issue 12.4: the client reads `/v1/events` as the SSE standard says, whatever the server's
 * line endings, field spacing or chunking. The stream is served through the client's `fetch`
 * seam as exact bytes, so each case is the wire text itself.
 */
import { describe, expect, it } from 'vitest';
import { KeywardClient, type StreamEvent } from '../../src/client/client.js';
import { countTurns } from '../helpers/loop-turns.js';

/** A client whose `/v1/events` answers with `chunks`, one network read each. */
function streaming(chunks: readonly string[]): KeywardClient {
  const encoder = new TextEncoder();
  const fetchStub: typeof fetch = async () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
          controller.close();
        },
      }),
      { headers: { 'content-type': 'text/event-stream' } },
    );
  return new KeywardClient({ url: 'http://127.0.0.1:1', token: 'kwo_x', fetch: fetchStub });
}

async function read(chunks: readonly string[]): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  await streaming(chunks).events((e) => events.push(e), new AbortController().signal);
  return events;
}

const created = { type: 'key.created', key: { id: 'key_1', name: 'a' } };

describe('reading /v1/events', () => {
  it('reads frames with CRLF and with bare CR line endings', async () => {
    const json = JSON.stringify(created);
    expect(await read([`event: key.created\r\ndata: ${json}\r\n\r\n`])).toEqual([{ event: 'key.created', data: created }]);
    // A parser cannot tell a last CR from the first half of a CRLF until the next byte comes.
    expect(await read([`event: key.created\rdata: ${json}\r\r`, ': next\r'])).toEqual([{ event: 'key.created', data: created }]);
  });

  it('joins multi-line data with newlines', async () => {
    const events = await read(['event: key.created\ndata: {"type":"key.created",\ndata: "key":{"id":"key_1","name":"a"}}\n\n']);
    expect(events).toEqual([{ event: 'key.created', data: created }]);
    // "1\n2" is not JSON; glued together the lines would read as 12.
    expect(await read(['data: 1\ndata: 2\n\n', 'data: 3\n\n'])).toEqual([{ event: 'message', data: 3 }]);
  });

  it('takes "data:" without a space, and strips only one space', async () => {
    expect(await read(['event:usage\ndata:{"n":1}\n\n'])).toEqual([{ event: 'usage', data: { n: 1 } }]);
    expect(await read(['data:  "two spaces"\n\n'])).toEqual([{ event: 'message', data: 'two spaces' }]);
  });

  it('skips comments, unknown fields and frames that are not JSON; names unnamed events "message"', async () => {
    const events = await read([': connected\n\n', ': heartbeat\n\n', 'id: 7\nretry: 10\nfoo: bar\ndata: 1\n\n', 'event: x\ndata: not json\n\n', 'event: key.deleted\n\n']);
    expect(events).toEqual([{ event: 'message', data: 1 }]);
  });

  it('reads frames split anywhere across network reads, CRLF included', async () => {
    const wire = `: hi\r\nevent: key.created\r\ndata: ${JSON.stringify(created)}\r\n\r\nevent: key.deleted\r\ndata: {"type":"key.deleted","id":"key_1"}\r\n\r\n`;
    for (const size of [1, 2, 3, 7]) {
      const chunks: string[] = [];
      for (let i = 0; i < wire.length; i += size) chunks.push(wire.slice(i, i + size));
      expect(await read(chunks), `chunks of ${size}`).toEqual([
        { event: 'key.created', data: created },
        { event: 'key.deleted', data: { type: 'key.deleted', id: 'key_1' } },
      ]);
    }
  });

  it('leaves a frame the stream ended in the middle of unread', async () => {
    expect(await read(['data: 1\n\n', 'data: 2\n'])).toEqual([{ event: 'message', data: 1 }]);
  });

  it('turns the event loop between reads: a burst of buffered changes is not one task', async () => {
    // What a replica reads when a large import lands: many reads' worth already buffered.
    const chunks = Array.from({ length: 50 }, (_, i) => `event: change\ndata: {"seq":${i}}\n\n`);
    const { result, turns } = await countTurns(() => read(chunks));
    expect(result).toHaveLength(50);
    expect(turns).toBeGreaterThanOrEqual(25);
  });
});
