/**
 * Small builders for route definitions, so each route states its body, answer and errors in
 * one line each and the OpenAPI document lists exactly the statuses the route can answer
 * (test/daemon/openapi.test.ts sends a request for each and checks the answers).
 */
import { z, type RouteConfig } from '@hono/zod-openapi';
import { withThousands } from '../../thousands.js';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '../errors.js';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string().openapi({ description: 'For people; terminal-safe, never a secret or a stack trace' }),
      requestId: z.string().openapi({ description: 'Also in the `X-Request-Id` header; the daemon log names it' }),
      issues: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .openapi({ description: 'With `invalid_request`: one entry per field that was refused' }),
    }),
  })
  .openapi('Error');

type Responses = RouteConfig['responses'];
/** Response headers as the document states them. */
export type ResponseHeaders = Record<string, { description: string; required: boolean; schema: { type: 'string'; const?: string } }>;

const EXAMPLE_REQUEST_ID = '4f1c2b9e-7d3a-4c8e-9a51-0b6f2d8e3c17';

/** Every answer names its request, so a client can quote it and the daemon log can be searched. */
const REQUEST_ID: ResponseHeaders = {
  'X-Request-Id': { description: 'This request’s id (the one the client sent, if well-formed)', required: true, schema: { type: 'string' } },
};

export function jsonBody<T extends z.ZodType>(schema: T, description = 'JSON body') {
  return { content: { 'application/json': { schema } }, required: true, description };
}

/** A JSON answer with its example (the linters check it against the schema) and any headers besides the request id. */
export function json<T extends z.ZodType>(schema: T, description: string, example?: z.output<T>, headers: ResponseHeaders = {}) {
  return {
    description,
    headers: { ...REQUEST_ID, ...headers },
    content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
  };
}

/** An answer without a body (204). */
export function noContent(description: string) {
  return { description, headers: REQUEST_ID };
}

/** What an answer of another media type (an event stream) carries besides its content. */
export function answer<C>(description: string, content: C) {
  return { description, headers: REQUEST_ID, content };
}

/** A message of each code, for the examples of the error answers. */
const EXAMPLE_MESSAGES: Record<ErrorCode, string> = {
  invalid_request: 'Invalid request body (name: must not be empty)',
  unauthorized: 'A valid operator token is required (Authorization: Bearer kwo_…)',
  forbidden: 'Operator "ci" (role viewer) lacks the permission keys:write',
  not_found: 'No key with id key_3kTMd8p6NxLw0aQvYc1bZe',
  name_taken: 'A key named "billing" already exists',
  key_active: 'Key "billing" is active; deactivate it before deleting it',
  rotation_open: 'The key is part of open rotation rot_7QxL2mV9cT4pZ1kWbN8eRs; finish or cancel it before this key can be deleted',
  step_changed: 'The rotation is at step deactivate_old, not verify_new; someone else moved it. Reload and try again',
  rotation_guard: 'The new key has not been used successfully yet; update your systems and send traffic with it, or advance with force',
  last_admin: '"admin" is the last active admin; create another admin before disabling it',
  payload_too_large: 'Request bodies are limited to 64 KiB',
  unsupported_media_type: 'Request bodies must be JSON (Content-Type: application/json)',
  too_many_streams: 'Operator "tui" already has 16 event streams open, the limit per operator; close one first',
  internal: 'Internal error; the daemon log has the details',
  store_unavailable: 'The key store is unavailable right now; nothing was changed',
  storage_full: 'The key store is out of space; nothing was changed',
};

function errorExample(code: ErrorCode): ErrorBody {
  const issues = code === 'invalid_request' ? { issues: [{ path: 'name', message: 'must not be empty' }] } : {};
  return { error: { code, message: EXAMPLE_MESSAGES[code], requestId: EXAMPLE_REQUEST_ID, ...issues } };
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (`invalid_request`): the path, query or body is not what this operation takes, or the body is not UTF-8; `issues` name the fields',
  401: 'Missing, unknown or disabled operator token (`unauthorized`)',
  403: 'The operator lacks the permission, or the `Host` header is not a loopback name nor one allowed with `--allow-host` (`forbidden`)',
  404: 'Not found (`not_found`)',
  409: 'Conflict',
  413: 'Body over 64 KiB (`payload_too_large`)',
  415: 'A body that is not JSON (`unsupported_media_type`)',
  429: 'Too many event streams open, for this operator or in all (`too_many_streams`)',
  500: 'Internal error (`internal`); the daemon log has the details',
  503: 'The store is unavailable (`store_unavailable`)',
  507: 'The store is out of space (`storage_full`); nothing was changed',
};

