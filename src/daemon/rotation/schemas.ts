/** The public JSON shapes of rotations and their evidence, and the request schemas. */
import { z } from '@hono/zod-openapi';
import { iso } from '../http/openapi.js';
import { NAME_MAX, NAME_RULES, nameSchema } from '../names.js';
import type { RotationRow } from '../store.js';
import { ReasonSchema } from '../keys/schemas.js';
import { REASON_MAX, WATCH_DEFAULT_SECONDS, WATCH_MAX_SECONDS, WATCH_MIN_SECONDS } from '../limits.js';
import { END_STEPS, OPEN_STEPS } from './machine.js';

const StepSchema = z.enum([...OPEN_STEPS, ...END_STEPS]);

const KeyEvidenceSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['active', 'inactive', 'deleted']),
  since: z.string().openapi({ format: 'date-time', description: 'Start of the counting window (counted per minute)' }),
  ok: z.number().int(),
  rejected: z.number().int(),
  lastUsedAt: z.string().nullable().openapi({ format: 'date-time' }),
  callers: z.array(z.object({ caller: z.string(), lastSeenAt: z.string().openapi({ format: 'date-time' }), ok: z.number().int(), rejected: z.number().int() })),
});

const SystemSchema = z.object({
  caller: z.string(),
  oldLastSeenAt: z.string().openapi({ format: 'date-time', description: 'When this caller last presented the old key' }),
  newLastSeenAt: z.string().nullable().openapi({ format: 'date-time', description: 'When it last presented the new key; null if never' }),
});

const WatchSchema = z
  .object({
    seconds: z.number().int().openapi({ description: 'The watch window chosen when the rotation started' }),
    since: z.string().nullable().openapi({ format: 'date-time', description: 'The cut-over the window counts from; null before it' }),
    watchedSeconds: z.number().int().openapi({ description: 'How long traffic has been watched since the cut-over' }),
    passed: z.boolean().openapi({ description: 'Whether the whole window has been watched' }),
  })
  .openapi({ description: 'The watch window after the cut-over (double_check may pass only once it has been watched)' });

export const EvidenceSchema = z
  .object({
    newKey: KeyEvidenceSchema,
    oldKey: KeyEvidenceSchema,
    series: z
      .array(z.object({ start: z.string().openapi({ format: 'date-time' }), newOk: z.number().int(), newRejected: z.number().int(), oldOk: z.number().int(), oldRejected: z.number().int() }))
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
    stepStartedAt: z.string().openapi({ format: 'date-time' }),
    createdAt: z.string().openapi({ format: 'date-time' }),
    createdBy: z.string(),
    watchSeconds: z.number().int().openapi({ description: 'How long double_check watches traffic after the cut-over before it may pass' }),
    deactivateAt: z.string().nullable().optional().openapi({ format: 'date-time', description: 'When the old key was or will be deactivated' }),
    endedAt: z.string().nullable().openapi({ format: 'date-time' }),
    outcome: z.enum(['deleted', 'kept_inactive', 'cancelled']).nullable(),
    evidence: EvidenceSchema,
  })
  .openapi('Rotation');

export type RotationStepName = z.infer<typeof StepSchema>;
export type Evidence = z.infer<typeof EvidenceSchema>;
export type KeyEvidence = z.infer<typeof KeyEvidenceSchema>;
export type SystemJson = z.infer<typeof SystemSchema>;
export type RotationJson = z.infer<typeof RotationSchema>;

const keyEvidenceExample = (id: string, name: string, ok: number, caller: string): KeyEvidence => ({
  id,
  name,
  status: 'active',
  since: '2026-11-30T09:00:00.000Z',
  ok,
  rejected: 0,
  lastUsedAt: ok ? '2026-11-30T09:12:30.000Z' : null,
  callers: ok ? [{ caller, lastSeenAt: '2026-11-30T09:12:30.000Z', ok, rejected: 0 }] : [],
});

