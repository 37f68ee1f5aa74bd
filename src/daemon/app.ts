/**
 * The daemon's HTTP application: middleware (request id, body limit, JSON-only bodies,
 * bearer auth on everything but health), the route groups, the OpenAPI document, and the
 * error envelope for everything that goes wrong.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import { auditRoutes } from './audit/routes.js';
import { operatorRoutes } from './auth/routes.js';
import type { Core } from './core.js';
import { createErrorHandler, KeywardError, notFoundHandler, sendError } from './errors.js';
import { eventRoutes } from './events/routes.js';
import { authenticate } from './http/auth.js';
import type { AppEnv } from './http/env.js';
import { json } from './http/openapi.js';
import { routeGroup } from './http/validation.js';
import { keyRoutes } from './keys/routes.js';
import { rotationRoutes } from './rotation/routes.js';
import { verifyRoutes } from './verify/routes.js';
import { VERSION } from '../version.js';

export { VERSION };
export const MAX_BODY_BYTES = 64 * 1024;

export type AppOptions = { heartbeatMs?: number };

const HealthSchema = z.object({ status: z.literal('ok'), version: z.string() }).openapi('Health');

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Refuses a body that does not say it is JSON, or is not valid UTF-8 (which JSON.parse would
 * silently turn into U+FFFD), before any route reads it.
 */
const jsonBodiesOnly = createMiddleware<AppEnv>(async function jsonBodiesOnly(c, next) {
  const length = c.req.header('content-length');
  const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
  if (!hasBody) return next();
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new KeywardError('unsupported_media_type', 'Request bodies must be JSON (Content-Type: application/json)');
  }
  try {
    strictUtf8.decode(await c.req.arrayBuffer());
  } catch (err) {
    if (err instanceof TypeError) throw new KeywardError('invalid_request', 'The request body is not valid UTF-8');
    throw err;
  }
  await next();
});

export function createApp(core: Core, options: AppOptions = {}) {
  const v1 = routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/health', tags: ['daemon'], summary: 'Liveness; needs no token',
        responses: { 200: json(HealthSchema, 'The daemon is up') },
      }),
      (c) => c.json({ status: 'ok' as const, version: VERSION }, 200),
    );
  v1.use('*', async (c, next) => (c.req.path === '/v1/health' ? next() : authenticate(core.operators)(c, next)));
  const api = v1
    .route('/', operatorRoutes(core.operators))
    .route('/', keyRoutes(core.keys, core.usageReads))
    .route('/', verifyRoutes(core.verifier))
    .route('/', rotationRoutes(core.rotations))
    .route('/', auditRoutes(core.store))
    .route('/', eventRoutes(core.events, options.heartbeatMs));

  const app = new OpenAPIHono<AppEnv>();
  app.use('*', requestId());
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => sendError(c, new KeywardError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES / 1024} KiB`)),
    }),
  );
  app.use('*', jsonBodiesOnly);
  app.onError(createErrorHandler(core.log));
  app.notFound(notFoundHandler);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An operator token (kwo_…)',
  });
  const routes = app.route('/v1', api);
  app.use('/v1/openapi.json', authenticate(core.operators));
  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'keyward', version: VERSION, description: 'Local API-key manager daemon' },
  });
  return routes;
}

export type AppType = ReturnType<typeof createApp>;
