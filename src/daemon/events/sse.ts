/**
 * Writes a bounded stream (streams.ts) as server-sent events: first the frames `opening`
 * yields (a greeting, a replica's snapshot), then each frame the stream queues, one at a time,
 * until either side ends it. `opening` is pulled only as fast as the client reads, while the
 * stream's bounded queue takes what happens meanwhile.
 *
 * Between two frames of the opening the event loop turns. A socket that takes each frame at
 * once (a client reading fast, loopback's large buffers) resolves every write in a microtask,
 * so a replica's snapshot of 100,000 keys ran as one task: measured, nine replicas connecting
 * held the daemon's loop for 3.6 s, no verify answered, no heartbeat sent (so replicas already
 * following dropped their streams, and the next narrowing write waited out their leases).
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { EventStream, Frame } from './streams.js';

/** How long the opening may keep the loop before it lets other work run. */
const TURN_AFTER_MS = 5;

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
      let since = performance.now();
      for await (const frame of opening()) {
        if (subscription.closed) return;
        await write(frame);
        // A turn once the opening has had the loop for a few ms: a snapshot chunk takes that
        // alone, while a resumed replica's thousands of small changes go out many a turn.
        if (performance.now() - since >= TURN_AFTER_MS) {
          await turn();
          since = performance.now();
        }
      }
      for (let frame = await subscription.next(); frame; frame = await subscription.next()) await write(frame);
    } finally {
      subscription.close();
    }
  });
}
