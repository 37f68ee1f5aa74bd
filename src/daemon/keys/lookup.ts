/**
 * `POST /v1/keys/lookup`: what the store knows of secrets by their SHA-256, for `keyward scan`,
 * which hashes what it finds locally so no secret crosses the wire. Keys are answered to any
 * reader. Operator tokens only to an operator who may manage operators: anyone else gets
 * `unknown` for them, exactly as for a hash nobody has, so a reader learns nothing about which
 * tokens exist (see docs/scan.md).
 *
 * Its static path beside `/keys/{id}/…` is more than hono's RegExpRouter can compile, so the app
 * routes with the TrieRouter (measured: ~3 µs more CPU per routed request). Verify is meant to
 * be answered below the router (the node:http fast path), where that does not reach it.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { can } from '../auth/permissions.js';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, json, jsonBody } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { LOOKUP_BATCH } from '../limits.js';
import type { HashMatch, Store } from '../store.js';

export const Sha256 = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a hex SHA-256 (64 characters)')
  .transform((hash) => hash.toLowerCase())
  .openapi({ type: 'string', pattern: '^[0-9a-fA-F]{64}$', example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' });

export const LookupBody = z
  .object({ sha256: z.array(Sha256).min(1).max(LOOKUP_BATCH).openapi({ description: `SHA-256 of each secret, hex; at most ${LOOKUP_BATCH}` }) })
  .strict()
  .openapi('LookupRequest');

export const LookupResultSchema = z
  .object({
    sha256: z.string(),
    state: z.enum(['active', 'inactive', 'deleted', 'unknown']).openapi({
      description: 'A key\'s status (`deleted`: it was deleted but is remembered), an operator\'s (`inactive` once disabled), or `unknown`',
    }),
    kind: z.enum(['key', 'operator']).optional().openapi({ description: 'Absent when `unknown`' }),
    keyId: z.string().optional(),
    operatorId: z.string().optional(),
    name: z.string().optional(),
    canary: z.literal(true).optional().openapi({ description: 'A canary key: planted to be stolen, it never verifies (docs/alerts.md)' }),
  })
  .openapi('LookupResult');

export type LookupResultJson = z.infer<typeof LookupResultSchema>;

/** One answer per hash asked, in the order asked. */
function lookupResults(hashes: readonly string[], matches: readonly HashMatch[]): LookupResultJson[] {
  const byHash = new Map(matches.map((m) => [m.hash, m]));
  return hashes.map((sha256) => {
    const m = byHash.get(sha256);
    if (!m) return { sha256, state: 'unknown' };
    const id = m.kind === 'key' ? { keyId: m.id } : { operatorId: m.id };
    return { sha256, state: m.state, kind: m.kind, ...id, name: m.name, ...(m.canary && { canary: true as const }) };
  });
}

const LOOKUP_EXAMPLE: { results: LookupResultJson[] } = {
  results: [
    { sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', state: 'active', kind: 'key', keyId: 'key_3kTMd8p6NxLw0aQvYc1bZe', name: 'billing' },
    { sha256: '60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752', state: 'unknown' },
  ],
};

export function lookupRoutes(store: Store) {
  return routeGroup().openapi(
    createRoute({
      method: 'post', path: '/keys/lookup', operationId: 'lookupSecrets', tags: ['keys'], security: bearer, middleware: [requirePermission('keys:read')] as const,
      summary: 'What keyward knows of secrets, by their SHA-256 (for leak scanners)',
      description:
        'Needs `keys:read`. Send hashes, never secrets: `keyward scan` hashes what it finds locally. Operator tokens are answered only to operators with `operators:manage`; to anyone else a token\'s hash is `unknown`, like a hash nobody has.',
      request: { body: jsonBody(LookupBody) },
      responses: {
        200: json(z.object({ results: z.array(LookupResultSchema) }), 'One result per hash, in the order asked', LOOKUP_EXAMPLE),
        ...errors({ store: 'read' }),
      },
    }),
    async (c) => {
      const { sha256 } = c.req.valid('json');
      const unique = [...new Set(sha256)];
      const matches = await store.findByHashes(unique, can(c.get('operator').role, 'operators:manage'));
      return c.json({ results: lookupResults(sha256, matches) }, 200);
    },
  );
}
