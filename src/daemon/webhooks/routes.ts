/**
 * `/v1/webhooks…` (admin: `operators:manage`): add a receiver (its signing secret in this
 * answer only), list, remove, and read a receiver's delivery log.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { bearer, errors, IdParam, iso, json, jsonBody, noContent, PageLimit } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { DeliveryRow, WebhookRow } from '../store.js';
import { UNSAFE_CHARS } from '../../sanitize.js';
import { containsSecret } from '../../secret-text.js';
import { EVENT_TYPES, patternProblem } from './events.js';
import type { WebhookService } from './service.js';

const tags = ['webhooks'];
const admin = requirePermission('operators:manage');

/** `text` with its percent-escapes decoded, or as it is when they do not decode. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Why a URL is refused, or undefined when keyward will POST to it. The URL is shown to every
 * operator who reads the audit log, so it may hold neither a secret (percent-escaped or not)
 * nor a character that steers a terminal or reorders what it shows.
 */
function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry a user name or password (the signature authenticates keyward)';
  if (UNSAFE_CHARS.test(text)) return 'must not contain control or invisible formatting characters';
  if (containsSecret(text) || containsSecret(decoded(text))) return 'must not contain a keyward key, token or signing secret: the URL is shown in the audit log';
  return undefined;
}

/** Refuses an event pattern that matches nothing keyward sends, and one given twice. */
function checkEvents(events: readonly string[], ctx: z.RefinementCtx): void {
  events.forEach((pattern, i) => {
    const first = events.indexOf(pattern);
    const problem = first < i ? `repeats events.${first}` : patternProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [i] });
  });
}

