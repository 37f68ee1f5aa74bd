/** `POST /v1/verify`: the hot path. Validates the body, asks the verifier, never the store. */
import { createRoute, z } from '@hono/zod-openapi';
import { stripUnsafe } from '../../sanitize.js';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { Verifier } from './verifier.js';

const CALLER_MAX = 128;

export const VerifyBody = z
  .object({
    key: z.string().max(512).openapi({ description: 'The API key a client presented', example: 'kw_EXAMPLExxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }),
    caller: z
      .string()
      .max(CALLER_MAX)
      .transform((raw) => stripUnsafe(raw).trim() || undefined)
      .optional()
      .openapi({ type: 'string', maxLength: CALLER_MAX, description: 'Free-text label of who presented it (IP, service name); control characters are removed', example: 'orders-api' }),
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
      method: 'post', path: '/verify', operationId: 'verifyKey', tags: ['verify'], security: bearer, middleware: [requirePermission('keys:verify')] as const,
      summary: 'Check an API key; the answer is a decision, not an error',
      description:
        'Needs `keys:verify` (the `service` role has it). Answered from memory, never from the store: a malformed key or a bad checksum is `malformed` without a lookup; then `not_found`, `inactive`, `expired`. Every decision about a known key counts as usage.',
      request: { body: jsonBody(VerifyBody) },
      responses: { 200: json(VerifyResultSchema, 'The decision', { valid: true, keyId: 'key_3kTMd8p6NxLw0aQvYc1bZe', name: 'billing' }), ...errors() },
    }),
    (c) => {
      const { key, caller } = c.req.valid('json');
      return c.json(verifier.verify(key, caller), 200);
    },
  );
}
