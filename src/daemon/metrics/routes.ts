/**
 * `GET /metrics`: the Prometheus text exposition (docs/metrics.md has a scrape config). Outside
 * `/v1` where Prometheus looks by default, but behind the same operator tokens: a token with
 * `keys:read` (a viewer is enough).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requirePermission } from '../http/auth.js';
import { answer, bearer, errors } from '../http/openapi.js';
import { routeGroup } from '../http/validation.js';
import type { DaemonMetrics } from './registry.js';

const EXAMPLE = `# HELP keyward_verifications_total Verifications answered, by outcome: valid, or the code of the refusal
# TYPE keyward_verifications_total counter
keyward_verifications_total{outcome="valid"} 1532
keyward_verifications_total{outcome="not_found"} 4
`;

export function metricsRoutes(metrics: DaemonMetrics) {
  return routeGroup().openapi(
    createRoute({
      method: 'get', path: '/metrics', operationId: 'getMetrics', tags: ['daemon'], security: bearer, middleware: [requirePermission('keys:read')] as const,
      summary: 'Prometheus metrics: verifications, latency, keys, replicas, webhook deliveries, store writes, the process',
      description:
        'Needs `keys:read`. The Prometheus text format (version 0.0.4). No label holds a secret or a key name. Answered from memory; the key counts come from the store and keep their last value while it is unavailable.',
      responses: {
        200: answer('The metrics', { 'text/plain': { schema: z.string().openapi({ description: 'Prometheus text exposition format 0.0.4' }), example: EXAMPLE } }),
        ...errors({ input: false }),
      },
    }),
    async (c) => {
      const text = await metrics.text();
      return c.text(text, 200, { 'content-type': metrics.contentType });
    },
  );
}
