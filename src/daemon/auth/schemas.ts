/** The operator routes' schemas: an operator as the API shows it, `/v1/me`, and a new operator. */
import { z } from '@hono/zod-openapi';
import { NAME_MAX, NAME_RULES, nameSchema } from '../names.js';
import { PERMISSIONS, ROLES } from './permissions.js';

export const OperatorSchema = z
  .object({
    id: z.string().openapi({ example: 'op_5nWq8ZrT1xLc3VbK0mYd7e' }),
    name: z.string().openapi({ example: 'ci' }),
    role: z.enum(ROLES),
    createdAt: z.string().openapi({ format: 'date-time' }),
    disabledAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('Operator');

export const MeSchema = z.object({ operator: OperatorSchema.extend({ permissions: z.array(z.enum(PERMISSIONS)) }) });
export type MeJson = z.infer<typeof MeSchema>;

export const CreateOperatorBody = z
  .object({ name: nameSchema.openapi({ type: 'string', minLength: 1, maxLength: NAME_MAX, example: 'ci', description: NAME_RULES }), role: z.enum(ROLES) })
  .strict()
  .openapi('CreateOperator');
