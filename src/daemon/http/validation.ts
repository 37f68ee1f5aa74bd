/**
 * Turns a failed zod validation into the 400 `invalid_request` envelope with one issue per
 * field, and builds the route groups that use it.
 */
import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { errorBody } from './error-handler.js';
import type { AppEnv } from './env.js';
import { refuseBody } from './no-body.js';

// zod-openapi's Hook is generic over the route's input; this one fits every route.
/** How a validation target is called in messages. */
const TARGETS: Record<string, string> = { json: 'body', query: 'query', param: 'path' };

type Issue = { path: PropertyKey[]; message: string };

function refuse(c: Context<AppEnv>, target: string, zodIssues: readonly Issue[]): Response {
  const where = TARGETS[target] ?? target;
  const issues = zodIssues.map((issue) => ({
    path: issue.path.map(String).join('.') || where,
    message: issue.message,
  }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return c.json(errorBody(c, 'invalid_request', `Invalid request ${where} (${summary})`, issues), 400);
}

const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (!result.success) return refuse(c, result.target, result.error.issues);
};

/**
 * For a body that is one long list (`{"keys":[…]}`): only the issues of the first item at
 * fault, so the refusal names one item (`keys.3.name`) and stays short however many are wrong.
 */
export const firstItemHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const itemOf = (issue: Issue) => (typeof issue.path[1] === 'number' ? issue.path[1] : -1);
  const first = Math.min(...result.error.issues.map(itemOf));
  return refuse(c, result.target, result.error.issues.filter((issue) => itemOf(issue) === first));
};

/**
 * A route group: an OpenAPIHono whose validation failures use the error envelope, and whose
 * routes refuse a body unless they declare one. The refusal runs after the route's own
 * middleware (its permission check: 403 before 400) and before anything else.
 */
export function routeGroup(hook = validationHook): OpenAPIHono<AppEnv> {
  const group = new OpenAPIHono<AppEnv>({ defaultHook: hook });
  const register = group.openapi;
  group.openapi = (route, handler, routeHook) => {
    if (route.method === 'get' || route.request?.body !== undefined) return register(route, handler, routeHook);
    const own = route.middleware === undefined ? [] : [route.middleware].flat();
    return register({ ...route, middleware: [...own, refuseBody] }, handler, routeHook);
  };
  return group;
}
