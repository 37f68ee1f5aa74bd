/**
 * The zod schemas of a key's description, labels and policy (docs/policy.md), as requests
 * send them and `Key` JSON shows them. Every refusal names the field and says what is wrong;
 * lists are returned canonical (CIDRs as networks, duplicates removed).
 */
import { z } from '@hono/zod-openapi';
import { ALLOWED_IPS_MAX, parseRange } from '../../decide/ip.js';
import { SCOPE_MAX_LENGTH, scopeProblem, SCOPES_MAX } from '../../decide/scopes.js';
import { lineSchema, secretProblem } from '../names.js';
import { withThousands } from '../../thousands.js';

const OWNER_MAX = 128;
const DESCRIPTION_MAX = 512;
const META_MAX_BYTES = 4096;
/**
 * Levels of objects and arrays in a meta, itself the first. Verify hands meta to services whose
 * JSON parsers stop at a few hundred or a thousand levels (and JSON.stringify overflows the
 * stack at a few thousand); labels need a handful.
 */
const META_MAX_DEPTH = 8;
const RATE_LIMIT_MAX = 1_000_000;
const RATE_WINDOW_MAX_SECONDS = 86_400;
const QUOTA_MAX = 1_000_000_000_000;
const REFILL_INTERVAL_MAX_SECONDS = 366 * 86_400;

/** A one-line label that null clears. */
const label = (max: number) => lineSchema(max, { notString: 'must be a string (or null to clear it)', empty: 'must not be empty; send null to clear it' });

const unique = <T>(items: T[]): T[] => [...new Set(items)];

const OwnerSchema = label(OWNER_MAX).openapi({ type: 'string', maxLength: OWNER_MAX, description: 'Who the key belongs to (a team, a customer id); verify returns it', example: 'team-orders' });
const DescriptionSchema = label(DESCRIPTION_MAX).openapi({ type: 'string', maxLength: DESCRIPTION_MAX, description: 'What the key is for' });

/**
 * Whether `value` nests objects and arrays more than `max` levels deep (itself the first).
 * Level by level rather than recursively: the value may be nested deeper than the stack goes.
 */
function nestsDeeperThan(value: unknown, max: number): boolean {
  let level = [value];
  for (let depth = 1; ; depth++) {
    const containers = level.filter((v): v is object => typeof v === 'object' && v !== null);
    if (containers.length === 0) return false;
    if (depth > max) return true;
    level = containers.flatMap((c) => Object.values(c));
  }
}

export const MetaSchema = z
  .record(z.string(), z.unknown(), { error: 'must be a JSON object (or null to clear it)' })
  .superRefine((meta, ctx) => {
    // The depth first: JSON.stringify of a deep enough value throws instead of measuring it.
    if (nestsDeeperThan(meta, META_MAX_DEPTH)) return ctx.addIssue({ code: 'custom', message: `must nest objects and arrays at most ${META_MAX_DEPTH} levels deep (meta itself is the first)` });
    const json = JSON.stringify(meta);
    if (Buffer.byteLength(json) > META_MAX_BYTES) return ctx.addIssue({ code: 'custom', message: `must be at most ${META_MAX_BYTES} bytes as JSON` });
    const problem = secretProblem(json);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({ description: `Any JSON object up to 4 KiB, nested at most ${META_MAX_DEPTH} levels deep; verify returns it to the service`, example: { plan: 'pro' } });

export const ScopeSchema = z
  .string({ error: 'must be a string' })
  .superRefine((scope, ctx) => {
    const problem = scopeProblem(scope);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({ type: 'string', minLength: 1, maxLength: SCOPE_MAX_LENGTH, description: 'A scope: `resource:action` segments joined by `:`, optionally ending in `:*`', example: 'orders:write' });

/** A key's scope, shown to every operator and every service verifying it (a verify may still ask for any scope). */
const GrantedScopeSchema = ScopeSchema.superRefine((scope, ctx) => {
  const problem = secretProblem(scope);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const ScopesSchema = z
  .array(GrantedScopeSchema, { error: 'must be a list of scopes (or null for no restriction)' })
  .max(SCOPES_MAX, `must hold at most ${SCOPES_MAX} scopes`)
  .transform(unique)
  .openapi({
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: SCOPE_MAX_LENGTH },
    maxItems: SCOPES_MAX,
    description: 'What the key may do; a trailing `*` segment grants everything below it. `[]`: no scope at all; null: no restriction',
    example: ['orders:read', 'billing:*'],
  });

const CidrSchema = z.string({ error: 'must be a string' }).transform((text, ctx) => {
  const parsed = parseRange(text.trim());
  if ('canonical' in parsed) return parsed.canonical;
  ctx.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});

const AllowedIpsSchema = z
  .array(CidrSchema, { error: 'must be a list of IP addresses or CIDRs (or null for no restriction)' })
  .min(1, 'must not be empty; send null for no restriction, or deactivate the key to refuse every address')
  .max(ALLOWED_IPS_MAX, `must hold at most ${ALLOWED_IPS_MAX} entries`)
  .transform(unique)
  .openapi({ type: 'array', items: { type: 'string' }, minItems: 1, maxItems: ALLOWED_IPS_MAX, description: 'Client addresses allowed to present the key (IPv4/IPv6, CIDR or single address)', example: ['10.0.0.0/8', '2001:db8::/32'] });

const count = (min: number, max: number) =>
  z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${withThousands(max)}`);

export const RateLimitSchema = z
  .object({ limit: count(1, RATE_LIMIT_MAX), windowSeconds: count(1, RATE_WINDOW_MAX_SECONDS) })
  .strict()
  .openapi('RateLimit', { description: 'At most `limit` accepted verifications per sliding `windowSeconds`, per verifying process' });

const RefillSchema = z
  .object({ amount: count(1, QUOTA_MAX), intervalSeconds: count(1, REFILL_INTERVAL_MAX_SECONDS) })
  .strict()
  .openapi('QuotaRefill', { description: 'Every `intervalSeconds` from when the quota was set, `remaining` is set back to `amount`' });

const QuotaInputSchema = z
  .object({ remaining: count(0, QUOTA_MAX), refill: RefillSchema.nullish() })
  .strict()
  .openapi('QuotaInput', { description: 'Setting a quota starts its counting over' });

export const QuotaSchema = z
  .object({
    remaining: z.number().int().openapi({ description: 'Uses left now' }),
    refill: RefillSchema.nullable(),
    nextRefillAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('Quota');

/** The fields a create or an edit may set; null clears (no restriction, no label). */
export const KeyFieldsInput = z.object({
  description: DescriptionSchema.nullish(),
  owner: OwnerSchema.nullish(),
  meta: MetaSchema.nullish(),
  scopes: ScopesSchema.nullish(),
  allowedIps: AllowedIpsSchema.nullish(),
  rateLimit: RateLimitSchema.nullish(),
  quota: QuotaInputSchema.nullish(),
});

export type KeyFieldsInput = z.infer<typeof KeyFieldsInput>;
export type QuotaInput = z.infer<typeof QuotaInputSchema>;
