/** `/v1/keys/{id}/rotations` and `/v1/rotations…`: the stepwise replacement of a key. */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, IdParam, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { AdvanceBody, RotationListResponse, RotationResponse, RotationsQuery, StartedRotationResponse, StartRotationBody } from './schemas.js';
import type { RotationService } from './service.js';

const read = requirePermission('keys:read');
const write = requirePermission('keys:write');
const tags = ['rotations'];
const CancelResponse = RotationResponse.extend({ message: z.string() });

export function rotationRoutes(rotations: RotationService) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'post', path: '/keys/{id}/rotations', tags, security: bearer, middleware: [write] as const,
        summary: 'Start replacing a key: creates the new key (secret in this response only)',
        request: { params: IdParam, body: { ...jsonBody(StartRotationBody), required: false } },
        responses: {
          201: json(StartedRotationResponse, 'The rotation at update_systems, and the new secret'),
          ...errors({ body: true, notFound: true, write: true, conflicts: ['rotation_open', 'name_taken'] }),
        },
      }),
      async (c) => {
        const started = await rotations.start(c.req.valid('param').id, c.req.valid('json') ?? {}, c.get('operator'));
        return c.json(started, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/rotations', tags, security: bearer, middleware: [read] as const,
        summary: 'Rotations, newest first',
        request: { query: RotationsQuery },
        responses: { 200: json(RotationListResponse, 'Rotations with evidence'), ...errors({ body: true }) },
      }),
      async (c) => c.json({ rotations: await rotations.list(c.req.valid('query').state === 'open') }, 200),
    )
    .openapi(
      createRoute({
        method: 'get', path: '/rotations/{id}', tags, security: bearer, middleware: [read] as const,
        summary: 'One rotation with live evidence for its step',
        request: { params: IdParam },
        responses: { 200: json(RotationResponse, 'The rotation'), ...errors({ notFound: true }) },
      }),
      async (c) => c.json({ rotation: await rotations.get(c.req.valid('param').id) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/rotations/{id}/advance', tags, security: bearer, middleware: [write] as const,
        summary: 'Move to the next step, if its guard (or force) allows',
        request: { params: IdParam, body: jsonBody(AdvanceBody) },
        responses: {
          200: json(RotationResponse, 'The rotation at its new step'),
          ...errors({ body: true, notFound: true, write: true, conflicts: ['step_changed', 'rotation_guard'] }),
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
        method: 'post', path: '/rotations/{id}/rollback', tags, security: bearer, middleware: [write] as const,
        summary: 'From double_check: reactivate the old key and go back to verify_new',
        request: { params: IdParam },
        responses: { 200: json(RotationResponse, 'The rotation at verify_new'), ...errors({ notFound: true, write: true, conflicts: ['rotation_guard'] }) },
      }),
      async (c) => c.json({ rotation: await rotations.rollback(c.req.valid('param').id, c.get('operator')) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/rotations/{id}/cancel', tags, security: bearer, middleware: [write] as const,
        summary: 'End the rotation, leaving both keys as they are',
        request: { params: IdParam },
        responses: { 200: json(CancelResponse, 'The cancelled rotation and what became of the keys'), ...errors({ notFound: true, write: true, conflicts: ['rotation_guard'] }) },
      }),
      async (c) => {
        const rotation = await rotations.cancel(c.req.valid('param').id, c.get('operator'));
        const { oldKey, newKey } = rotation.evidence;
        const message = `Rotation cancelled; both keys were left as they are: "${oldKey.name}" is ${oldKey.status}, "${newKey.name}" is ${newKey.status}`;
        return c.json({ rotation, message }, 200);
      },
    );
}
