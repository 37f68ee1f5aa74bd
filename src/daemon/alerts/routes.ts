/**
 * `/v1/alerts…` (read them, acknowledge one) and `/v1/tombstones` (deleted keys remembered for
 * a year, with who presented them since): what keyward noticed, docs/alerts.md.
 */
import { createRoute } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, IdParam, json } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { KeyService } from '../keys/service.js';
import { ALERT_EXAMPLE, AlertListSchema, AlertResponse, AlertsQuery, TOMBSTONE_EXAMPLE, TombstoneListSchema, TombstonesQuery, tombstoneJson } from './schemas.js';
import type { AlertService } from './service.js';

const read = requirePermission('keys:read');
const write = requirePermission('keys:write');

export function alertRoutes(alerts: AlertService, keys: KeyService) {
  return routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/alerts', operationId: 'listAlerts', tags: ['alerts'], security: bearer, middleware: [read] as const,
        summary: 'Alerts, the most recently seen first: open ones, or all',
        description:
          'Needs `keys:read`. Kinds: `canary.tripped`, `deleted_key.presented`, `old_key.presented_after_cutover`, `key.expiring`, `key.leaked`. One alert is open per kind, key and caller; more sightings add to its `count` and `lastSeenAt`. Sightings from verify are written about once a second; this read includes those not written yet.',
        request: { query: AlertsQuery },
        responses: { 200: json(AlertListSchema, 'A page of alerts', { alerts: [ALERT_EXAMPLE], nextCursor: null }), ...errors({ store: 'read' }) },
      }),
      async (c) => {
        const { state, limit, cursor, key } = c.req.valid('query');
        return c.json(await alerts.list({ openOnly: state === 'open', limit, cursor, key }), 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/alerts/{id}/ack', operationId: 'ackAlert', tags: ['alerts'], security: bearer, middleware: [write] as const,
        summary: 'Acknowledge an alert',
        description:
          'Needs `keys:write`. Audited (`alert.ack`). An acknowledged alert is answered as it is. After it, the same kind, key and caller raise a new alert after an hour for presentations and `key.leaked` (until then they count on this one), never again for `key.expiring` of the same expiry.',
        request: { params: IdParam },
        responses: {
          200: json(AlertResponse, 'The alert, acknowledged', { alert: { ...ALERT_EXAMPLE, state: 'acknowledged', acknowledgedAt: '2026-11-30T09:00:00.000Z', acknowledgedBy: 'admin' } }),
          ...errors({ notFound: true, store: 'write' }),
        },
      }),
      async (c) => c.json({ alert: await alerts.ack(c.req.valid('param').id, c.get('operator')) }, 200),
    )
    .openapi(
      createRoute({
        method: 'get', path: '/tombstones', operationId: 'listTombstones', tags: ['keys'], security: bearer, middleware: [read] as const,
        summary: 'Deleted keys, remembered for 365 days, with who presented them since',
        description:
          'Needs `keys:read`. The most recently deleted first, paged like the key list. A deleted key presented to verify answers `not_found` (as an unknown key does), is counted here and raises `deleted_key.presented` (or `old_key.presented_after_cutover` when a rotation replaced it).',
        request: { query: TombstonesQuery },
        responses: { 200: json(TombstoneListSchema, 'A page of tombstones', { tombstones: [TOMBSTONE_EXAMPLE], nextCursor: null }), ...errors({ store: 'read' }) },
      }),
      async (c) => {
        const page = await keys.tombstones(c.req.valid('query'));
        return c.json({ tombstones: page.tombstones.map(tombstoneJson), nextCursor: page.nextCursor }, 200);
      },
    );
}
