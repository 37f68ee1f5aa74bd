/**
 * `GET /v1/events`: a server-sent event stream of key, rotation and usage changes, with a
 * heartbeat comment so proxies and clients can tell a quiet stream from a dead one.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { requirePermission } from '../http/auth.js';
import { bearer, errors } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { DaemonEvent, EventBus } from './bus.js';

export const HEARTBEAT_MS = 15_000;

function frameOf(event: DaemonEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function eventRoutes(bus: EventBus, heartbeatMs = HEARTBEAT_MS) {
  return routeGroup().openapi(
    createRoute({
      method: 'get', path: '/events', tags: ['events'], security: bearer, middleware: [requirePermission('keys:read')] as const,
      summary: 'Live changes: key.created, key.updated, key.deleted, rotation.*, usage ticks (at most once a second)',
      responses: {
        200: {
          description: 'A text/event-stream; each event is named by its type and carries JSON',
          content: { 'text/event-stream': { schema: z.string() } },
        },
        ...errors(),
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
