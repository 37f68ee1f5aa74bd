/** `GET /v1/audit`: the audit log, newest first. */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, iso, json } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { nameSchema } from '../names.js';
import type { AuditEvent, Store } from '../store.js';

const AuditEventSchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: z.string(),
    operatorId: z.string(),
    operatorName: z.string(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    targetName: z.string(),
    detail: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEvent');

const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  before: z.coerce.number().int().min(1).optional().openapi({ description: 'Only events with a smaller seq (paging)' }),
  action: z
    .string()
    .regex(/^[a-z_]+(\.[a-z_]+)*$/, 'must be an action such as rotation.advance, or a family such as rotation')
    .max(64)
    .optional()
    .openapi({ description: 'Only this action (`key.delete`), or this family of actions (`rotation` = `rotation.*`)' }),
  key: nameSchema.optional().openapi({ type: 'string', description: "Only events about this key (its id or name), its rotations' included" }),
  operator: nameSchema.optional().openapi({ type: 'string', description: 'Only events by this operator (its id or name)' }),
});

export type AuditEventJson = z.infer<typeof AuditEventSchema>;

function parseDetail(detail: string): Record<string, unknown> {
  try {
    return JSON.parse(detail) as Record<string, unknown>;
  } catch {
    // Only a hand-edited row gets here; `keyward audit --verify` names it.
    return { unreadable: detail };
  }
}

export function auditJson(e: AuditEvent): AuditEventJson {
  return { ...e, at: iso(e.at), detail: parseDetail(e.detail) };
}

export function auditRoutes(store: Store) {
  return routeGroup().openapi(
    createRoute({
      method: 'get', path: '/audit', tags: ['audit'], security: bearer, middleware: [requirePermission('keys:read')] as const,
      summary: 'Audit events, newest first, optionally filtered; page with `before` = the last seq you saw',
      request: { query: AuditQuery },
      responses: { 200: json(z.object({ events: z.array(AuditEventSchema) }), 'Events'), ...errors({ body: true }) },
    }),
    async (c) => {
      return c.json({ events: (await store.listAudit(c.req.valid('query'))).map(auditJson) }, 200);
    },
  );
}
