/** `POST /v1/verify`: the hot path. Validates the body, asks the verifier, never the store. */
import { createRoute, z } from '@hono/zod-openapi';
import { stripUnsafe } from '../../sanitize.js';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { Verifier } from './verifier.js';

export const VerifyBody = z
  .object({
    key: z.string().max(512).openapi({ description: 'The API key a client presented', example: 'kw_…' }),
    caller: z
      .string()
      .max(128)
      .transform((raw) => stripUnsafe(raw).trim() || undefined)
      .optional()
      .openapi({ type: 'string', description: 'Free-text label of who presented it (IP, service name); control characters are removed' }),
  })
  .openapi('Verify');

const VerifyResultSchema = z
  .union([
    z.object({ valid: z.literal(true), keyId: z.string(), name: z.string() }),
    z.object({ valid: z.literal(false), code: z.enum(['malformed', 'not_found', 'inactive', 'expired']) }),
  ])
  .openapi('VerifyResult');

export function verifyRoutes(verifier: Verifier) {
  return routeGroup().openapi(
    createRoute({
      method: 'post', path: '/verify', tags: ['verify'], security: bearer, middleware: [requirePermission('keys:verify')] as const,
      summary: 'Check an API key; the answer is a decision, not an error',
      request: { body: jsonBody(VerifyBody) },
      responses: { 200: json(VerifyResultSchema, 'The decision'), ...errors({ body: true }) },
    }),
    (c) => {
      const { key, caller } = c.req.valid('json');
      return c.json(verifier.verify(key, caller), 200);
    },
  );
}
