/**
 * Reading a `text/event-stream` body as the SSE standard says (eventsource-parser): any line
 * ending, `data:` with or without its space, multi-line data joined with newlines, comments
 * and unknown fields ignored, frames split anywhere across reads. Events carry JSON.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One server-sent event: its name and parsed JSON payload. */
export type StreamEvent = { event: string; data: unknown };

/** More than any event the daemon sends (a usage tick naming every key); a stream that buffers more is not a daemon's. */
const MAX_EVENT_CHARS = 64 * 1024 * 1024;

/**
 * Reads `body` until it ends or `signal` aborts; throws when the read fails or one event grows
 * past any daemon's.
 */
export async function readEventStream(body: ReadableStream<Uint8Array>, onEvent: (event: StreamEvent) => void, signal: AbortSignal): Promise<void> {
  let overflow: Error | undefined;
  const parser = createParser({
    onEvent: (message) => {
      const event = streamEvent(message);
      if (event) onEvent(event);
    },
    // Unknown fields and bad `retry` values are ignored, as the standard says; only an endless
    // line or event ends the read.
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') overflow = err;
    },
    maxBufferSize: MAX_EVENT_CHARS,
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  // fetch ends the body on abort by itself; a response made in-process (tests) needs telling.
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      if (overflow) throw overflow;
      // Reads already buffered resolve in microtasks: without a turn, a replica applying the
      // changes of a large import held its service's loop up to 132–156 ms (28–47 ms with it).
      await turn();
    }
  } finally {
    signal.removeEventListener('abort', cancel);
    cancel();
  }
}

/**
 * An event as the daemon sends it: JSON in `data`, named by `event` ("message" when unnamed,
 * as EventSource has it). A frame whose data is not JSON is skipped, as a browser ignores
 * events it has no listener for.
 */
function streamEvent(message: EventSourceMessage): StreamEvent | undefined {
  if (message.data === '') return undefined;
  try {
    return { event: message.event ?? 'message', data: JSON.parse(message.data) as unknown };
  } catch {
    return undefined;
  }
}
