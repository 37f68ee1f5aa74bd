/**
 * `GET /v1/replica` and `POST /v1/replica/ack`: the stream in-process verifiers copy the index
 * from, and their acks — which a plain request gets from the fast routes, below the framework.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { sendFrames } from '../events/sse.js';
import { requirePermission } from '../http/auth.js';
import type { FastRoute } from '../http/fast-routes.js';
import { answer, bearer, errors, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { VERIFY_PERMISSION } from '../verify/routes.js';
import type { ReplicaHub } from './hub.js';
import { AckAnswerSchema, AckBody, ReplicaQuery } from './schemas.js';

/** A replica verifies, so its stream and acks need what verify needs. */
const verify = requirePermission(VERIFY_PERMISSION);
const tags = ['verify'];

const STREAM_DESCRIPTION = `Needs \`keys:verify\`. A text/event-stream for \`keyward/verifier\` and anything that keeps a copy of the verification index (docs/replicas.md). Hashes, policy and marks (canaries, tombstones, keys a rotation cut over), never a secret. Events, each \`data\` one line of JSON:

- \`hello\` \`{"replicaId","epoch","seq","leaseMs","heartbeatMs","ackMs","keys","resumed","marksNarrowing"}\` first (\`marksNarrowing\`: the changes that take access away carry \`narrows: true\`);
- \`snapshot\` \`{"hashes","ids","names","inactive","expiresAt","policies","marks"}\`: chunks of the index as columns (\`hashes\`: the SHA-256 digests back to back, base64; \`inactive\`, \`expiresAt\`, \`policies\`, \`marks\`: \`[position, …]\` of the keys that have them) — absent when resuming;
- \`change\` \`{"seq","key":{id,name,hash,status,expiresAt,policy?,canary?,deletedAt?,rotatedOutBy?},"narrows"?}\` or \`{"seq","removed":id,"narrows"?}\`: on resume the missed ones, then every change as it happens;
- \`ready\` \`{"seq"}\`: the copy is complete as of \`seq\` (snapshot or missed changes all sent);
- \`heartbeat\` \`{"seq"}\` every \`heartbeatMs\`.

A deleted key stays as its tombstone (\`deletedAt\`) for a year; \`removed\` is a tombstone forgotten. Ack with \`POST /v1/replica/ack\` at least every \`ackMs\`, and at once after a change that \`narrows\` (a write waits for it); each \`granted\` answer is a lease of \`leaseMs\` counted from when the ack was sent. A replica whose queue of untaken frames passes 4 MiB is cut off; it reconnects with \`resume\`.`;

export function replicaRoutes(hub: ReplicaHub) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/replica', operationId: 'streamReplica', tags, security: bearer, middleware: [verify] as const,
        summary: 'A copy of the verification index and every change to it, for in-process verifiers',
        description: STREAM_DESCRIPTION,
        request: { query: ReplicaQuery },
        responses: {
          200: answer('The stream', {
            'text/event-stream': {
              schema: z.string().openapi({ description: 'Frames `event: <name>` / `data: <JSON>`, each ended by a blank line' }),
              example: `event: hello\ndata: {"replicaId":"rep_x3Lq9VtB2mNc","epoch":"Qm9vdA","seq":1042,"leaseMs":1000,"heartbeatMs":250,"ackMs":250,"keys":1,"resumed":false,"marksNarrowing":true}\n\nevent: ready\ndata: {"seq":1042}\n\n`,
            },
          }),
          ...errors({ tooManyStreams: true }),
        },
      }),
      (c) => {
        const { id, name, role } = c.get('operator');
        // Opened before the response starts, so a refusal is an ordinary JSON error.
        const { resume, leaseMs } = c.req.valid('query');
        const session = hub.open({ id, name, role }, resume, leaseMs);
        return sendFrames(c, session.stream, session.opening);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/replica/ack', operationId: 'ackReplica', tags, security: bearer, middleware: [verify] as const,
        summary: 'Acknowledge the changes a replica holds, report its usage, renew its lease',
        description:
          'Needs `keys:verify`, as the operator whose stream it acks. Usage is counted as if the daemon had verified (only for keys that exist, times within the last day); it is counted even for a replica the daemon no longer knows. Answered from memory.',
        request: { body: jsonBody(AckBody) },
        responses: {
          200: json(AckAnswerSchema, 'The lease', { lease: 'granted', leaseMs: 1000, now: 1796030043120, seq: 1042, quotas: [] }),
          ...errors(),
        },
      }),
      (c) => c.json(hub.ack(c.get('operator'), c.req.valid('json')), 200),
    );
}

/**
 * The ack as the fast routes answer it: the body read by the route's own schema, the same
 * answer. Every replica acks four times a second, and a write that narrows waits for each
 * replica's ack: through the framework, ten replicas' acks held a deactivation ~3 ms longer.
 */
export function fastAckRoute(hub: ReplicaHub): FastRoute {
  return {
    path: '/v1/replica/ack',
    permission: VERIFY_PERMISSION,
    answer(body, operator) {
      const ack = AckBody.safeParse(body);
      return ack.success ? JSON.stringify(hub.ack(operator, ack.data)) : undefined;
    },
  };
}
