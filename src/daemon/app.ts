/**
 * The daemon's HTTP application: middleware (Host check, request id, bearer auth on everything
 * but health, then body limit and JSON-only bodies), the route groups, the OpenAPI document,
 * and the error envelope for everything that goes wrong.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import { randomUUID } from 'node:crypto';
import { containsSecret } from '../secret-text.js';
import { alertRoutes } from './alerts/routes.js';
import { auditRoutes } from './audit/routes.js';
import { operatorRoutes } from './auth/routes.js';
import type { Core } from './core.js';
import { KeywardError } from './errors.js';
import { createErrorHandler, notFoundHandler, sendError } from './http/error-handler.js';
import { eventRoutes } from './events/routes.js';
import { EventSchema } from './events/schemas.js';
import { authenticate } from './http/auth.js';
import { limitBody } from './http/body-limit.js';
import { announcesBody } from './http/no-body.js';
import { IMPORT_MAX_BYTES, IMPORT_PATH, MAX_BODY_BYTES } from './limits.js';
import { importRoutes } from './keys/import-routes.js';
import { DOCUMENT } from './http/document.js';
import type { AppEnv } from './http/env.js';
import { guardHost } from './http/guard-host.js';
import { hostPolicy, type HostPolicy } from './http/host.js';
import { bearer, errors, json } from './http/openapi.js';
import { routeGroup } from './http/validation.js';
import { leakRoutes } from './keys/leaks.js';
import { lookupRoutes } from './keys/lookup.js';
import { webhookRoutes } from './webhooks/routes.js';
import { metricsRoutes } from './metrics/routes.js';
import { keyRoutes } from './keys/routes.js';
import { replicaRoutes } from './replica/routes.js';
import { rotationRoutes } from './rotation/routes.js';
import { verifyRoutes } from './verify/routes.js';
import { CHALLENGE_PATTERN, PROOF_HEADER, proofOf } from '../identity.js';
import { VERSION } from '../version.js';
import { storeUnreachable } from './store.js';

export type AppOptions = {
  /** This start's identity secret (daemon.json): health proves it to clients that challenge. */
  instance: string;
  /** Names served besides loopback ones (DNS rebinding); loopback only by default. */
  hosts?: HostPolicy;
};

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    reason: z.string().optional().openapi({ description: 'Why the daemon is degraded: it answers verify from memory, writes fail with 503' }),
  })
  .openapi('Health');

const HealthHeaders = z.object({
  'x-keyward-challenge': z
    .string()
    .regex(CHALLENGE_PATTERN, 'must be 16 to 256 visible ASCII characters')
    .optional()
    .openapi({
      description: 'A random nonce; the daemon answers with `X-Keyward-Proof`, so a client can tell it from another program on the port before it sends a token',
      example: 'qK3v8Zr1TnXo5bWc2yHd7uLp0sGf4aJe',
    }),
});

const PROOF = {
  [PROOF_HEADER]: {
    description:
      'Sent when the request carried `X-Keyward-Challenge`: base64url(HMAC-SHA256(key = the 32 bytes of `instance` in daemon.json, base64url-decoded; message = the challenge))',
    required: false,
    schema: { type: 'string' as const },
  },
};

/** On a shared store, the daemon is degraded while it cannot follow the database. */
function health(core: Core): z.infer<typeof HealthSchema> {
  if (!storeUnreachable(core.store)) return { status: 'ok', version: VERSION };
  return { status: 'degraded', version: VERSION, reason: 'PostgreSQL cannot be followed now (unreachable, or catching up after a lost connection): verify answers from memory, writes may fail with 503 store_unavailable' };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether a JSON body names a key `__proto__` anywhere. No field takes one: zod drops it from a
 * meta without a word (the key would keep a meta other than the one sent), and a service
 * copying meta would take it for the object's prototype. A `\u` escape can spell it, so a body
 * with either is parsed to look; one that is not JSON is left to the route to refuse.
 */
function namesProto(text: string): boolean {
  if (!text.includes('__proto__') && !text.includes('\\u')) return false;
  let found = false;
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') found = true;
      return value;
    });
  } catch {
    return false;
  }
  return found;
}

/**
 * Refuses a body that does not say it is JSON, or is not valid UTF-8 (which JSON.parse would
 * silently turn into U+FFFD), before any route reads it.
 */
const jsonBodiesOnly = createMiddleware<AppEnv>(async function jsonBodiesOnly(c, next) {
  if (!announcesBody(c)) return next();
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new KeywardError('unsupported_media_type', 'Request bodies must be JSON (Content-Type: application/json)');
  }
  let text: string;
  try {
    text = strictUtf8.decode(await c.req.arrayBuffer());
  } catch (err) {
    if (err instanceof TypeError) throw new KeywardError('invalid_request', 'The request body is not valid UTF-8');
    throw err;
  }
  if (namesProto(text)) throw new KeywardError('invalid_request', 'The request body uses "__proto__" as a key, which no field takes (a JavaScript program reading it would take it for an object\'s prototype)');
  // hono caches each form of the body as the promise its reader returned (its types say the
  // value). Caching the text spares the route's c.req.json() a second read of the bytes through
  // a web Response, which measured as a fifth of a verify's CPU time.
  Object.assign(c.req.bodyCache, { text: Promise.resolve(text) });
  await next();
});

