/**
 * Turns a failed zod validation into the 400 `invalid_request` envelope with one issue per
 * field, and builds the route groups that use it.
 */
import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import { errorBody } from '../errors.js';
import type { AppEnv } from './env.js';

// zod-openapi's Hook is generic over the route's input; this one fits every route.
/** How a validation target is called in messages. */
const TARGETS: Record<string, string> = { json: 'body', query: 'query', param: 'path' };

const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const where = TARGETS[result.target] ?? result.target;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || where,
    message: issue.message,
  }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return c.json(errorBody(c, 'invalid_request', `Invalid request ${where} (${summary})`, issues), 400);
};

/** A route group: an OpenAPIHono whose validation failures use the error envelope. */
export function routeGroup(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
