/** What the replica routes take and answer (docs/replicas.md). */
import { z } from '@hono/zod-openapi';
import { parseResumeToken } from '../../replica/wire.js';
import { SIGHTING_KINDS } from '../alerts/kinds.js';
import { queryInt } from '../http/openapi.js';
import { CALLER_MAX, cleanCallerLabel } from '../../caller-label.js';
import { OTHER_CALLERS, UNLABELLED_CALLERS } from '../usage/callers.js';
import { CallerLabel, IpAddress } from '../verify/routes.js';

/** More entries than one 64 KiB body can hold: the body limit is the real bound. */
const ENTRIES_MAX = 10_000;

const KeyId = z.string().min(1).max(64).openapi({ example: 'key_3kTMd8p6NxLw0aQvYc1bZe' });
const Count = z.number().int().min(0).max(1_000_000_000);
const Time = z.number().int().min(0).max(8_640_000_000_000_000).openapi({ description: 'Milliseconds since the epoch' });

/**
 * A caller in a usage report, cleaned as a verify's. The rows a replica's own tracker adds up go
 * to the daemon's rows of the same kind: the unlabelled uses (`UNLABELLED_CALLERS`) as they are,
 * and anything else that cleans to nothing, as the callers past the ones it keeps a key
 * (`OTHER_CALLERS`), never dropped as a verify drops an empty label.
 */
const ReportedCaller = z
  .string()
  .max(CALLER_MAX)
  .transform((raw) => (raw === UNLABELLED_CALLERS ? UNLABELLED_CALLERS : (cleanCallerLabel(raw) ?? OTHER_CALLERS)));

const UsageReportSchema = z
  .object({
    buckets: z
      .array(z.object({ keyId: KeyId, minute: z.number().int().min(0).openapi({ description: 'Minutes since the epoch' }), ok: Count, rejected: Count }))
      .max(ENTRIES_MAX),
    callers: z
      .array(
        z.object({
          keyId: KeyId,
          caller: ReportedCaller.openapi({ type: 'string', maxLength: CALLER_MAX, description: 'As `caller` of a verify: control characters are removed; empty: the callers the replica added up past the 1,000 it keeps a key' }),
          at: Time,
          ok: Count,
          rejected: Count,
        }),
      )
      .max(ENTRIES_MAX),
    lastUsed: z.array(z.object({ keyId: KeyId, at: Time })).max(ENTRIES_MAX),
    quotas: z
      .array(
        z.object({
          keyId: KeyId,
          setAt: Time.openapi({ description: 'The quota setting the uses count against (its `setAt`)' }),
          period: Time.openapi({ description: 'The refill period they were taken in (its start)' }),
          used: Count,
        }),
      )
      .max(ENTRIES_MAX),
  })
  .openapi('ReplicaUsage', { description: 'Verifications the replica decided since its last report, counted as the daemon counts its own' });

const SightingsSchema = z
  .array(
    z.object({
      kind: z.enum(SIGHTING_KINDS),
      keyId: KeyId,
      caller: CallerLabel.optional().openapi({ type: 'string', maxLength: CALLER_MAX, description: 'As `caller` of a verify; absent: none given' }),
      ip: IpAddress.optional().openapi({ type: 'string', description: 'The client’s address, when the verify named one' }),
      count: Count.min(1),
      firstSeenAt: Time,
      lastSeenAt: Time,
    }),
  )
  .max(ENTRIES_MAX)
  .openapi({
    description:
      'Presentations of canaries, deleted keys and keys a rotation cut over that the replica answered (docs/alerts.md), by kind, key and caller: the daemon raises or counts their alerts as if it had seen them, for keys its own index marks so',
  });

export const AckBody = z
  .object({
    replicaId: z.string().min(1).max(64).openapi({ description: 'From the stream’s `hello`', example: 'rep_x3Lq9VtB2mNc' }),
    seq: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .openapi({ description: 'The newest change the replica’s copy holds; absent while this stream’s copy is not complete (the ack then only reports usage)' }),
    usage: UsageReportSchema.optional(),
    sightings: SightingsSchema.optional(),
    closing: z.boolean().optional().openapi({ description: 'The replica has stopped answering from its copy and is going away' }),
  })
  .openapi('ReplicaAck');

const StoredQuotaSchema = z.object({
  keyId: KeyId,
  remaining: z.number().int(),
  refill: z.object({ amount: z.number().int(), intervalSeconds: z.number().int() }).nullable(),
  refilledAt: Time,
  setAt: Time,
});

export const AckAnswerSchema = z
  .object({
    lease: z.enum(['granted', 'withheld', 'unknown']).openapi({
      description:
        '`granted`: the lease runs `leaseMs` from when the replica sent this ack; `withheld`: not renewed (the replica is behind a narrowing change, its stream is gone, or the daemon cannot follow its store); `unknown`: no such replica here (the daemon restarted): open a new stream',
    }),
    leaseMs: z.number().int().openapi({ description: '0 unless granted' }),
    now: Time.openapi({ description: 'The daemon’s clock, which expiry and quotas are decided by' }),
    seq: z.number().int().openapi({ description: 'The newest change the daemon has made: a replica that has applied it has seen every write answered before this ack' }),
    quotas: z.array(StoredQuotaSchema).openapi({ description: 'The quotas of the keys whose uses the ack carried, with every process’s uses counted' }),
  })
  .openapi('ReplicaAckAnswer');

export const ReplicaQuery = z.object({
  resume: z
    .string()
    .max(100)
    .refine((token) => parseResumeToken(token) !== undefined, 'must be a resume token: <epoch>.<seq>')
    .optional()
    .openapi({ description: '`<epoch>.<seq>` of the copy the replica holds; the stream resumes after it when it can, else sends a snapshot', example: 'Qm9vdA.1042' }),
  leaseMs: queryInt(100, 60_000)
    .optional()
    .openapi({ description: 'A shorter lease than the daemon’s (never longer): a write waits at most this long for this replica once it falls silent', example: 500 }),
});

export type AckInput = z.infer<typeof AckBody>;
export type AckAnswer = z.infer<typeof AckAnswerSchema>;
/** The ack body as a replica sends it (before the daemon's transforms). */
export type AckRequest = z.input<typeof AckBody>;
