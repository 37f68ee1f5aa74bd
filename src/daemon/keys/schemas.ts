/** The public JSON shapes of keys, and the request schemas that validate key routes. */
import { z } from '@hono/zod-openapi';
import { nextRefillAt } from '../../decide/quota.js';
import { iso, PageLimit, queryIntOr } from '../http/openapi.js';
import { REASON_MAX, USAGE_MINUTES_MAX } from '../limits.js';
import { NAME_MAX, NAME_RULES, nameSchema } from '../names.js';
import { safeText, UNSAFE_CHARS } from '../../sanitize.js';
import { KEY_SORTS, type KeyView } from '../store.js';
import { KeyFieldsInput, MetaSchema, QuotaSchema, RateLimitSchema } from './policy-schemas.js';

export const KeySchema = z
  .object({
    id: z.string().openapi({ example: 'key_3kTMd8p6NxLw0aQvYc1bZe' }),
    name: z.string().openapi({ example: 'billing' }),
    hint: z.string().openapi({ example: 'kw_AbCd…wXyZ' }),
    status: z.enum(['active', 'inactive']),
    createdAt: z.string().openapi({ format: 'date-time' }),
    createdBy: z.string().openapi({ description: 'Name of the operator who created the key' }),
    deactivatedAt: z.string().nullable().openapi({ format: 'date-time' }),
    deactivationReason: z.string().nullable().openapi({ description: 'Why the key was deactivated, as given with the deactivation' }),
    expiresAt: z.string().nullable().openapi({ format: 'date-time' }),
    lastUsedAt: z.string().nullable().openapi({ format: 'date-time', description: 'Last successful verification' }),
    uses24h: z.number().int().openapi({ description: 'Verifications presenting this key in the last 24 hours, accepted or rejected' }),
    description: z.string().nullable(),
    owner: z.string().nullable(),
    meta: MetaSchema.nullable(),
    scopes: z.array(z.string()).nullable().openapi({ description: 'null: no scope restriction' }),
    allowedIps: z.array(z.string()).nullable().openapi({ description: 'null: any client address' }),
    rateLimit: RateLimitSchema.nullable(),
    quota: QuotaSchema.nullable(),
    canary: z.boolean().openapi({ description: 'A canary key: it never verifies, and any presentation answers `not_found` and raises `canary.tripped`. Set at creation, never changed' }),
  })
  .openapi('Key');

export type KeyJson = z.infer<typeof KeySchema>;

export const KEY_EXAMPLE: KeyJson = {
  id: 'key_3kTMd8p6NxLw0aQvYc1bZe',
  name: 'billing',
  hint: 'kw_AbCd…wXyZ',
  status: 'active',
  createdAt: '2026-11-02T09:14:03.120Z',
  createdBy: 'admin',
  deactivatedAt: null,
  deactivationReason: null,
  expiresAt: '2099-12-31T00:00:00.000Z',
  lastUsedAt: '2026-11-30T08:01:44.902Z',
  uses24h: 1532,
  description: 'Invoices for the EU shop',
  owner: 'team-billing',
  meta: { plan: 'pro' },
  scopes: ['billing:*'],
  allowedIps: ['10.0.0.0/8'],
  rateLimit: { limit: 100, windowSeconds: 60 },
  quota: { remaining: 9940, refill: { amount: 10_000, intervalSeconds: 86_400 }, nextRefillAt: '2026-12-01T09:14:03.120Z' },
  canary: false,
};

/** A secret-shaped placeholder: the prefix says what it is, the rest says it is an example. */
export const SECRET_EXAMPLE = 'kw_EXAMPLExxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';

export function keyJson(key: KeyView): KeyJson {
  return {
    id: key.id,
    name: key.name,
    hint: key.hint,
    status: key.status,
    createdAt: iso(key.createdAt),
    createdBy: key.createdBy,
    deactivatedAt: iso(key.deactivatedAt),
    deactivationReason: key.deactivationReason,
    expiresAt: iso(key.expiresAt),
    lastUsedAt: iso(key.lastUsedAt),
    uses24h: key.uses24h,
    description: key.description,
    owner: key.owner,
    meta: key.meta,
    scopes: key.scopes,
    allowedIps: key.allowedIps,
    rateLimit: key.rateLimit,
    quota: key.quota && { remaining: key.quota.remaining, refill: key.quota.refill, nextRefillAt: iso(nextRefillAt(key.quota)) },
    canary: key.canary,
  };
}

const ExpiresAtSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time' })
  .nullish()
  .openapi({ description: 'When verification starts answering `expired`; must be in the future; null: never', example: '2099-12-31T00:00:00Z' });

export const CreateKeyBody = KeyFieldsInput.extend({
  name: nameSchema.openapi({ type: 'string', minLength: 1, maxLength: NAME_MAX, example: 'billing', description: NAME_RULES }),
  expiresAt: ExpiresAtSchema,
  canary: z
    .boolean()
    .optional()
    .openapi({ description: 'A canary key, to plant where a thief would look: it never verifies, and presenting it raises `canary.tripped` (docs/alerts.md). Cannot be changed later' }),
})
  .strict()
  .openapi('CreateKey');

/** Text an operator (or `keyward scan`) gives, at most `max` long: made safe to show, never blank. */
export function shownText(max: number) {
  return z
    .string()
    .max(max)
    .transform((raw) => safeText(raw).trim())
    .refine((text) => text.length > 0, 'must not be blank');
}