/** The error code each status stands for (409 has several: the route names them). */
const CODE_OF: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_streams',
  500: 'internal',
  503: 'store_unavailable',
  507: 'storage_full',
};

export type ErrorOptions = {
  /** False only for health: every other route needs a token (401). */
  auth?: boolean;
  /**
   * False for a GET without path or query parameters: nothing in it is read (a GET's body
   * never is), so nothing can be invalid (400).
   */
  input?: boolean;
  /** The route takes an `{id}` that may name nothing (404). */
  notFound?: boolean;
  /**
   * What the route does with the store: a read can find it unavailable (503) or fail
   * unexpectedly (500); a write can also find it full (507). Routes that answer from memory
   * (health, me, verify, events, this document) say nothing.
   */
  store?: 'read' | 'write';
  /** The 409 codes the route can answer. */
  conflicts?: ErrorCode[];
  /** The route opens an event stream, of which there are only so many (429). */
  tooManyStreams?: boolean;
};

/**
 * The error answers of a route. Every route can answer 403 (a foreign Host), 413 and 415 (any
 * request may carry a body) and, unless it takes no input, 400 (a malformed id or query, a
 * body of the wrong shape or not UTF-8); the options add the rest.
 */
export function errors(options: ErrorOptions = {}): Responses {
  const statuses = [403, 413, 415];
  if (options.input !== false) statuses.push(400);
  if (options.auth !== false) statuses.push(401);
  if (options.notFound) statuses.push(404);
  if (options.conflicts?.length) statuses.push(409);
  if (options.tooManyStreams) statuses.push(429);
  if (options.store) statuses.push(500, 503);
  if (options.store === 'write') statuses.push(507);
  const out: Responses = {};
  for (const status of statuses.sort((a, b) => a - b)) {
    if (status === 409) {
      const codes = options.conflicts!;
      out[status] = {
        description: `${DESCRIPTIONS[409]}: ${codes.map((c) => '`' + c + '`').join(', ')}`,
        headers: REQUEST_ID,
        content: {
          'application/json': {
            schema: ErrorSchema,
            examples: Object.fromEntries(codes.map((code) => [code, { summary: code, value: errorExample(code) }])),
          },
        },
      };
      continue;
    }
    const headers: ResponseHeaders =
      status === 401 ? { ...REQUEST_ID, 'WWW-Authenticate': { description: 'The scheme to use (RFC 6750)', required: true, schema: { type: 'string', const: 'Bearer' } } } : REQUEST_ID;
    out[status] = { description: DESCRIPTIONS[status]!, headers, content: { 'application/json': { schema: ErrorSchema, example: errorExample(CODE_OF[status]!) } } };
  }
  return out;
}

export const IdParam = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id such as key_3kTMd8p6NxLw0aQvYc1bZe')
    .openapi({ param: { name: 'id', in: 'path', description: 'The object’s id' }, example: 'key_3kTMd8p6NxLw0aQvYc1bZe' }),
});

/**
 * A whole number in a query string, in decimal digits and nothing else: `z.coerce.number()`
 * also read `1e3`, `0x10`, ` 1` and an empty value (as 0), none of which a client means. At
 * most `max`, and never past what a number holds exactly.
 */
export function queryInt(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number written in decimal digits')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${withThousands(min)}`).max(max, `must be at most ${withThousands(max)}`))
    .openapi({ type: 'integer', minimum: min, maximum: max });
}

/** `queryInt` that is `fallback` when absent; the document says so (its `type` override hides zod's default). */
export function queryIntOr(fallback: number, min: number, max?: number) {
  return queryInt(min, max).default(fallback).openapi({ default: fallback });
}

/** Every list's page size: 1000 unless asked, at most 10,000 (a longer list pages). */
export const PageLimit = queryIntOr(1000, 1, 10_000).openapi({ description: 'How many to answer: 1–10000, default 1000' });

export const bearer = [{ bearer: [] }];

/** Milliseconds → ISO-8601 UTC, keeping null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
