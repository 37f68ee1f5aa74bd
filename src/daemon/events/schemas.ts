/**
 * The events of `GET /v1/events`: each SSE frame is named by the event's `type` and carries the
 * event as JSON. The bus's type is inferred from these schemas, so what the daemon publishes and
 * what the API document says cannot drift apart.
 */
import { z } from '@hono/zod-openapi';
import { AlertSchema } from '../alerts/schemas.js';
import { OperatorSchema } from '../auth/schemas.js';
import { KeySchema } from '../keys/schemas.js';
import { RotationSchema } from '../rotation/schemas.js';

const UsageTickSchema = z.object({
  at: z.number().int().openapi({ description: 'When the counts were written, in milliseconds since the epoch' }),
  keys: z.array(z.object({ id: z.string(), ok: z.number().int(), rejected: z.number().int() })).openapi({ description: 'Verifications per key since the previous tick' }),
});

const KeyRefSchema = z.object({ id: z.string(), name: z.string() });

export const EventSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.enum(['key.created', 'key.updated']), key: KeySchema }).openapi('KeyEvent', { description: 'A key was created, or its status changed' }),
    z.object({ type: z.enum(['key.deleted']), id: z.string() }).openapi('KeyDeletedEvent', { description: 'A key was deleted' }),
    z
      .object({
        type: z.enum(['keys.imported']),
        count: z.number().int().openapi({ description: 'How many keys the batch imported' }),
        first: KeyRefSchema,
        last: KeyRefSchema,
      })
      .openapi('KeysImportedEvent', { description: 'A batch of keys was imported (`POST /v1/keys/import`): one event a batch, not one a key; a list view reloads what it shows' }),
    z
      .object({ type: z.enum(['key.leaked']), key: KeySchema, reason: z.string() })
      .openapi('KeyLeakedEvent', { description: 'A key was deactivated with a reason that reports a leak (`leaked: FILE:LINE` from `keyward scan --deactivate`)' }),
    z
      .object({ type: z.enum(['rotation.created', 'rotation.updated']), rotation: RotationSchema })
      .openapi('RotationEvent', { description: 'A rotation was started or moved, with its evidence at that moment' }),
    z
      .object({ type: z.enum(['operator.created', 'operator.updated']), operator: OperatorSchema })
      .openapi('OperatorEvent', { description: 'An operator was created or disabled' }),
    z.object({ type: z.enum(['usage']), tick: UsageTickSchema }).openapi('UsageEvent', { description: 'Verification counts, at most once a second while keys are used' }),
    z
      .object({ type: z.enum(['alert.raised', 'alert.updated']), alert: AlertSchema })
      .openapi('AlertEvent', { description: 'An alert was raised, or counted more sightings (at most once a second), or was acknowledged' }),
  ])
  .openapi('Event');

export type DaemonEvent = z.infer<typeof EventSchema>;
