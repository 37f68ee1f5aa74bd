/**
 * Small builders for route definitions, so each route states its body, answer and errors in
 * one line each and the OpenAPI document stays complete.
 */
import { z, type RouteConfig } from '@hono/zod-openapi';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

export function jsonBody<T extends z.ZodType>(schema: T, description = 'JSON body') {
  return { content: { 'application/json': { schema } }, required: true, description };
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (`invalid_request`), with `issues` naming the fields',
  401: 'Missing, unknown or disabled operator token (`unauthorized`)',
  403: 'The operator lacks the permission (`forbidden`)',
  404: 'Not found (`not_found`)',
  409: 'Conflict',
  413: 'Body over 64 KiB (`payload_too_large`)',
  415: 'Body is not JSON (`unsupported_media_type`)',
  500: 'Internal error (`internal`)',
  503: 'The store is unavailable (`store_unavailable`)',
  507: 'The store is out of space (`storage_full`)',
};

/** Error responses of a route: the usual ones plus the named conflict codes. */
export function errors(options: { body?: boolean; notFound?: boolean; write?: boolean; conflicts?: ErrorCode[] } = {}): RouteConfig['responses'] {
  const statuses = new Set<number>([401, 403, 500]);
  if (options.body) [400, 413, 415].forEach((s) => statuses.add(s));
  if (options.notFound) statuses.add(404);
  if (options.write) [503, 507].forEach((s) => statuses.add(s));
  if (options.conflicts?.length) statuses.add(409);
  const out: RouteConfig['responses'] = {};
  for (const status of statuses) {
    const extra = status === 409 ? ` (${options.conflicts!.map((c) => '`' + c + '`').join(', ')})` : '';
    out[status] = json(ErrorSchema, DESCRIPTIONS[status]! + extra);
  }
  return out;
}

export const IdParam = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id such as key_3kTMd8p6NxLw0aQvYc1bZe')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'key_3kTMd8p6NxLw0aQvYc1bZe' }),
});

export const bearer = [{ bearer: [] }];

/** Milliseconds → ISO-8601 UTC, keeping null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
