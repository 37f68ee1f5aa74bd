/** `GET /v1/audit`: the audit log, newest first; `GET /v1/audit/verify`: its chain checked. */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, iso, json, PageLimit, queryInt } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import { NAME_MAX, nameSchema } from '../names.js';
import type { AuditEvent, Store } from '../store.js';
import type { ChainReport } from './chain.js';

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
    signer: z.string().nullable().openapi({ description: "Which home's audit key signed `hash`; null for events from before events were signed" }),
  })
  .openapi('AuditEvent');

const AuditVerificationSchema = z
  .object({
    ok: z.boolean(),
    events: z.number().int(),
    signed: z.number().int().openapi({ description: "Events checked against this daemon's home key" }),
    unsigned: z.number().int().openapi({ description: 'Events from before events were signed, vouched for by the first signed event or the checkpoint' }),
    otherSigners: z.number().int().openapi({ description: 'Events signed by other daemons sharing the store (PostgreSQL): linked, not checkable here' }),
    checkpointSeq: z.number().int().nullable().optional().openapi({ description: 'The event the home checkpoint names (the head last written)' }),
    brokenAt: z.object({ seq: z.number().int(), id: z.string(), action: z.string(), targetName: z.string() }).nullable().optional(),
    reason: z.string().optional(),
  })
  .openapi('AuditVerification');

export type AuditVerificationJson = z.infer<typeof AuditVerificationSchema>;

function verificationJson(report: ChainReport): AuditVerificationJson {
  if (report.ok) return report;
  const { brokenAt: e, ...rest } = report;
  return { ...rest, brokenAt: e && { seq: e.seq, id: e.id, action: e.action, targetName: e.targetName } };
}

const AuditQuery = z.object({
  limit: PageLimit,
  before: queryInt(1).optional().openapi({ description: 'Only events with a smaller seq (paging)' }),
  action: z
    .string()
    .regex(/^[a-z_]+(\.[a-z_]+)*$/, 'must be an action such as rotation.advance, or a family such as rotation')
    .max(64)
    .optional()
    .openapi({ description: 'Only this action (`key.delete`), or this family of actions (`rotation` = `rotation.*`)' }),
  key: nameSchema.optional().openapi({ type: 'string', minLength: 1, maxLength: NAME_MAX, description: "Only events about this key (its id or name), its rotations' included" }),
  operator: nameSchema.optional().openapi({ type: 'string', minLength: 1, maxLength: NAME_MAX, description: 'Only events by this operator (its id or name)' }),
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
  signer: '5d1c0e9b7a3f2e48',
};

const VERIFICATION_EXAMPLE: AuditVerificationJson = { ok: true, events: 42, signed: 42, unsigned: 0, otherSigners: 0, checkpointSeq: 42 };

function parseDetail(detail: string): Record<string, unknown> {
  try {
    return JSON.parse(detail) as Record<string, unknown>;
  } catch {
    // Only a hand-edited row gets here; `keyward audit --verify` names it.
    return { unreadable: detail };
  }
}

function auditJson(e: AuditEvent): AuditEventJson {
  return { ...e, at: iso(e.at), detail: parseDetail(e.detail) };
}

export function auditRoutes(store: Store, verify: () => Promise<ChainReport>) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/audit', operationId: 'listAudit', tags: ['audit'], security: bearer, middleware: [requirePermission('keys:read')] as const,
        summary: 'Audit events, newest first, optionally filtered; page with `before` = the last seq you saw',
        description:
          "Needs `keys:read`. Every change (key, rotation, operator) is an event; each carries an HMAC, keyed by a secret only the daemon's home holds, over the event before it and its own fields, so `keyward audit --verify` detects a gap, an edit or a recomputed chain. Events never hold a secret. `action`, `key` and `operator` filter in the store, so a filtered page is full and `before` continues it exactly.",
        request: { query: AuditQuery },
        responses: { 200: json(z.object({ events: z.array(AuditEventSchema) }), 'Events', { events: [AUDIT_EXAMPLE] }), ...errors({ store: 'read' }) },
      }),
      async (c) => c.json({ events: (await store.listAudit(c.req.valid('query'))).map(auditJson) }, 200),
    )
    .openapi(
      createRoute({
        method: 'get', path: '/audit/verify', operationId: 'verifyAudit', tags: ['audit'], security: bearer, middleware: [requirePermission('keys:read')] as const,
        summary: "Check the whole audit chain against this daemon's home key and checkpoint",
        description:
          'Needs `keys:read`. Walks every event: links, signatures (those of this home\'s key; on a shared PostgreSQL store other daemons\' events are counted in `otherSigners`), and the signed checkpoint the home keeps of the newest event, so edits, insertions, removals, a recomputed chain and a cut tail are all reported. `ok: false` names the first event that does not fit (`brokenAt`, null for a cut tail) and why.',
        responses: { 200: json(AuditVerificationSchema, 'The verdict', VERIFICATION_EXAMPLE), ...errors({ input: false, store: 'read' }) },
      }),
      async (c) => c.json(verificationJson(await verify()), 200),
    );
}
