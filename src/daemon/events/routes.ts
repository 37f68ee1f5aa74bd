/**
 * `GET /v1/events`: a server-sent event stream of the changes the operator may read, with a
 * heartbeat comment so proxies and clients can tell a quiet stream from a dead one. Which
 * events a stream gets, its caps and its queue are the registry's (streams.ts); this route
 * only writes what the registry queues, one frame at a time.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { answer, bearer, errors } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { sendFrames } from './sse.js';
import type { EventStreams } from './streams.js';

const EVENTS_DESCRIPTION = `Needs \`keys:read\`. A text/event-stream that stays open. Each event is named by its type; its \`data\` is one line of JSON, the whole event (the \`Event\` schema):

- \`key.created\`, \`key.updated\`: \`{"type","key":Key}\`
- \`key.deleted\`: \`{"type","id"}\`
- \`keys.imported\`: \`{"type","count","first":{"id","name"},"last":{"id","name"}}\`: one event for each imported batch, not one for each key
- \`rotation.created\`, \`rotation.updated\`: \`{"type","rotation":Rotation}\`
- \`operator.created\`, \`operator.updated\`: \`{"type","operator":Operator}\`, only to operators with \`operators:manage\`
- \`usage\`: \`{"type","tick":{"at":<ms>,"keys":[{"id","ok","rejected"}]}}\`, at most once a second
- \`alert.raised\`, \`alert.updated\`: \`{"type","alert":Alert}\`: a new alert, or one that counted more sightings (at most once a second) or was acknowledged

Comments (\`: connected\`, \`: heartbeat\`) keep the stream alive. The daemon ends the stream when the operator is disabled, and drops a client that leaves more than 1 MiB of events untaken.`;

export function eventRoutes(streams: EventStreams) {
  return routeGroup().openapi(
    createRoute({
      method: 'get', path: '/events', operationId: 'streamEvents', tags: ['events'], security: bearer, middleware: [requirePermission('keys:read')] as const,
      summary: 'Live changes: key.*, keys.imported, rotation.*, alert.*, operator.* (admins), usage ticks (at most once a second)',
      description: EVENTS_DESCRIPTION,
      responses: {
        200: answer('The stream', {
          'text/event-stream': {
            schema: z.string().openapi({ description: 'Frames `event: <type>` / `data: <Event as JSON>`, each ended by a blank line' }),
            example: `: connected\n\nevent: key.deleted\ndata: {"type":"key.deleted","id":"key_3kTMd8p6NxLw0aQvYc1bZe"}\n\n`,
            // OpenAPI 3.1 has no field for the items of a stream (3.2's itemSchema); this names the schema each frame's data follows.
            'x-event-schema': { $ref: '#/components/schemas/Event' },
          },
        }),
        ...errors({ input: false, tooManyStreams: true }),
      },
    }),
    (c) => {
      const { id, name, role } = c.get('operator');
      // Opened before the response starts, so a refusal is an ordinary JSON error.
      const subscription = streams.open({ id, name, role });
      return sendFrames(c, subscription, () => [{ comment: 'connected' }]);
    },
  );
}
