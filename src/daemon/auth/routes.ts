/** `/v1/me` and `/v1/operators…`: who am I, and operator management (admin only). */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, IdParam, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { operatorJson, type OperatorJson, type OperatorService } from './operators.js';
import { permissionsOf } from './permissions.js';
import { CreateOperatorBody, MeSchema, OperatorSchema } from './schemas.js';

const OPERATOR_EXAMPLE: OperatorJson = { id: 'op_5nWq8ZrT1xLc3VbK0mYd7e', name: 'ci', role: 'service', createdAt: '2026-11-02T09:10:00.000Z', disabledAt: null };

const manage = requirePermission('operators:manage');
const tags = ['operators'];

export function operatorRoutes(operators: OperatorService) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/me', operationId: 'getMe', tags, security: bearer,
        summary: 'The operator this token belongs to, with its permissions',
        description: 'Any valid token; answered from memory.',
        responses: {
          200: json(MeSchema, 'The operator', { operator: { ...OPERATOR_EXAMPLE, name: 'admin', role: 'admin', permissions: [...permissionsOf('admin')] } }),
          ...errors({ input: false }),
        },
      }),
      (c) => {
        const op = c.get('operator');
        return c.json({ operator: { ...operatorJson(op), permissions: [...permissionsOf(op.role)] } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/operators', operationId: 'listOperators', tags, security: bearer, middleware: [manage] as const,
        summary: 'List operators',
        description: 'Needs `operators:manage`. Disabled operators are listed too, with `disabledAt`.',
        responses: { 200: json(z.object({ operators: z.array(OperatorSchema) }), 'Operators', { operators: [OPERATOR_EXAMPLE] }), ...errors({ input: false, store: 'read' }) },
      }),
      async (c) => c.json({ operators: (await operators.list()).map(operatorJson) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/operators', operationId: 'createOperator', tags, security: bearer, middleware: [manage] as const,
        summary: 'Create an operator; its token is in this response only',
        description: 'Needs `operators:manage`. The token (`kwo_…`) is stored only as its SHA-256 and never shown again.',
        request: { body: jsonBody(CreateOperatorBody) },
        responses: {
          201: json(z.object({ operator: OperatorSchema, token: z.string() }), 'The operator and its token', {
            operator: OPERATOR_EXAMPLE,
            token: 'kwo_EXAMPLExxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
          }),
          ...errors({ store: 'write', conflicts: ['name_taken'] }),
        },
      }),
      async (c) => {
        const { name, role } = c.req.valid('json');
        const { operator, token } = await operators.create(name, role, c.get('operator'));
        return c.json({ operator: operatorJson(operator), token }, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/operators/{id}/disable', operationId: 'disableOperator', tags, security: bearer, middleware: [manage] as const,
        summary: 'Disable an operator: its token stops working at once',
        description: 'Needs `operators:manage`. The last active admin cannot be disabled (`last_admin`).',
        request: { params: IdParam },
        responses: {
          200: json(z.object({ operator: OperatorSchema }), 'The operator', { operator: { ...OPERATOR_EXAMPLE, disabledAt: '2026-11-30T09:00:00.000Z' } }),
          ...errors({ notFound: true, store: 'write', conflicts: ['last_admin'] }),
        },
      }),
      async (c) => c.json({ operator: operatorJson(await operators.disable(c.req.valid('param').id, c.get('operator'))) }, 200),
    );
}
