/**
 * What `POST /v1/keys/import` accepts (docs/import.md): up to `IMPORT_BATCH` keys, each by its
 * secret or by the SHA-256 of it, with the fields a create takes. A secret is hashed the moment
 * it is validated and goes no further: no message here quotes one.
 */
import { z } from '@hono/zod-openapi';
import { isWellFormed, KEY_PREFIX, OPERATOR_TOKEN_PREFIX } from '../secrets/format.js';
import { IMPORT_BATCH } from '../limits.js';
import { CreateKeyBody } from './schemas.js';
import { withThousands } from '../../thousands.js';


/** Shorter than this, a secret can be guessed; longer, no HTTP header would carry it (verify takes 512). */
const SECRET_MIN = 16;
const SECRET_MAX = 512;
/** Printable ASCII without spaces: what an `Authorization` or `X-API-Key` header carries intact. */
const SECRET_CHARS = /^[\x21-\x7e]+$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;

/** Why `secret` cannot be imported, or undefined. Never quotes the secret. */
function secretProblem(secret: string): string | undefined {
  if (secret.length < SECRET_MIN || secret.length > SECRET_MAX) return `must be ${SECRET_MIN}–${SECRET_MAX} characters long (it is ${secret.length})`;
  if (!SECRET_CHARS.test(secret)) return 'must be printable ASCII without spaces, as an HTTP header carries it';
  if (secret.startsWith(OPERATOR_TOKEN_PREFIX)) return 'is an operator token (kwo_…), which is never an API key';
  if (secret.startsWith(KEY_PREFIX) && !isWellFormed(secret, KEY_PREFIX)) return 'starts with kw_ but is not a keyward key: its length or checksum is wrong (a typo?)';
  return undefined;
}

/** A SHA-256 as hex or unpadded base64url, as the stores keep it (lowercase hex), or undefined when it is neither. */
function hexSha256(text: string): string | undefined {
  if (HEX_SHA256.test(text)) return text.toLowerCase();
  if (!BASE64URL_SHA256.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  // 43 characters carry 258 bits: the last one must leave the two spare bits zero.
  return bytes.toString('base64url') === text ? bytes.toString('hex') : undefined;
}

const SecretSchema = z
  .string({ error: 'must be a string' })
  .superRefine((secret, ctx) => {
    const problem = secretProblem(secret);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({
    type: 'string',
    minLength: SECRET_MIN,
    maxLength: SECRET_MAX,
    description: 'The secret itself, in any format (`kw_…` with a valid checksum, `sk_live_…`, a UUID…); hashed at once, never stored or shown',
  });

const Sha256Schema = z
  .string({ error: 'must be a string' })
  .transform((text, ctx) => {
    const hex = hexSha256(text);
    if (hex) return hex;
    ctx.addIssue({ code: 'custom', message: 'must be a SHA-256 of the secret: 64 hex characters or 43 base64url characters' });
    return z.NEVER;
  })
  .openapi({ type: 'string', description: 'SHA-256 of the secret, hex (64 characters) or unpadded base64url (43)', example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' });

export const ImportItem = CreateKeyBody.omit({ canary: true })
  .extend({ secret: SecretSchema.optional(), sha256: Sha256Schema.optional() })
  .strict()
  .superRefine((item, ctx) => {
    if ((item.secret === undefined) === (item.sha256 === undefined)) ctx.addIssue({ code: 'custom', message: 'must have either `secret` or `sha256`, not both and not neither' });
  })
  .openapi('ImportKey', { description: 'A key to import: `name`, exactly one of `secret` and `sha256`, and any field a create takes (canaries are made with a create)' });

export type ImportItemInput = z.infer<typeof ImportItem>;

export const ImportBody = z
  .object({
    keys: z
      .array(ImportItem)
      .min(1, 'must hold at least one key')
      .max(IMPORT_BATCH, `must hold at most ${withThousands(IMPORT_BATCH)} keys a call`)
      .openapi({ description: `At most ${withThousands(IMPORT_BATCH)} keys; all are imported or none` }),
  })
  .strict()
  .openapi('ImportKeys');

export const ImportedResponse = z
  .object({
    imported: z.number().int().openapi({ description: 'How many keys were imported: all of those sent' }),
    keys: z.array(z.object({ id: z.string(), name: z.string() })).openapi({ description: 'The new keys’ ids and names, in the order sent' }),
  })
  .openapi('Imported');

export type ImportedJson = z.infer<typeof ImportedResponse>;
