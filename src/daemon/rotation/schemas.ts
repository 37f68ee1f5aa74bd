/** The public JSON shapes of rotations and their evidence, and the request schemas. */
import { z } from '@hono/zod-openapi';
import { iso } from '../http/openapi.js';
import { nameSchema } from '../names.js';
import type { RotationRow } from '../store.js';
import { END_STEPS, OPEN_STEPS, WATCH_DEFAULT_SECONDS, WATCH_MAX_SECONDS, WATCH_MIN_SECONDS } from './machine.js';

const StepSchema = z.enum([...OPEN_STEPS, ...END_STEPS]);

const KeyEvidenceSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['active', 'inactive', 'deleted']),
  since: z.string().openapi({ description: 'Start of the counting window (counted per minute)' }),
  ok: z.number().int(),
  rejected: z.number().int(),
  lastUsedAt: z.string().nullable(),
  callers: z.array(z.object({ caller: z.string(), lastSeenAt: z.string(), ok: z.number().int(), rejected: z.number().int() })),
});

const SystemSchema = z.object({
  caller: z.string(),
  oldLastSeenAt: z.string().openapi({ description: 'When this caller last presented the old key' }),
  newLastSeenAt: z.string().nullable().openapi({ description: 'When it last presented the new key; null if never' }),
});

const WatchSchema = z
  .object({
    seconds: z.number().int().openapi({ description: 'The watch window chosen when the rotation started' }),
    since: z.string().nullable().openapi({ description: 'The cut-over the window counts from; null before it' }),
    watchedSeconds: z.number().int().openapi({ description: 'How long traffic has been watched since the cut-over' }),
    passed: z.boolean().openapi({ description: 'Whether the whole window has been watched' }),
  })
  .openapi({ description: 'The watch window after the cut-over (double_check may pass only once it has been watched)' });

export const EvidenceSchema = z
  .object({
    newKey: KeyEvidenceSchema,
    oldKey: KeyEvidenceSchema,
    series: z
      .array(z.object({ start: z.string(), newOk: z.number().int(), newRejected: z.number().int(), oldOk: z.number().int(), oldRejected: z.number().int() }))
      .openapi({ description: 'Per-minute traffic of both keys over the last 30 minutes' }),
    systems: z
      .object({ yetToSwitch: z.array(SystemSchema), switched: z.array(SystemSchema) })
      .openapi({
        description:
          "The old key's callers (the systems to update), most recently seen first: yet to switch (never seen on the new key) and switched (the same caller label seen on the new key)",
      }),
    watch: WatchSchema,
    canAdvance: z.boolean().openapi({ description: 'Whether advancing now passes the guard without force' }),
    guard: z.string().nullable().openapi({ description: 'Why advancing needs force, or null' }),
  })
  .openapi('Evidence');

export const RotationSchema = z
  .object({
    id: z.string(),
    oldKeyId: z.string(),
    oldKeyName: z.string(),
    newKeyId: z.string(),
    newKeyName: z.string(),
    step: StepSchema,
    stepStartedAt: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    watchSeconds: z.number().int().openapi({ description: 'How long double_check watches traffic after the cut-over before it may pass' }),
    deactivateAt: z.string().nullable().optional().openapi({ description: 'When the old key was or will be deactivated' }),
    endedAt: z.string().nullable(),
    outcome: z.enum(['deleted', 'kept_inactive', 'cancelled']).nullable(),
    evidence: EvidenceSchema,
  })
  .openapi('Rotation');

export type RotationStepName = z.infer<typeof StepSchema>;
export type Evidence = z.infer<typeof EvidenceSchema>;
export type KeyEvidence = z.infer<typeof KeyEvidenceSchema>;
export type SystemJson = z.infer<typeof SystemSchema>;
export type WatchJson = z.infer<typeof WatchSchema>;
export type RotationJson = z.infer<typeof RotationSchema>;

export function rotationJson(r: RotationRow, evidence: Evidence): RotationJson {
  return {
    id: r.id,
    oldKeyId: r.oldKeyId,
    oldKeyName: r.oldKeyName,
    newKeyId: r.newKeyId,
    newKeyName: r.newKeyName,
    step: r.step,
    stepStartedAt: iso(r.stepStartedAt),
    createdAt: iso(r.createdAt),
    createdBy: r.createdBy,
    watchSeconds: Math.round(r.watchMs / 1000),
    deactivateAt: iso(r.deactivateAt),
    endedAt: iso(r.endedAt),
    outcome: r.outcome as RotationJson['outcome'],
    evidence,
  };
}

export const StartRotationBody = z
  .object({
    name: nameSchema.optional().openapi({ type: 'string', description: 'Name of the new key; default: the old name with a suffix' }),
    watchSeconds: z
      .number()
      .int()
      .min(WATCH_MIN_SECONDS)
      .max(WATCH_MAX_SECONDS)
      .optional()
      .openapi({ description: `How long double_check watches traffic after the cut-over (default ${WATCH_DEFAULT_SECONDS})` }),
  })
  .strict();

export const AdvanceBody = z
  .object({
    from: StepSchema.openapi({ description: 'The step you saw; refused with step_changed if it moved' }),
    force: z.boolean().optional().openapi({ description: 'Advance although the guard refuses (recorded in the audit log)' }),
    keepOld: z.boolean().optional().openapi({ description: 'From delete_old: finish with the old key inactive instead of deleting it' }),
    at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'From verify_new: deactivate the old key at this time instead of on the next advance' }),
  })
  .strict()
  .openapi('Advance');

export const RotationsQuery = z.object({ state: z.enum(['open', 'all']).default('open') });
export const RotationResponse = z.object({ rotation: RotationSchema });
export const StartedRotationResponse = z.object({ rotation: RotationSchema, secret: z.string() });
export const RotationListResponse = z.object({ rotations: z.array(RotationSchema) });
