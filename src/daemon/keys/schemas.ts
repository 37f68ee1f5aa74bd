/** The public JSON shapes of keys, and the request schemas that validate key routes. */
import { z } from '@hono/zod-openapi';
import { iso } from '../http/openapi.js';
import { nameSchema } from '../names.js';
import { redactSecrets } from '../secrets/format.js';
import { stripUnsafe } from '../../sanitize.js';
import type { KeyView } from '../store.js';

export const KeySchema = z
  .object({
    id: z.string().openapi({ example: 'key_3kTMd8p6NxLw0aQvYc1bZe' }),
    name: z.string().openapi({ example: 'billing' }),
    hint: z.string().openapi({ example: 'kw_AbCd…wXyZ' }),
    status: z.enum(['active', 'inactive']),
    createdAt: z.string().openapi({ format: 'date-time' }),
    createdBy: z.string().openapi({ description: 'Name of the operator who created the key' }),
    deactivatedAt: z.string().nullable(),
    deactivationReason: z.string().nullable().openapi({ description: 'Why the key was deactivated, as given with the deactivation' }),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().openapi({ description: 'Last successful verification' }),
    uses24h: z.number().int().openapi({ description: 'Verifications presenting this key in the last 24 hours, accepted or rejected' }),
  })
  .openapi('Key');

export type KeyJson = z.infer<typeof KeySchema>;

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
  };
}

export const CreateKeyBody = z
  .object({
    name: nameSchema.openapi({ type: 'string', example: 'billing' }),
    expiresAt: z.iso
      .datetime({ offset: true, error: 'must be an ISO-8601 date-time' })
      .nullish()
      .openapi({ description: 'When verification starts answering `expired`' }),
  })
  .strict()
  .openapi('CreateKey');

export const DeactivateBody = z
  .object({
    reason: z
      .string()
      .max(500)
      .transform((raw) => stripUnsafe(redactSecrets(raw)).trim())
      .refine((reason) => reason.length > 0, 'must not be blank')
      .optional()
      .openapi({
        type: 'string',
        description: 'Why: kept on the key and audited. A reason starting with `leaked:` reports a leak and raises `key.leaked`. Control characters are removed and secret-shaped text is redacted',
        example: 'leaked: deploy/.env:3',
      }),
  })
  .strict()
  .openapi('Deactivate');

export const ListKeysQuery = z.object({
  status: z.enum(['active', 'inactive']).optional(),
  q: z.string().max(200).optional().openapi({ description: 'Case-insensitive substring of the name' }),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: z.string().max(200).optional(),
});

export const KeyListSchema = z.object({ keys: z.array(KeySchema), nextCursor: z.string().nullable() });
export const KeyResponse = z.object({ key: KeySchema });
export const CreatedKeyResponse = z.object({
  key: KeySchema,
  secret: z.string().openapi({ description: 'The secret, shown this once and never again' }),
});

export const UsageQuery = z.object({
  minutes: z.coerce.number().int().min(1).max(43_200).default(60),
});

export const CallerSchema = z.object({
  caller: z.string(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  ok: z.number().int(),
  rejected: z.number().int(),
});

export const UsageSchema = z
  .object({
    buckets: z.array(z.object({ start: z.string(), ok: z.number().int(), rejected: z.number().int() })),
    callers: z.array(CallerSchema),
  })
  .openapi('Usage');

export type UsageJson = z.infer<typeof UsageSchema>;
