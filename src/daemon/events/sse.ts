/**
 * Writes a bounded stream (streams.ts) as server-sent events: first the frames `opening`
 * yields (a greeting, a replica's snapshot), then each frame the stream queues, one at a time,
 * until either side ends it. `opening` is pulled only as fast as the client reads, while the
 * stream's bounded queue takes what happens meanwhile.
 */
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { EventStream, Frame } from './streams.js';

/** The socket under the request when it came through the node server (not `app.request()`). */
function socketOf(c: Context): { destroy(): void } | undefined {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket;
}

export function sendFrames(c: Context, subscription: EventStream, opening: () => AsyncIterable<Frame> | Iterable<Frame>): Response {
  return streamSSE(c, async (stream) => {
    // A client the registry dropped may not be reading: a write to it would wait forever,
    // so its socket goes, which ends the pending write too.
    subscription.onClose(() => {
      socketOf(c)?.destroy();
      stream.abort();
    });
    stream.onAbort(() => subscription.close());
    const write = (frame: Frame) => ('comment' in frame ? stream.write(`: ${frame.comment}\n\n`) : stream.writeSSE(frame));
    try {
      for await (const frame of opening()) {
        if (subscription.closed) return;
        await write(frame);
      }
      for (let frame = await subscription.next(); frame; frame = await subscription.next()) await write(frame);
    } finally {
      subscription.close();
    }
  });
}
