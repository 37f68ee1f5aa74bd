/** `GET /v1/audit`: the audit log, newest first; `GET /v1/audit/verify`: its chain checked. */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, iso, json } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { AuditEvent, Store } from '../store.js';
import type { ChainReport } from './chain.js';

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
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  before: z.coerce.number().int().min(1).optional().openapi({ description: 'Only events with a smaller seq (paging)' }),
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

export function auditRoutes(store: Store, verify: () => Promise<ChainReport>) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/audit', tags: ['audit'], security: bearer, middleware: [requirePermission('keys:read')] as const,
        summary: 'Audit events, newest first; page with `before` = the last seq you saw',
        request: { query: AuditQuery },
        responses: { 200: json(z.object({ events: z.array(AuditEventSchema) }), 'Events'), ...errors({ body: true }) },
      }),
      async (c) => {
        const { limit, before } = c.req.valid('query');
        return c.json({ events: (await store.listAudit(limit, before)).map(auditJson) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/audit/verify', tags: ['audit'], security: bearer, middleware: [requirePermission('keys:read')] as const,
        summary: "Check the whole audit chain against this daemon's home key and checkpoint: edits, insertions, removals, a cut tail",
        responses: { 200: json(AuditVerificationSchema, 'The verdict; `ok: false` names the first event that does not fit'), ...errors() },
      }),
      async (c) => c.json(verificationJson(await verify()), 200),
    );
}
