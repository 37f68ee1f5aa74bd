/** `POST /v1/verify`: the hot path. Validates the body, asks the verifier, never the store. */
import { createRoute, z } from '@hono/zod-openapi';
import { IP_MAX, parseAddress } from '../../decide/ip.js';
import { SCOPES_MAX } from '../../decide/scopes.js';
import { KEY_MAX } from '../../decide/verify.js';
import { CALLER_MAX, cleanCallerLabel } from '../../caller-label.js';
import type { Permission } from '../auth/permissions.js';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { MetaSchema, ScopeSchema } from '../keys/policy-schemas.js';
import type { Verifier } from './verifier.js';

/** What verify needs, on the full route and below the framework (fast-path.ts) alike. */
export const VERIFY_PERMISSION = 'keys:verify' satisfies Permission;

/** A caller label as a client sends it, kept as `cleanCallerLabel` cleans it. */
export const CallerLabel = z.string().max(CALLER_MAX).transform(cleanCallerLabel);

/** A client's address as a verify names it. */
export const IpAddress = z
  .string()
  .max(IP_MAX)
  .refine((ip) => parseAddress(ip) !== undefined, 'must be an IPv4 (four-part decimal) or IPv6 address');

export const VerifyBody = z
  .object({
    key: z.string().max(KEY_MAX).openapi({ description: 'The API key a client presented', example: 'kw_EXAMPLExxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }),
    caller: CallerLabel.optional().openapi({
      type: 'string',
      maxLength: CALLER_MAX,
      description: 'Free-text label of who presented it (IP, service name); control characters are removed',
      example: 'orders-api',
    }),
    scope: z
      .union([ScopeSchema, z.array(ScopeSchema).max(SCOPES_MAX, `must hold at most ${SCOPES_MAX} scopes`)], { error: 'must be a scope or a list of scopes' })
      .optional()
      .openapi({ description: 'Scopes the request needs, all of them; checked against the key’s scopes', example: 'orders:write' }),
    ip: IpAddress.optional().openapi({ description: 'The client’s address, checked against the key’s allowed IPs', example: '192.0.2.10' }),
  })
  // A misspelt field (`scopes`, `IP`) would otherwise be dropped, and with it the check it asked for.
  .strict()
  .openapi('Verify');

const RateLimitStateSchema = z
  .object({
    limit: z.number().int(),
    windowSeconds: z.number().int(),
    remaining: z.number().int().openapi({ description: 'Verifications left in the sliding window' }),
    resetSeconds: z.number().int().openapi({ description: 'Seconds until the current window ends' }),
  })
  .openapi('RateLimitState', { description: 'A key’s rate limit and where its sliding window stands' });

const VerifyResultSchema = z
  .union([
    z.object({
      valid: z.literal(true),
      keyId: z.string(),
      name: z.string(),
      owner: z.string().nullable(),
      meta: MetaSchema.nullable(),
      scopes: z.array(z.string()).nullable().openapi({ description: 'The key’s scopes; null: no restriction' }),
      rateLimit: RateLimitStateSchema.optional().openapi({ description: 'Present when the key has a rate limit' }),
      quota: z.object({ remaining: z.number().int() }).optional().openapi({ description: 'Present when the key has a quota' }),
    }),
    z.object({ valid: z.literal(false), code: z.enum(['malformed', 'not_found', 'inactive', 'expired', 'ip_not_allowed', 'insufficient_scope']) }),
    z.object({
      valid: z.literal(false),
      code: z.literal('rate_limited'),
      retryAfterSeconds: z.number().int().openapi({ description: 'Seconds until one more verification fits the window' }),
      rateLimit: RateLimitStateSchema,
    }),
    z.object({
      valid: z.literal(false),
      code: z.literal('quota_exhausted'),
      retryAfterSeconds: z.number().int().optional().openapi({ description: 'Seconds until the quota refills; absent without a refill' }),
    }),
  ])
  .openapi('VerifyResult');

export function verifyRoutes(verifier: Verifier) {
  return routeGroup().openapi(
    createRoute({
      method: 'post', path: '/verify', operationId: 'verifyKey', tags: ['verify'], security: bearer, middleware: [requirePermission(VERIFY_PERMISSION)] as const,
      summary: 'Check an API key; the answer is a decision, not an error',
      description:
        'Needs `keys:verify` (the `service` role has it). Answered from memory, never from the store, checking in this order: a `kw_` key of the wrong shape or with a bad checksum, an empty key or an operator token is `malformed` without a lookup (a key of any other format, an imported one, is looked up by its SHA-256); then `not_found`, `inactive`, `expired`; then the key’s policy: `ip_not_allowed`, `insufficient_scope`, `rate_limited`, `quota_exhausted`. Only an accepted verify counts against the rate limit and quota; every decision about a known key counts as usage.',
      request: { body: jsonBody(VerifyBody) },
      responses: {
        200: json(VerifyResultSchema, 'The decision', {
          valid: true,
          keyId: 'key_3kTMd8p6NxLw0aQvYc1bZe',
          name: 'billing',
          owner: 'team-billing',
          meta: { plan: 'pro' },
          scopes: ['billing:*'],
          rateLimit: { limit: 100, windowSeconds: 60, remaining: 42, resetSeconds: 17 },
        }),
        ...errors(),
      },
    }),
    (c) => {
      const { caller, ...request } = c.req.valid('json');
      return c.json(verifier.verify(request, caller, c.get('startedAt')), 200);
    },
  );
}