/**
 * A client's `X-Request-Id` is echoed in the answer, its errors and the daemon's log: one shaped
 * like a secret (a token pasted into the wrong header) is replaced by the daemon's own, as a
 * malformed one is, so no secret is quoted back or logged.
 */
const ownRequestIdForSecrets = createMiddleware<AppEnv>(async function ownRequestIdForSecrets(c, next) {
  if (containsSecret(c.get('requestId'))) {
    c.set('requestId', randomUUID());
    c.header('X-Request-Id', c.get('requestId'));
  }
  await next();
});

export function createApp(core: Core, options: AppOptions): OpenAPIHono<AppEnv> {
  const v1 = routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/health', operationId: 'getHealth', tags: ['daemon'], security: [],
        summary: 'Liveness, and proof of the daemon\'s identity; needs no token',
        description:
          '`degraded` while a daemon on a shared PostgreSQL store cannot reach it: verify still answers from memory, writes fail with 503. With `X-Keyward-Challenge` the answer carries `X-Keyward-Proof`; a malformed challenge is `400`.',
        request: { headers: HealthHeaders },
        responses: { 200: json(HealthSchema, 'The daemon is up', { status: 'ok', version: VERSION }, PROOF), ...errors({ auth: false }) },
      }),
      (c) => {
        const challenge = c.req.valid('header')['x-keyward-challenge'];
        if (challenge !== undefined) c.header(PROOF_HEADER, proofOf(options.instance, challenge));
        return c.json(health(core), 200);
      },
    );
  // Mounted one by one, not chained: nothing reads the chained app's route types (there is no
  // typed client), and inferring them cost the type check 2 s.
  const groups: OpenAPIHono<AppEnv>[] = [
    operatorRoutes(core.operators),
    lookupRoutes(core.store),
    leakRoutes(core.alerts),
    importRoutes(core.keys),
    keyRoutes(core.keys, core.usageReads),
    verifyRoutes(core.verifier),
    rotationRoutes(core.rotations),
    auditRoutes(core.store, core.verifyAudit),
    eventRoutes(core.streams),
    webhookRoutes(core.webhooks),
    alertRoutes(core.alerts, core.keys),
    replicaRoutes(core.replicas),
  ];
  for (const group of groups) v1.route('/', group);

  const app = new OpenAPIHono<AppEnv>();
  app.use('*', guardHost(options.hosts ?? hostPolicy()));
  app.use('*', requestId(), ownRequestIdForSecrets);
  // Before anything reads a body: a client without a valid token gets its 401 without the
  // daemon waiting for, buffering or parsing a single byte of what it sends.
  const auth = authenticate(core.operators);
  app.use('/v1/*', (c, next) => (c.req.path === '/v1/health' ? next() : auth(c, next)));
  app.use(
    '*',
    limitBody({
      maxSize: MAX_BODY_BYTES,
      larger: { [IMPORT_PATH]: IMPORT_MAX_BYTES },
      onError: (c, maxSize) => sendError(c, new KeywardError('payload_too_large', `Request bodies are limited to ${maxSize / 1024} KiB${maxSize > MAX_BODY_BYTES ? ' on this route' : ''}`)),
    }),
  );
  app.use('*', jsonBodiesOnly);
  // A write is answered once the audit checkpoint naming its event is on disk, as when the
  // checkpoint was written on the loop; the write itself runs beside the replicas' acks.
  app.use('*', async (c, next) => {
    const anchors = core.audit.anchors;
    await next();
    if (core.audit.anchors !== anchors) await core.audit.settled();
  });
  app.onError(createErrorHandler(core.log));
  app.notFound(notFoundHandler);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An operator token (kwo_…)',
  });
  app.route('/v1', v1);
  app.use('/metrics', auth);
  app.route('/', metricsRoutes(core.metrics));
  // The document lists itself too, so it covers every route the daemon serves.
  app.openAPIRegistry.registerPath({
    method: 'get', path: '/v1/openapi.json', operationId: 'getOpenApi', tags: ['daemon'], security: bearer,
    summary: 'This OpenAPI 3.1 document',
    description: 'Any valid token. Lists every operation with every status it can answer.',
    responses: { 200: json(z.record(z.string(), z.unknown()), 'The document', { openapi: '3.1.0' }), ...errors({ input: false }) },
  });
  // Referenced from the event stream's media type, which OpenAPI 3.1 cannot type per item.
  app.openAPIRegistry.register('Event', EventSchema);
  app.doc31('/v1/openapi.json', DOCUMENT);
  return app;
}
