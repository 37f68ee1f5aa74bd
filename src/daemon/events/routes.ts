/**
 * `GET /v1/events`: a server-sent event stream of key, rotation and usage changes, with a
 * heartbeat comment so proxies and clients can tell a quiet stream from a dead one.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { requirePermission } from '../http/auth.js';
import { answer, bearer, errors } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { DaemonEvent, EventBus } from './bus.js';
import { EVENT_NAMES } from './schemas.js';

export const HEARTBEAT_MS = 15_000;

function frameOf(event: DaemonEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function eventRoutes(bus: EventBus, heartbeatMs = HEARTBEAT_MS) {
  return routeGroup().openapi(
    createRoute({
      method: 'get', path: '/events', operationId: 'streamEvents', tags: ['events'], security: bearer, middleware: [requirePermission('keys:read')] as const,
      summary: 'Live changes of keys, rotations and operators, and usage ticks',
      description: [
        'Needs `keys:read`. A server-sent event stream that stays open. Each event is one frame, `event: <type>` and `data: <JSON>`, where the JSON is the `Event` schema (its `type` repeats the name). The events:',
        '',
        ...EVENT_NAMES.map((name) => `- \`${name}\``),
        '',
        `A comment line (\`: heartbeat\`) every ${heartbeatMs / 1000} s tells a quiet stream from a dead one.`,
      ].join('\n'),
      responses: {
        200: answer('The stream', {
          'text/event-stream': {
            schema: z.string().openapi({ description: 'Frames `event: <type>` / `data: <Event as JSON>`, each ended by a blank line' }),
            example: `: connected\n\nevent: key.deleted\ndata: {"type":"key.deleted","id":"key_3kTMd8p6NxLw0aQvYc1bZe"}\n\n`,
            // OpenAPI 3.1 has no field for the items of a stream (3.2's itemSchema); this names the schema each frame's data follows.
            'x-event-schema': { $ref: '#/components/schemas/Event' },
          },
        }),
        ...errors({ input: false }),
      },
    }),
    (c) =>
      streamSSE(c, async (stream) => {
        // Frames are queued and written one at a time, so a slow client never interleaves them.
        const queue: string[] = [];
        let wake: (() => void) | undefined;
        const push = (frame: string) => {
          queue.push(frame);
          wake?.();
        };
        const unsubscribe = bus.subscribe((event) => push(frameOf(event)));
        const heartbeat = setInterval(() => push(': heartbeat\n\n'), heartbeatMs);
        const stop = () => {
          unsubscribe();
          clearInterval(heartbeat);
          wake?.();
        };
        stream.onAbort(stop);
        try {
          await stream.write(': connected\n\n');
          while (!stream.aborted && !stream.closed) {
            const frame = queue.shift();
            if (frame !== undefined) await stream.write(frame);
            else await new Promise<void>((resolve) => (wake = resolve));
          }
        } finally {
          stop();
        }
      }),
  );
}
