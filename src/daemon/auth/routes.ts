/** `/v1/me` and `/v1/operators…`: who am I, and operator management (admin only). */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, IdParam, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { nameSchema } from '../names.js';
import { operatorJson, type OperatorService } from './operators.js';
import { PERMISSIONS, permissionsOf, ROLES } from './permissions.js';

const OperatorSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: z.string(),
    disabledAt: z.string().nullable(),
  })
  .openapi('Operator');

export type MeJson = z.infer<typeof MeSchema>;

const MeSchema = z.object({ operator: OperatorSchema.extend({ permissions: z.array(z.enum(PERMISSIONS)) }) });
const CreateOperatorBody = z.object({ name: nameSchema.openapi({ type: 'string' }), role: z.enum(ROLES) }).strict().openapi('CreateOperator');

const manage = requirePermission('operators:manage');
const tags = ['operators'];

export function operatorRoutes(operators: OperatorService) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/me', tags, security: bearer,
        summary: 'The operator this token belongs to, with its permissions',
        responses: { 200: json(MeSchema, 'The operator'), ...errors() },
      }),
      (c) => {
        const op = c.get('operator');
        return c.json({ operator: { ...operatorJson(op), permissions: [...permissionsOf(op.role)] } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/operators', tags, security: bearer, middleware: [manage] as const,
        summary: 'List operators',
        responses: { 200: json(z.object({ operators: z.array(OperatorSchema) }), 'Operators'), ...errors() },
      }),
      async (c) => c.json({ operators: (await operators.list()).map(operatorJson) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/operators', tags, security: bearer, middleware: [manage] as const,
        summary: 'Create an operator; its token is in this response only',
        request: { body: jsonBody(CreateOperatorBody) },
        responses: {
          201: json(z.object({ operator: OperatorSchema, token: z.string() }), 'The operator and its token'),
          ...errors({ body: true, write: true, conflicts: ['name_taken'] }),
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
        method: 'post', path: '/operators/{id}/disable', tags, security: bearer, middleware: [manage] as const,
        summary: 'Disable an operator: its token stops working at once',
        request: { params: IdParam },
        responses: { 200: json(z.object({ operator: OperatorSchema }), 'The operator'), ...errors({ notFound: true, write: true, conflicts: ['last_admin'] }) },
      }),
      async (c) => c.json({ operator: operatorJson(await operators.disable(c.req.valid('param').id, c.get('operator'))) }, 200),
    );
}