export const ROTATION_EXAMPLE: RotationJson = {
  id: 'rot_7QxL2mV9cT4pZ1kWbN8eRs',
  oldKeyId: 'key_3kTMd8p6NxLw0aQvYc1bZe',
  oldKeyName: 'billing',
  newKeyId: 'key_9fHs2LqX0pWc7VbN4tRz1m',
  newKeyName: 'billing-2',
  step: 'verify_new',
  stepStartedAt: '2026-11-30T09:05:00.000Z',
  createdAt: '2026-11-30T09:00:00.000Z',
  createdBy: 'admin',
  watchSeconds: 600,
  deactivateAt: null,
  endedAt: null,
  outcome: null,
  evidence: {
    newKey: keyEvidenceExample('key_9fHs2LqX0pWc7VbN4tRz1m', 'billing-2', 12, 'orders-api'),
    oldKey: keyEvidenceExample('key_3kTMd8p6NxLw0aQvYc1bZe', 'billing', 480, 'orders-api'),
    series: [{ start: '2026-11-30T09:12:00.000Z', newOk: 12, newRejected: 0, oldOk: 40, oldRejected: 0 }],
    systems: {
      yetToSwitch: [{ caller: 'nightly-invoices', oldLastSeenAt: '2026-11-30T02:00:04.000Z', newLastSeenAt: null }],
      switched: [{ caller: 'orders-api', oldLastSeenAt: '2026-11-30T09:12:30.000Z', newLastSeenAt: '2026-11-30T09:12:30.000Z' }],
    },
    watch: { seconds: 600, since: null, watchedSeconds: 0, passed: false },
    canAdvance: true,
    guard: null,
  },
};

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

/** Why an emergency rotation took the old key out at once, when the caller does not say. */
export const EMERGENCY_REASON = 'compromised: emergency rotation';

export const StartRotationBody = z
  .object({
    name: nameSchema
      .optional()
      .openapi({ type: 'string', minLength: 1, maxLength: NAME_MAX, example: 'billing-2', description: `Name of the new key; default: the old name with a suffix. ${NAME_RULES}` }),
    emergency: z
      .boolean()
      .optional()
      .openapi({ description: 'The old key is compromised: deactivate it in the same step as the new key is created, and start at `double_check`' }),
    reason: ReasonSchema.optional().openapi({
      type: 'string',
      maxLength: REASON_MAX,
      description: `With \`emergency\`: why, kept on the old key as its deactivation reason and audited (default "${EMERGENCY_REASON}"); starting with \`leaked\` raises \`key.leaked\``,
      example: 'leaked: pasted in #general',
    }),
    watchSeconds: z
      .number()
      .int()
      .min(WATCH_MIN_SECONDS)
      .max(WATCH_MAX_SECONDS)
      .optional()
      .openapi({ example: 3600, description: `How long double_check watches traffic after the cut-over, in seconds (default ${WATCH_DEFAULT_SECONDS})` }),
  })
  .strict()
  .refine((body) => body.reason === undefined || body.emergency === true, { path: ['reason'], message: 'is taken only with "emergency": true' })
  .openapi('StartRotation');

export const AdvanceBody = z
  .object({
    from: StepSchema.openapi({ description: 'The step you saw; refused with step_changed if it moved' }),
    force: z.boolean().optional().openapi({ description: 'Advance although the guard refuses (recorded in the audit log)' }),
    keepOld: z.boolean().optional().openapi({ description: 'From delete_old: finish with the old key inactive instead of deleting it' }),
    takeOldName: z
      .boolean()
      .optional()
      .openapi({ description: 'From delete_old: once the old key is deleted, the new key takes its name (in the same transaction); not with keepOld' }),
    at: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'From verify_new: deactivate the old key at this time instead of on the next advance', example: '2099-01-01T03:00:00Z' }),
  })
  .strict()
  .openapi('Advance');

export const RotationsQuery = z.object({ state: z.enum(['open', 'all']).default('open') });
export const RotationResponse = z.object({ rotation: RotationSchema });
export const StartedRotationResponse = z.object({ rotation: RotationSchema, secret: z.string() });
export const RotationListResponse = z.object({ rotations: z.array(RotationSchema) });
