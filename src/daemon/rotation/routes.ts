/** `/v1/keys/{id}/rotations` and `/v1/rotations…`: the stepwise replacement of a key. */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, IdParam, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { SECRET_EXAMPLE } from '../keys/schemas.js';
import { AdvanceBody, EMERGENCY_REASON, ROTATION_EXAMPLE, RotationListResponse, RotationResponse, RotationsQuery, StartedRotationResponse, StartRotationBody } from './schemas.js';
import type { RotationService } from './service.js';

const read = requirePermission('keys:read');
const write = requirePermission('keys:write');
const tags = ['rotations'];
const CancelResponse = RotationResponse.extend({ message: z.string() });

export function rotationRoutes(rotations: RotationService) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'post', path: '/keys/{id}/rotations', operationId: 'startRotation', tags, security: bearer, middleware: [write] as const,
        summary: 'Start replacing a key: creates the new key (secret in this response only)',
        description:
          'Needs `keys:write`. The rotation starts at `update_systems` with the new key active beside the old one. With `emergency: true` (the old key is compromised) the old key is deactivated in the same step, failing verification from the moment this returns, and the rotation starts at `double_check`. One open rotation per key (`rotation_open`); a canary key is not rotated (`rotation_guard`); without `name` the new key is named after the old one with a unique suffix.',
        request: { params: IdParam, body: { ...jsonBody(StartRotationBody), required: false } },
        responses: {
          201: json(StartedRotationResponse, 'The rotation at update_systems (double_check for an emergency), and the new secret', { rotation: ROTATION_EXAMPLE, secret: SECRET_EXAMPLE }),
          ...errors({ notFound: true, store: 'write', conflicts: ['rotation_open', 'name_taken', 'rotation_guard'] }),
        },
      }),
      async (c) => {
        const { emergency, reason, ...options } = c.req.valid('json') ?? {};
        const cut = emergency ? { reason: reason ?? EMERGENCY_REASON } : undefined;
        const started = await rotations.start(c.req.valid('param').id, options, c.get('operator'), cut);
        return c.json(started, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/rotations', operationId: 'listRotations', tags, security: bearer, middleware: [read] as const,
        summary: 'Rotations, newest first',
        description: 'Needs `keys:read`. Open ones by default; `state=all` adds the completed and cancelled ones.',
        request: { query: RotationsQuery },
        responses: { 200: json(RotationListResponse, 'Rotations with evidence', { rotations: [ROTATION_EXAMPLE] }), ...errors({ store: 'read' }) },
      }),
      async (c) => c.json({ rotations: await rotations.list(c.req.valid('query').state === 'open') }, 200),
    )
    .openapi(
      createRoute({
        method: 'get', path: '/rotations/{id}', operationId: 'getRotation', tags, security: bearer, middleware: [read] as const,
        summary: 'One rotation with live evidence for its step',
        description: 'Needs `keys:read`. The evidence is computed from usage at the time of the request.',
        request: { params: IdParam },
        responses: { 200: json(RotationResponse, 'The rotation', { rotation: ROTATION_EXAMPLE }), ...errors({ notFound: true, store: 'read' }) },
      }),
      async (c) => c.json({ rotation: await rotations.get(c.req.valid('param').id) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/rotations/{id}/advance', operationId: 'advanceRotation', tags, security: bearer, middleware: [write] as const,
        summary: 'Move to the next step, if its guard (or force) allows',
        description:
          'Needs `keys:write`. `from` must be the step the caller saw, so two operators cannot advance twice (`step_changed`); a guard that refuses answers `rotation_guard` with the reason. Advancing from `deactivate_old` deactivates the old key, from `delete_old` deletes it (or keeps it inactive with `keepOld`).',
        request: { params: IdParam, body: jsonBody(AdvanceBody) },
        responses: {
          200: json(RotationResponse, 'The rotation at its new step', { rotation: ROTATION_EXAMPLE }),
          ...errors({ notFound: true, store: 'write', conflicts: ['step_changed', 'rotation_guard'] }),
        },
      }),
      async (c) => {
        const body = c.req.valid('json');
        const request = { ...body, at: body.at ? Date.parse(body.at) : undefined };
        return c.json({ rotation: await rotations.advance(c.req.valid('param').id, request, c.get('operator')) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/rotations/{id}/rollback', operationId: 'rollbackRotation', tags, security: bearer, middleware: [write] as const,
        summary: 'From double_check: reactivate the old key and go back to verify_new',
        description: 'Needs `keys:write`. Only in `double_check`, else `rotation_guard`.',
        request: { params: IdParam },
        responses: {
          200: json(RotationResponse, 'The rotation at verify_new', { rotation: ROTATION_EXAMPLE }),
          ...errors({ notFound: true, store: 'write', conflicts: ['rotation_guard'] }),
        },
      }),
      async (c) => c.json({ rotation: await rotations.rollback(c.req.valid('param').id, c.get('operator')) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/rotations/{id}/cancel', operationId: 'cancelRotation', tags, security: bearer, middleware: [write] as const,
        summary: 'End the rotation, leaving both keys as they are',
        description: 'Needs `keys:write`. A rotation that has already ended answers `rotation_guard`. The message says which state each key was left in.',
        request: { params: IdParam },
        responses: {
          200: json(CancelResponse, 'The cancelled rotation and what became of the keys', {
            rotation: { ...ROTATION_EXAMPLE, step: 'cancelled', endedAt: '2026-11-30T09:40:00.000Z', outcome: 'cancelled' },
            message: 'Rotation cancelled; both keys were left as they are: "billing" is active, "billing-2" is active',
          }),
          ...errors({ notFound: true, store: 'write', conflicts: ['rotation_guard'] }),
        },
      }),
      async (c) => {
        const rotation = await rotations.cancel(c.req.valid('param').id, c.get('operator'));
        const { oldKey, newKey } = rotation.evidence;
        const message = `Rotation cancelled; both keys were left as they are: "${oldKey.name}" is ${oldKey.status}, "${newKey.name}" is ${newKey.status}`;
        return c.json({ rotation, message }, 200);
      },
    );
}
