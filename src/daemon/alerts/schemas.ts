/** The public JSON shapes of alerts and tombstones (docs/alerts.md), and their query schemas. */
import { z } from '@hono/zod-openapi';
import { iso, PageLimit } from '../http/openapi.js';
import { NAME_MAX, nameSchema } from '../names.js';
import type { AlertRow, TombstoneRow } from '../store.js';
import { ALERT_KINDS } from './kinds.js';

export const AlertSchema = z
  .object({
    id: z.string().openapi({ example: 'alr_4nV8qT2xLm7RbK9cWp3ZsE' }),
    kind: z.enum(ALERT_KINDS),
    state: z.enum(['open', 'acknowledged']),
    keyId: z.string().openapi({ description: 'The key it is about; it may be deleted since' }),
    keyName: z.string().openapi({ description: 'The key’s name when the alert was raised' }),
    caller: z.string().nullable().openapi({ description: 'Who presented the key, as the verify named it (for `key.leaked`: where it was found, `FILE:LINE`); null: no caller given, or one of the callers beyond the 100 a key keeps alerts for' }),
    ip: z.string().nullable().openapi({ description: 'The client address the last verify sent (`ip`), if any' }),
    count: z.number().int().openapi({ description: 'Sightings counted on this alert' }),
    firstSeenAt: z.string().openapi({ format: 'date-time' }),
    lastSeenAt: z.string().openapi({ format: 'date-time' }),
    detail: z.record(z.string(), z.unknown()).openapi({ description: 'What the kind adds: `deletedAt`, `rotationId`, `expiresAt`, or `reason` (and `reportedBy` for a scan\'s report)' }),
    acknowledgedAt: z.string().nullable().openapi({ format: 'date-time' }),
    acknowledgedBy: z.string().nullable(),
  })
  .openapi('Alert');

export type AlertJson = z.infer<typeof AlertSchema>;

export function alertJson(a: AlertRow): AlertJson {
  return {
    id: a.id,
    kind: a.kind,
    state: a.ackedAt === null ? 'open' : 'acknowledged',
    keyId: a.keyId,
    keyName: a.keyName,
    caller: a.caller === '' ? null : a.caller,
    ip: a.ip,
    count: a.count,
    firstSeenAt: iso(a.firstSeenAt),
    lastSeenAt: iso(a.lastSeenAt),
    detail: a.detail,
    acknowledgedAt: iso(a.ackedAt),
    acknowledgedBy: a.ackedBy,
  };
}

export const ALERT_EXAMPLE: AlertJson = {
  id: 'alr_4nV8qT2xLm7RbK9cWp3ZsE',
  kind: 'canary.tripped',
  state: 'open',
  keyId: 'key_8pWq2ZxN4mT7vB1cLk9Rds',
  keyName: 'aws-backup-old',
  caller: 'crawler-7',
  ip: '203.0.113.9',
  count: 41,
  firstSeenAt: '2026-11-30T03:12:09.000Z',
  lastSeenAt: '2026-11-30T03:14:51.000Z',
  detail: {},
  acknowledgedAt: null,
  acknowledgedBy: null,
};

export const AlertsQuery = z.object({
  state: z.enum(['open', 'all']).default('open').openapi({ description: '`open` (the default): not acknowledged yet; `all` adds the acknowledged ones' }),
  limit: PageLimit,
  cursor: z.string().max(200).optional().openapi({ description: 'The `nextCursor` of the page before' }),
  key: nameSchema.optional().openapi({ type: 'string', minLength: 1, maxLength: NAME_MAX, description: 'Only alerts about this key: its id, or its name as the alert recorded it (a deleted key’s too)' }),
});

export const AlertListSchema = z.object({ alerts: z.array(AlertSchema), nextCursor: z.string().nullable() });
export const AlertResponse = z.object({ alert: AlertSchema });

export const TombstoneSchema = z
  .object({
    keyId: z.string(),
    name: z.string(),
    hint: z.string(),
    deletedAt: z.string().openapi({ format: 'date-time' }),
    deletedBy: z.string(),
    rotationId: z.string().nullable().openapi({ description: 'The rotation that replaced the key, if one did' }),
    presentations: z.number().int().openapi({ description: 'Verifications that presented it since it was deleted' }),
    lastPresentedAt: z.string().nullable().openapi({ format: 'date-time', description: 'Last presented (its last sighting flushed, about once a second)' }),
    lastCaller: z.string().nullable(),
    lastIp: z.string().nullable(),
    forgetAt: z.string().openapi({ format: 'date-time', description: 'When keyward forgets it: 365 days after the deletion' }),
  })
  .openapi('Tombstone');

export type TombstoneJson = z.infer<typeof TombstoneSchema>;

export const TOMBSTONE_KEEP_MS = 365 * 24 * 60 * 60_000;

export function tombstoneJson(t: TombstoneRow): TombstoneJson {
  return {
    keyId: t.keyId,
    name: t.name,
    hint: t.hint,
    deletedAt: iso(t.deletedAt),
    deletedBy: t.deletedBy,
    rotationId: t.rotationId,
    presentations: t.presentations,
    lastPresentedAt: iso(t.lastPresentedAt),
    lastCaller: t.lastCaller === '' ? null : t.lastCaller,
    lastIp: t.lastIp,
    forgetAt: iso(t.deletedAt + TOMBSTONE_KEEP_MS),
  };
}

export const TOMBSTONE_EXAMPLE: TombstoneJson = {
  keyId: 'key_3kTMd8p6NxLw0aQvYc1bZe',
  name: 'billing-2024',
  hint: 'kw_AbCd…wXyZ',
  deletedAt: '2026-10-01T12:00:00.000Z',
  deletedBy: 'admin',
  rotationId: null,
  presentations: 3,
  lastPresentedAt: '2026-11-30T08:01:44.902Z',
  lastCaller: 'nightly-export',
  lastIp: null,
  forgetAt: '2027-10-01T12:00:00.000Z',
};

export const TombstonesQuery = z.object({
  limit: PageLimit,
  cursor: z.string().max(200).optional().openapi({ description: 'The `nextCursor` of the page before' }),
});

export const TombstoneListSchema = z.object({ tombstones: z.array(TombstoneSchema), nextCursor: z.string().nullable() });