/** Why a key was taken out of service. */
export const ReasonSchema = shownText(REASON_MAX);

export const DeactivateBody = z
  .object({
    reason: ReasonSchema
      .optional()
      .openapi({
        type: 'string',
        maxLength: REASON_MAX,
        description: 'Why: kept on the key and audited. A reason starting with `leaked:` reports a leak and raises `key.leaked`. Control characters are removed and secret-shaped text is redacted',
        example: 'leaked: deploy/.env:3',
      }),
  })
  .strict()
  .openapi('Deactivate');

export const EditKeyBody = KeyFieldsInput.extend({
  name: nameSchema.optional().openapi({ type: 'string', minLength: 1, maxLength: NAME_MAX, description: `A new unique name. ${NAME_RULES}`, example: 'billing-eu' }),
  expiresAt: ExpiresAtSchema,
})
  .strict()
  .openapi('EditKey', { description: 'The fields to change; absent ones stay as they are, null clears one' });

export type CreateKeyInput = z.infer<typeof CreateKeyBody>;
export type EditKeyInput = z.infer<typeof EditKeyBody>;

/** A query flag: `true` or `false`, as a URL carries it. */
const flag = (description: string) =>
  z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({ type: 'string', enum: ['true', 'false'], description });

/**
 * Text matched against names, owners and hints, none of which holds a control or format
 * character: such a search can match nothing, and a NUL ends the trigram index's query string
 * early in SQLite (a 500) while PostgreSQL refuses it in any text.
 */
const searchText = (max: number, description: string) =>
  z
    .string()
    .max(max)
    .refine((text) => !UNSAFE_CHARS.test(text), 'must not contain control or invisible formatting characters')
    .optional()
    .openapi({ description });

const cursorParam = (description: string) => z.string().max(400).optional().openapi({ description });

export const ListKeysQuery = z.object({
  status: z.enum(['active', 'inactive']).optional(),
  q: searchText(200, 'Case-insensitive substring of the name'),
  name: searchText(200, "A key's name, whole, ignoring case as names are unique: the one key of that name, by its unique index (how the CLI finds a key given by name)"),
  owner: searchText(128, 'Only keys of this owner (exact match); empty (`owner=`): the keys without one'),
  filter: searchText(200, 'Case-insensitive substring of the name, owner or hint, or a key\'s exact id (what the TUI\'s `/` does); trigram-indexed from three characters on'),
  sort: z.enum(KEY_SORTS).optional().openapi({
    description:
      'The order, each in the direction that reads first: `name` A→Z, `newest` first, most recently used first (`lastUsed`, never-used last), busiest first (`uses24h`), `status` active first, `owner` A→Z (no owner first); ties by name (`newest`: by id). Absent: oldest first, as before sorts existed.',
  }),
  reverse: flag('`true` turns the order round (absent sort and `reverse=true`: newest first)'),
  limit: PageLimit,
  cursor: cursorParam('The keys after this position: a `nextCursor` (or `prevCursor`\'s opposite number) of the same sort and direction'),
  before: cursorParam('The `limit` keys just before this position, still in list order: a `prevCursor` of the same sort and direction'),
  end: flag('`true`: the last `limit` keys of the list, still in list order'),
  counts: flag('`true`: also answer `counts`, how many keys the filters match by status (costs a count of them)'),
});

export const KeyListSchema = z.object({
  keys: z.array(KeySchema),
  nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the page after this one; null when none follows' }),
  prevCursor: z.string().nullable().openapi({ description: 'Pass as `before` for the page before this one; null on the first page' }),
  counts: z
    .object({ total: z.number().int(), active: z.number().int(), inactive: z.number().int() })
    .optional()
    .openapi({ description: 'With `counts=true`: the keys the filters (status, q, owner, filter) match, whatever the page' }),
});
export const KeyResponse = z.object({ key: KeySchema });
export const CreatedKeyResponse = z.object({
  key: KeySchema,
  secret: z.string().openapi({ description: 'The secret, shown this once and never again' }),
});

export const CREATED_KEY_EXAMPLE: z.infer<typeof CreatedKeyResponse> = { key: { ...KEY_EXAMPLE, lastUsedAt: null, uses24h: 0 }, secret: SECRET_EXAMPLE };

export const UsageQuery = z.object({
  minutes: queryIntOr(60, 1, USAGE_MINUTES_MAX),
});

export const CallerSchema = z.object({
  caller: z.string(),
  firstSeenAt: z.string().openapi({ format: 'date-time' }),
  lastSeenAt: z.string().openapi({ format: 'date-time' }),
  ok: z.number().int(),
  rejected: z.number().int(),
});

export const UsageSchema = z
  .object({
    buckets: z.array(z.object({ start: z.string().openapi({ format: 'date-time' }), ok: z.number().int(), rejected: z.number().int() })),
    callers: z.array(CallerSchema),
  })
  .openapi('Usage');

export type UsageJson = z.infer<typeof UsageSchema>;

export const USAGE_EXAMPLE: UsageJson = {
  buckets: [
    { start: '2026-11-30T08:00:00.000Z', ok: 41, rejected: 0 },
    { start: '2026-11-30T08:01:00.000Z', ok: 38, rejected: 2 },
  ],
  callers: [{ caller: 'orders-api', firstSeenAt: '2026-11-02T09:20:11.000Z', lastSeenAt: '2026-11-30T08:01:44.902Z', ok: 51230, rejected: 4 }],
};