const CreateWebhookBody = z
  .object({
    url: z
      .string()
      .max(2048)
      .superRefine((text, ctx) => {
        const problem = urlProblem(text);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .openapi({ example: 'https://hooks.example.com/keyward' }),
    events: z
      .array(z.string().max(100))
      .min(1)
      .max(50)
      .superRefine(checkEvents)
      .optional()
      .openapi({
        description: `Event types to deliver, each once: \`*\` (the default), an exact type, or \`prefix.*\` matching at least one type. The types: ${EVENT_TYPES.map((type) => `\`${type}\``).join(', ')}`,
        example: ['key.leaked', 'key.deactivate'],
      }),
  })
  .strict()
  .openapi('CreateWebhook');

const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    createdAt: z.string().openapi({ format: 'date-time' }),
    createdBy: z.string(),
    canSign: z.boolean().openapi({ description: 'This daemon holds the key the signing secret is sealed under, so it delivers to this webhook' }),
  })
  .openapi('Webhook');

const DeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string().openapi({ description: 'The `id` in the body: the same for every webhook and every attempt of one event' }),
    type: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']).openapi({ description: '`failed`: given up, 24 hours after the event' }),
    attempts: z.number().int(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    nextAttemptAt: z.string().nullable().openapi({ format: 'date-time', description: 'While pending' }),
    lastAttemptAt: z.string().nullable().openapi({ format: 'date-time' }),
    lastStatus: z.number().int().nullable().openapi({ description: 'The HTTP status of the last answer' }),
    lastError: z.string().nullable().openapi({ description: 'Why the last attempt failed: an HTTP status, a connection error, a time-out' }),
    deliveredAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('WebhookDelivery');

export type WebhookJson = z.infer<typeof WebhookSchema>;
export type DeliveryJson = z.infer<typeof DeliverySchema>;

const WEBHOOK_EXAMPLE: WebhookJson = {
  id: 'whk_5mQp8Xr2LtV7nB3cW9yKd1',
  url: 'https://hooks.example.com/keyward',
  events: ['key.leaked', 'key.deactivate'],
  createdAt: '2026-11-02T09:14:03.120Z',
  createdBy: 'admin',
  canSign: true,
};

const DELIVERY_EXAMPLE: DeliveryJson = {
  id: 'dlv_2hR8sK4vP1xN6tZ3mQ7wYc',
  eventId: 'evt_9bT4kL2pX7vR1nQ5sW8mZa',
  type: 'key.leaked',
  status: 'pending',
  attempts: 2,
  createdAt: '2026-11-30T09:00:00.000Z',
  nextAttemptAt: '2026-11-30T09:00:21.000Z',
  lastAttemptAt: '2026-11-30T09:00:06.000Z',
  lastStatus: 503,
  lastError: 'HTTP 503',
  deliveredAt: null,
};

const DeliveriesQuery = z.object({ limit: PageLimit });

function deliveryJson(d: DeliveryRow): DeliveryJson {
  return {
    id: d.id,
    eventId: d.eventId,
    type: d.type,
    status: d.status,
    attempts: d.attempts,
    createdAt: iso(d.createdAt),
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    lastAttemptAt: iso(d.lastAttemptAt),
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    deliveredAt: iso(d.deliveredAt),
  };
}

export function webhookRoutes(webhooks: WebhookService) {
  const webhookJson = (w: WebhookRow): WebhookJson => ({ id: w.id, url: w.url, events: w.events, createdAt: iso(w.createdAt), createdBy: w.createdBy, canSign: webhooks.canSign(w) });
  return routeGroup()
    .openapi(
      createRoute({
        method: 'get', path: '/webhooks', operationId: 'listWebhooks', tags, security: bearer, middleware: [admin] as const,
        summary: 'List webhooks',
        description: 'Needs `operators:manage`. Never shows a signing secret.',
        responses: { 200: json(z.object({ webhooks: z.array(WebhookSchema) }), 'Webhooks, oldest first', { webhooks: [WEBHOOK_EXAMPLE] }), ...errors({ input: false, store: 'read' }) },
      }),
      async (c) => c.json({ webhooks: (await webhooks.list()).map(webhookJson) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/webhooks', operationId: 'createWebhook', tags, security: bearer, middleware: [admin] as const,
        summary: 'Add a webhook; its signing secret is in this answer only',
        description:
          'Needs `operators:manage`. Each event is POSTed as `{id,type,at,data}` with `Keyward-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, retried with backoff for 24 hours (docs/webhooks.md). Only http and https URLs, without credentials in them.',
        request: { body: jsonBody(CreateWebhookBody) },
        responses: {
          201: json(z.object({ webhook: WebhookSchema, secret: z.string().openapi({ description: 'The signing secret, shown this once' }) }), 'The webhook and its signing secret', {
            webhook: WEBHOOK_EXAMPLE,
            secret: 'whsec_EXAMPLExxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
          }),
          ...errors({ store: 'write' }),
        },
      }),
      async (c) => {
        const { url, events } = c.req.valid('json');
        const { webhook, secret } = await webhooks.create(url, events ?? ['*'], c.get('operator'));
        return c.json({ webhook: webhookJson(webhook), secret }, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'delete', path: '/webhooks/{id}', operationId: 'deleteWebhook', tags, security: bearer, middleware: [admin] as const,
        summary: 'Remove a webhook, with its pending deliveries and its delivery log',
        description: 'Needs `operators:manage`.',
        request: { params: IdParam },
        responses: { 204: noContent('Removed'), ...errors({ notFound: true, store: 'write' }) },
      }),
      async (c) => {
        await webhooks.delete(c.req.valid('param').id, c.get('operator'));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/webhooks/{id}/deliveries', operationId: 'listWebhookDeliveries', tags, security: bearer, middleware: [admin] as const,
        summary: 'The delivery log of a webhook, newest first',
        description: 'Needs `operators:manage`. Delivered and given-up deliveries are kept 30 days.',
        request: { params: IdParam, query: DeliveriesQuery },
        responses: { 200: json(z.object({ deliveries: z.array(DeliverySchema) }), 'Deliveries', { deliveries: [DELIVERY_EXAMPLE] }), ...errors({ notFound: true, store: 'read' }) },
      }),
      async (c) => c.json({ deliveries: (await webhooks.deliveries(c.req.valid('param').id, c.req.valid('query').limit)).map(deliveryJson) }, 200),
    );
}
