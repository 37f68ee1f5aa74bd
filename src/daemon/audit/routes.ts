/** `GET /v1/audit`: the audit log, newest first. */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, iso, json } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { AuditEvent, Store } from '../store.js';

const AuditEventSchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: z.string().openapi({ format: 'date-time' }),
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
});

export type AuditEventJson = z.infer<typeof AuditEventSchema>;

const AUDIT_EXAMPLE: AuditEventJson = {
  seq: 42,
  id: 'evt_2HcV8qLw5ZrN1xT7mKb0Pd',
  at: '2026-11-30T09:00:00.000Z',
  operatorId: 'op_1aB2cD3eF4gH5iJ6kL7mN8',
  operatorName: 'admin',
  action: 'key.deactivate',
  targetType: 'key',
  targetId: 'key_3kTMd8p6NxLw0aQvYc1bZe',
  targetName: 'billing',
  detail: {},
  prevHash: '9f2c41d7e3b0a85c6d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c',
  hash: '3b8e0f6a2c4d1e5f7a9b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f',
};

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
      method: 'get', path: '/audit', operationId: 'listAudit', tags: ['audit'], security: bearer, middleware: [requirePermission('keys:read')] as const,
      summary: 'Audit events, newest first; page with `before` = the last seq you saw',
      description:
        'Needs `keys:read`. Every change (key, rotation, operator) is an event; each carries the hash of the one before it, so `keyward audit --verify` detects a gap or an edit. Events never hold a secret.',
      request: { query: AuditQuery },
      responses: { 200: json(z.object({ events: z.array(AuditEventSchema) }), 'Events', { events: [AUDIT_EXAMPLE] }), ...errors({ store: 'read' }) },
    }),
    async (c) => {
      const { limit, before } = c.req.valid('query');
      return c.json({ events: (await store.listAudit(limit, before)).map(auditJson) }, 200);
    },
  );
}
